"""The web UI (Chinese first) and the RDF export routes."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from catalog.web import export, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(export.bp)
