"""Who is calling: a bearer token (API) or the signed session cookie (UI); route role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request, session

from catalog.actors import ANONYMOUS, ROLE_LABELS, Actor
from catalog.errors import Forbidden, Message, NotAuthenticated
from catalog.services import Services

F = TypeVar("F", bound=Callable[..., Any])


def services() -> Services:
    return current_app.extensions["mulu"]


def current_actor() -> Actor:
    """The caller, resolved once per request."""
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
    user_id = session.get("user_id")
    actor = services().accounts.actor_for_user_id(user_id) if isinstance(user_id, int) else None
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
