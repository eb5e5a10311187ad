"""Request bodies of the API are what its OpenAPI spec says: JSON where it says JSON.

A body in any other content type (a form post, ``text/plain``) is refused with 415 before the
view runs — only operations that declare ``multipart/form-data`` take a form. This also
keeps the API out of reach of the "simple" cross-site requests a browser sends without asking.
"""

from __future__ import annotations

from functools import cache

from flask import Flask, request
from flask_smorest import Api

from catalog.api.contract import spec_path
from catalog.errors import Message, MuluError

DEFAULT_BODY_TYPES = frozenset({"application/json"})


class UnsupportedBody(MuluError):
    status = 415


def install(app: Flask, api: Api) -> None:
    @cache
    def declared() -> dict[tuple[str, str], frozenset[str]]:
        """(spec path, method) -> the content types its requestBody declares."""
        found = {}
        for path, operations in api.spec.to_dict().get("paths", {}).items():
            for method, operation in operations.items():
                if not isinstance(operation, dict):  # the path's shared "parameters"
                    continue
                content = (operation.get("requestBody") or {}).get("content") or {}
                if content:
                    found[(path, method.upper())] = frozenset(content)
        return found

    @app.before_request
    def _body_is_declared_type() -> None:
        if not request.path.startswith("/api/") or request.url_rule is None:
            return
        has_body = (request.content_length or 0) > 0 or \
            "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if not has_body:
            return
        path = spec_path(request.url_rule.rule)
        allowed = declared().get((path, request.method), DEFAULT_BODY_TYPES)
        if request.mimetype not in allowed:
            raise UnsupportedBody(Message(
                f"请求体应为 {' 或 '.join(sorted(allowed))}，而不是 “{request.mimetype or '未注明'}”。",
                f"The body must be {' or '.join(sorted(allowed))}, "
                f"not {request.mimetype or 'unlabelled'!r}."))
