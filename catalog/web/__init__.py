"""The web UI (Chinese first) and the RDF export routes."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from catalog.web import browse_pages, export, imports_page, pages  # noqa: F401 - views on pages.bp

    app.before_request(imports_page.allow_upload)  # before the pages' CSRF check reads a form
    app.register_blueprint(pages.bp)
    app.register_blueprint(export.bp)
