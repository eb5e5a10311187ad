"""Targets for the sharing rows of the authorization matrix (tests/api/test_authorization.py).

Each ``prepare`` makes a fresh target per caller — a request of 省司法厅 (whose staff are no
caller of the matrix) for 省公安厅's published dataset, in the state the row needs — and
returns the path and the request's keyword arguments.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from catalog.actors import SYSTEM, Actor
from tests.api.conftest import ApiWorld
from tests.factories import JUSTICE
from tests.sharing.helpers import freeze, payload

Prepare = Callable[[ApiWorld, str], tuple[str, dict[str, Any]]]
JUSTICE_USER = "justice-matrix"


def _justice(api_world: ApiWorld) -> Actor:
    accounts = api_world.services.accounts
    if accounts.get_user(JUSTICE_USER) is None:
        accounts.create_user(SYSTEM, JUSTICE_USER, "justice-password", "staff",
                             department_code=JUSTICE)
    return accounts.authenticate(JUSTICE_USER, "justice-password")


def _request(api_world: ApiWorld, state: str) -> dict[str, Any]:
    freeze(api_world.services)
    sharing, w = api_world.services.sharing, api_world.world
    body = payload(api_world.published, target_system=f"司法行政系统-{uuid.uuid4().hex[:8]}")
    request = sharing.file(_justice(api_world), body)
    if state in ("pending_target", "granted"):
        request = sharing.decide(w.steward, request["id"], {"action": "approve"})
    if state == "granted":
        request = sharing.decide(w.reviewer, request["id"], {"action": "approve_target"})
    return request


def request_in(state: str, suffix: str = "", body: dict[str, Any] | None = None) -> Prepare:
    def prepare(api_world: ApiWorld, _role: str) -> tuple[str, dict[str, Any]]:
        request = _request(api_world, state)
        return f"/api/sharing-requests/{request['id']}{suffix}", \
            ({"json": body} if body is not None else {})
    return prepare


def grant_revoke(api_world: ApiWorld, _role: str) -> tuple[str, dict[str, Any]]:
    grant = _request(api_world, "granted")["grant"]
    return f"/api/grants/{grant['id']}/revoke", {"json": {"reason": "矩阵测试撤销授权"}}


def steward_note(api_world: ApiWorld, _role: str) -> tuple[str, dict[str, Any]]:
    request = _request(api_world, "pending_provider")
    inbox = api_world.services.sharing.inbox(api_world.world.steward)
    note = next(n for n in inbox["items"] if n["request_id"] == request["id"])
    return f"/api/inbox/{note['id']}/read", {}


def new_request(api_world: ApiWorld, role: str) -> tuple[str, dict[str, Any]]:
    freeze(api_world.services)
    body = payload(api_world.published, target_system=f"矩阵系统（{role}）-{uuid.uuid4().hex[:6]}")
    return "/api/sharing-requests", {"json": body}


def static(path: str, **kwargs: Any) -> Prepare:
    def prepare(api_world: ApiWorld, _role: str) -> tuple[str, dict[str, Any]]:
        freeze(api_world.services)
        return path, dict(kwargs)
    return prepare
