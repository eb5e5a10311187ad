"""Turn every error into a clear response: JSON for /api, a page for the UI, never a traceback."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from catalog.errors import InvalidInput, Message, MuluError
from catalog.messages import flatten

log = logging.getLogger("mulu")

HTTP_MESSAGES: dict[int, Message] = {
    400: Message("请求格式有误。", "The request is malformed."),
    401: Message("请先登录。", "Please sign in."),
    403: Message("无权执行此操作。", "You may not do this."),
    404: Message("页面或资源不存在。", "Not found."),
    405: Message("不支持该请求方法。", "Method not allowed."),
    409: Message("与当前状态冲突。", "Conflicts with the current state."),
    413: Message("请求内容过大。", "The request body is too large."),
    415: Message("不支持的内容类型。", "Unsupported content type."),
    422: Message("输入有误，请修改后重试。", "The input is invalid."),
    429: Message("请求过于频繁，请稍后再试。", "Too many requests; try again later."),
    500: Message("服务器内部错误，已记录。", "Internal error; it has been logged."),
    503: Message("服务暂时繁忙，请稍后重试。", "Busy; retry shortly."),
}
BUSY = Message("目录正在写入大批数据（如全部导入的批量导入），请稍后重试。",
               "The catalog is storing a large batch (such as an all-or-none import); retry "
               "shortly.")


def _wants_json() -> bool:
    return request.path.startswith("/api") or request.blueprint == "export" \
        or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: Message, errors: dict[str, Any] | None = None) -> Response:
    if _wants_json():
        body: dict[str, Any] = {"code": status, "status": HTTP_MESSAGES.get(status, message).en,
                                "message": message.as_dict()}
        if errors:
            body["errors"] = errors
        response = jsonify(_encodable(body))
    else:
        response = Response(render_template("error.html", status=status, message=message,
                                            errors=errors or {}))
    response.status_code = status
    if status == 401 and request.path.startswith("/api"):
        response.headers["WWW-Authenticate"] = 'Bearer realm="mulu"'
    return response


def _encodable(value: Any) -> Any:
    """Lone surrogates (echoed from a malicious key) replaced, so the body encodes as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value


def _webargs_errors(data: dict[str, Any]) -> dict[str, Any]:
    messages = data.get("messages") or data.get("errors") or {}
    locations = messages if all(k in ("json", "query", "form", "files", "headers", "view_args")
                                for k in messages) else {"json": messages}
    flat: dict[str, list[Any]] = {}
    for location, found in locations.items():
        prefix = "" if location == "json" else location
        for name, msgs in flatten(found, prefix).items():
            flat.setdefault(name, []).extend(m.as_dict() for m in msgs)
    return flat


def _refuse_unreadable_json() -> Response | None:
    """Before any view: a JSON body that Python's parser chokes on (numbers of thousands of
    digits, nesting thousands deep, bytes that are not UTF-8) is a 400, not a 500."""
    if not request.is_json or not request.get_data(cache=True):
        return None
    try:
        json.loads(request.get_data(cache=True).decode("utf-8"))
    except (ValueError, RecursionError):
        return error_response(400, Message("请求体不是有效的 UTF-8 JSON。",
                                           "The body is not valid UTF-8 JSON."))
    return None


def install(app: Flask) -> None:
    app.before_request(_refuse_unreadable_json)

    @app.errorhandler(MuluError)
    def _mulu_error(error: MuluError) -> Response:
        errors = error.as_dict() if isinstance(error, InvalidInput) else None
        response = error_response(error.status, error.message, errors)
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int):
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        data = getattr(error, "data", None)
        if status == 422 and isinstance(data, dict):
            return error_response(422, HTTP_MESSAGES[422], _webargs_errors(data))
        if status == 400 and isinstance(data, dict) and data.get("messages"):
            return error_response(400, HTTP_MESSAGES[400], _webargs_errors(data))
        message = HTTP_MESSAGES.get(status) or Message(error.name, error.name)
        return error_response(status, message)

    @app.errorhandler(OperationalError)
    def _store_error(error: OperationalError) -> Response:
        if "database is locked" in str(error.orig):   # SQLite: one writer at a time
            log.warning("store busy on %s %s: %s", request.method, request.path, error.orig)
            response = error_response(503, BUSY)
            response.headers["Retry-After"] = "5"
            return response
        return _unexpected(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, HTTP_MESSAGES[500])
