"""The API's error contract in its OpenAPI spec: one error body, and for every operation the
error statuses it really gives.

Every error of the API has one body (``catalog.errors_http.error_response``): ``code``,
``status``, a bilingual ``message`` and, for input errors, ``errors`` naming each field with its
messages. Which statuses an operation can answer follows from what the shell does before and
around its view — the same for every route, so it is derived here once rather than written on
57 views:

- 400 a JSON body Python cannot read (``errors_http``), a malformed search;
- 401 a bearer token that is unknown, expired or malformed (any operation: the caller is
  resolved before every API request, ``catalog.api.ratelimit``), or no caller where
  ``require`` wants one;
- 403 a role ``require`` does not allow, a cookie-carried write without its CSRF token, or the
  access policy refusing (views that can say so declare it with ``may_answer(403)``);
- 404 an object named in the path that does not exist or that the caller may not see;
- 409 declared by the views whose service refuses a change in the object's state;
- 413 / 415 a body too large or of a type the operation does not take;
- 422 input the operation's schema or its service refuses, field by field;
- 429 the anonymous rate limit (``Retry-After``);
- 503 the store busy with another writer (SQLite's one write lock; ``Retry-After``): any
  request may write (a token's last use, a session's activity).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from flask_smorest import Api
from marshmallow import Schema, fields

F = TypeVar("F", bound=Callable[..., Any])

UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                               "required": True, "schema": {"type": "integer", "minimum": 0}}}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": 'Bearer realm="mulu"', "required": True,
                               "schema": {"type": "string"}}},
    429: RETRY_AFTER,
    503: RETRY_AFTER,
}
DESCRIPTIONS = {
    400: "the request cannot be read (a JSON body Python cannot parse, malformed parameters)",
    401: "no valid credential: sign in or send a valid bearer token",
    403: "the caller may not do this (role, department, access policy, missing CSRF token)",
    404: "no such object, or one the caller may not see",
    409: "the change conflicts with the object's current state",
    413: "the body is too large",
    415: "the body's content type is not one the operation takes",
    422: "the input is invalid: ``errors`` names each field with its messages",
    429: "too many requests: anonymous callers are rate-limited (MULU_ANON_RATE_LIMIT)",
    503: "busy (another writer holds the store, or search is down): retry after Retry-After",
}


class MessageSchema(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class ErrorSchema(Schema):
    """The body of every API error."""

    code = fields.Integer(required=True, metadata={"description": "the HTTP status"})
    status = fields.String(required=True, metadata={"description": "the status in words"})
    message = fields.Nested(MessageSchema, required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(MessageSchema)),
                         metadata={"description": "field (or field.index.sub-field, or "
                                                  "row/field) -> its messages"})


def may_answer(*statuses: int) -> Callable[[F], F]:
    """Declare error statuses a view's service gives beyond what is derived (409, 403 …)."""

    def mark(view: F) -> F:
        view.mulu_statuses = (*getattr(view, "mulu_statuses", ()), *statuses)  # type: ignore[attr-defined]
        return view

    return mark


def spec_path(rule: str) -> str:
    """``/api/datasets/<dataset_id>`` -> ``/api/datasets/{dataset_id}``."""
    return _PARAMETER.sub(r"{\1}", rule)


def document(app: Flask, api: Api) -> None:
    """Give every API operation its error responses (after every blueprint is registered)."""
    for code in DESCRIPTIONS:
        response: dict[str, Any] = {"description": DESCRIPTIONS[code],
                                    "content": {"application/json": {"schema": ErrorSchema}}}
        if code in HEADERS:
            response["headers"] = HEADERS[code]
        api.spec.components.response(_component(code), response)
    paths: dict[str, dict[str, Any]] = api.spec._paths  # noqa: SLF001 - apispec keeps them here
    for rule in app.url_map.iter_rules():
        operations = paths.get(spec_path(rule.rule))
        if not operations:
            continue
        for method in sorted(rule.methods or ()):
            operation = operations.get(method.lower())
            if not isinstance(operation, dict):
                continue
            view = _view(app, rule.endpoint, method)
            responses = operation.setdefault("responses", {})
            responses.pop("default", None)
            for code in sorted(statuses(method, bool(rule.arguments), operation, view)):
                _add(responses, code)


def statuses(method: str, has_path_arguments: bool, operation: dict[str, Any],
             view: Callable[..., Any] | None) -> set[int]:
    """The error statuses an operation can answer (see the module's docstring)."""
    found = {401, 429, 503}
    documented = {int(code) for code in operation.get("responses", {}) if code.isdigit()}
    found |= {code for code in documented if code in DESCRIPTIONS}
    roles = getattr(view, "required_roles", None)
    if method.lower() in UNSAFE_METHODS or roles:
        found.add(403)
    if has_path_arguments:
        found.add(404)
    body = operation.get("requestBody")
    if body:
        found |= {413, 415, 422}
        if "application/json" in body.get("content", {}):
            found.add(400)
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        found.add(422)
    found |= set(getattr(view, "mulu_statuses", ()))
    return found


def _component(code: int) -> str:
    return f"Error{code}"


def _add(responses: dict[str, Any], code: int) -> None:
    """Point ``code`` at the error component, unless the operation documents a body of its
    own for it (``/api/health``'s 503)."""
    current = responses.get(str(code))
    if isinstance(current, dict) and "content" in current:
        return
    responses[str(code)] = {"$ref": f"#/components/responses/{_component(code)}"}


def _view(app: Flask, endpoint: str, method: str) -> Callable[..., Any] | None:
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return getattr(view_class, method.lower(), None)
    return view
