"""The web UI (Chinese first) and the RDF export routes."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    import catalog.web.admin_pages  # noqa: F401  (its views register on pages.bp)
    from catalog.web import browse_pages as _browse  # noqa: F401 (its views, on pages.bp)
    from catalog.web import export, imports_page, pages
    from catalog.web import harvest_pages as _harvest  # noqa: F401 (its views, on pages.bp)
    from catalog.web import sharing_pages as _sharing  # noqa: F401 (its views, on pages.bp)

    app.before_request(imports_page.allow_upload)  # before the pages' CSRF check reads a form
    app.register_blueprint(pages.bp)
    app.register_blueprint(export.bp)
