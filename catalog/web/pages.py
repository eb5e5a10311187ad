"""Web pages (placeholder until the UI lands): home."""

from __future__ import annotations

from flask import Blueprint, render_template_string

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    return render_template_string('{% extends "base.html" %}{% block content %}<h1>政务信息资源目录</h1>'
                                  '<p><a href="/api/openapi.json">API</a></p>{% endblock %}')
