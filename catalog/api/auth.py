"""Who is calling: a bearer token (API) or the signed-in session cookie (UI); route role
checks; the CSRF token that proves a cookie-carried request came from Mulu's own pages."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request, session

from catalog.actors import ANONYMOUS, ROLE_LABELS, Actor
from catalog.errors import Forbidden, Message, NotAuthenticated
from catalog.services import Services

F = TypeVar("F", bound=Callable[..., Any])

SESSION_KEY = "session_key"   # in the signed cookie: the key of a server-side session
CSRF_FIELD = "csrf_token"     # hidden form field of the web pages, and the cookie's value
CSRF_HEADER = "X-CSRF-Token"  # what a cookie-authenticated unsafe API call must send
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def services() -> Services:
    return current_app.extensions["mulu"]


def csrf_token() -> str:
    """The session's CSRF token (hidden form fields, the pages' ``csrf-token`` meta tag),
    made on first use."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_matches(given: object) -> bool:
    expected = session.get(CSRF_FIELD)
    if not isinstance(expected, str) or not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def current_actor() -> Actor:
    """The caller, resolved once per request.

    A bearer token is the API's credential. The session cookie counts on the API too (the
    pages' own scripts read with it), but an unsafe API call made with it must carry the
    session's CSRF token in ``X-CSRF-Token`` — a form or script of another site cannot.
    """
    if "actor" in g:
        return g.actor
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated(Message("Authorization 头应为 “Bearer 令牌”。",
                                           "The Authorization header must be 'Bearer <token>'."))
        g.actor = services().accounts.actor_for_token(token.strip())
        return g.actor
    key = session.get(SESSION_KEY)
    actor = services().accounts.actor_for_session(key) if isinstance(key, str) else None
    if actor is None and key is not None:
        session.pop(SESSION_KEY, None)  # ended or expired: the cookie forgets it
    if actor is not None and request.path.startswith("/api/") \
            and request.method not in SAFE_METHODS and not csrf_matches(
                request.headers.get(CSRF_HEADER)):
        raise Forbidden(Message(
            f"用会话 Cookie 调用接口写入时须带 {CSRF_HEADER} 头（页面 csrf-token 的值），"
            "或改用 Bearer 令牌。",
            f"An API write made with the session cookie needs the {CSRF_HEADER} header (the "
            "page's csrf-token), or use a bearer token."))
    g.actor = actor or ANONYMOUS
    return g.actor


def require(*roles: str) -> Callable[[F], F]:
    """Route guard: 401 for anonymous callers, 403 for a role not in ``roles``.

    With no roles, any signed-in user passes.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if not actor.is_authenticated:
                raise NotAuthenticated(Message("请先登录。", "Please sign in."))
            if roles and actor.role not in roles:
                needed = "、".join(ROLE_LABELS[r][0] for r in roles)
                raise Forbidden(Message(f"需要以下角色之一：{needed}。",
                                        f"This needs one of the roles: {', '.join(roles)}."))
            return view(*args, **kwargs)

        wrapper.required_roles = roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
