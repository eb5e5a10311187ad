"""/api/health, /api/departments, /api/users, /api/tokens, /api/me."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text

from catalog import policy
from catalog.api.auth import current_actor, require, services
from catalog.api.calendar import WarningSchema
from catalog.api.schemas import (
    DepartmentOutSchema,
    TokenCreateSchema,
    TokenSchema,
    UnlockResultSchema,
    UnlockSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from catalog.departments import DepartmentInput

blp = Blueprint("admin", __name__, url_prefix="/api", description="部门、用户与令牌 / departments, users, tokens")


class _StoreHealthSchema(Schema):
    backend = fields.String(metadata={"enum": ["sqlite", "postgresql"]})
    ok = fields.Boolean()


class _CalendarHealthSchema(Schema):
    ok = fields.Boolean()
    warnings = fields.List(fields.Nested(WarningSchema))


class _SearchHealthSchema(Schema):
    backend = fields.String(metadata={"enum": ["sqlite", "elasticsearch"]})


class HealthSchema(Schema):
    status = fields.String(metadata={"enum": ["ok", "warning", "degraded"]})
    store = fields.Nested(_StoreHealthSchema)
    calendar = fields.Nested(_CalendarHealthSchema)
    search = fields.Nested(_SearchHealthSchema)
    network = fields.String(metadata={"enum": ["internet", "extranet", "intranet"]})
    security_ceiling = fields.String()


@blp.route("/health", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="the store does not answer (degraded)")
def health() -> tuple[dict[str, Any], int]:
    """Liveness and the configured store and search backends."""
    settings = services().settings
    try:
        with services().store.reading() as session:
            session.execute(text("SELECT 1"))
        store_ok = True
    except Exception:  # noqa: BLE001 - health reports, never raises
        store_ok = False
    calendar = _calendar_health() if store_ok else {"ok": False, "warnings": []}
    body = {"status": ("ok" if calendar["ok"] else "warning") if store_ok else "degraded",
            "store": {"backend": settings.store_backend, "ok": store_ok},
            "calendar": calendar,
            "search": {"backend": settings.search_backend},
            "network": settings.network, "security_ceiling": settings.security_ceiling}
    return body, 200 if store_ok else 503


def _calendar_health() -> dict[str, Any]:
    """The working-day calendar's warnings (next year missing from November, sources
    disagreeing): the service stays up (200), but monitoring sees ``status: warning``."""
    result = services().calendar.status()
    return {"ok": result.ok, "warnings": [w.as_dict() for w in result.warnings]}


@blp.route("/departments")
class Departments(MethodView):
    @blp.response(200, DepartmentOutSchema(many=True))
    def get(self) -> list[Any]:
        """All departments."""
        return [d.as_dict() for d in services().departments.list()]

    @require(*policy.roles_of("department.manage"))
    @blp.arguments(DepartmentInput)
    @blp.response(201, DepartmentOutSchema)
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create a department (administrators)."""
        return services().departments.create(current_actor(), payload).as_dict()


@blp.route("/users")
class Users(MethodView):
    @require(*policy.roles_of("user.manage"))
    @blp.response(200, UserSchema(many=True))
    def get(self) -> list[Any]:
        """All users (administrators)."""
        return [u.as_dict() for u in services().accounts.list_users(current_actor())]

    @require(*policy.roles_of("user.manage"))
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create a user (administrators)."""
        return services().accounts.create_user(
            current_actor(), payload["username"], payload["password"], payload["role"],
            department_code=payload["department_code"], display_name=payload["display_name"],
            clearance=payload["clearance"]).as_dict()


@blp.route("/users/<username>", methods=["PATCH"])
@require(*policy.roles_of("user.manage"))
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(payload: dict[str, Any], username: str) -> dict[str, Any]:
    """Change a user (administrators): a new password, role, department, clearance or
    active flag ends the user's signed-in sessions at once."""
    return services().accounts.update_user(current_actor(), username, payload).as_dict()


@blp.route("/users/<username>/unlock", methods=["POST"])
@require(*policy.roles_of("user.manage"))
@blp.arguments(UnlockSchema)
@blp.response(200, UnlockResultSchema)
def unlock_user(payload: dict[str, Any], username: str) -> dict[str, Any]:
    """Clear a user's failed sign-ins and lock (administrators); with ``address``, that
    address's too."""
    return services().accounts.unlock(current_actor(), username, payload["address"]).as_dict()


@blp.route("/me", methods=["GET"])
@require()
@blp.response(200, UserSchema)
def me() -> dict[str, Any]:
    """The signed-in user."""
    user = services().accounts.get_user(current_actor().username)
    assert user is not None
    return user.as_dict()


@blp.route("/tokens", methods=["POST"])
@require()
@blp.arguments(TokenCreateSchema)
@blp.response(201, TokenSchema)
def create_token(payload: dict[str, Any]) -> dict[str, Any]:
    """A new bearer token for yourself; shown once."""
    actor = current_actor()
    return {"token": services().accounts.create_token(actor, actor.username, payload["name"]),
            "username": actor.username}
