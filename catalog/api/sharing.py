"""/api/sharing-requests, /api/grants, /api/inbox and a dataset's sharing history."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from catalog import policy
from catalog.api.auth import current_actor, require, services
from catalog.api.contract import may_answer
from catalog.api.sharing_schemas import (
    AddressOutSchema,
    GrantOutSchema,
    GrantQuerySchema,
    HistoryEntrySchema,
    InboxQuerySchema,
    InboxSchema,
    NotificationSchema,
    RequestOutSchema,
    RequestPageSchema,
    RequestQuerySchema,
)
from catalog.sharing.inputs import AddressInput, DecisionInput, RequestInput, RevokeInput

blp = Blueprint("sharing", __name__, url_prefix="/api",
                description="数据共享申请、审核与授权 / sharing requests, review and grants")

_CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}
_CSV = {"200": {"description": "the grant register as CSV (UTF-8 with BOM)",
                "content": _CSV_CONTENT}}
_JSON_OR_CSV = {"200": {"description": "the grant register: JSON, or CSV (UTF-8 with BOM) "
                                       "with ``format=csv``",
                        "content": {"application/json": {"schema": GrantOutSchema(many=True)},
                                    **_CSV_CONTENT}}}


@blp.route("/sharing-requests")
class SharingRequests(MethodView):
    @require()
    @blp.arguments(RequestQuerySchema, location="query")
    @blp.response(200, RequestPageSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Requests you may see; ``filter``: mine, to_review (waiting for you) or escalated."""
        return services().sharing.list(current_actor(), **query)

    @require(*policy.roles_of("sharing.request"))
    @may_answer(409)
    @blp.arguments(RequestInput)
    @blp.response(201, RequestOutSchema)
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Request another department's published dataset for your department (无条件共享 is
        granted at once; 有条件共享 goes to the provider, who answers within the deadline).
        A 不予共享 dataset cannot be requested, only disputed (``kind: dispute``)."""
        return services().sharing.file(current_actor(), payload)


@blp.route("/sharing-requests/<request_id>", methods=["GET"])
@require()
@blp.response(200, RequestOutSchema)
def get_request(request_id: str) -> dict[str, Any]:
    """One request with its state, deadline and the actions open to you."""
    return services().sharing.get(current_actor(), request_id)


@blp.route("/sharing-requests/<request_id>/decisions", methods=["POST"])
@require()
@may_answer(409)
@blp.arguments(DecisionInput)
@blp.response(200, RequestOutSchema)
def decide(payload: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Take an action: approve, narrow, reject, approve_target, return, appeal, escalate or
    withdraw (409 when the action is not open in the request's state)."""
    return services().sharing.decide(current_actor(), request_id, payload)


def _csv(body: bytes) -> Response:
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=grants.csv"})


@blp.route("/grants", methods=["GET"])
@require()
@blp.arguments(GrantQuerySchema, location="query")
@blp.response(200, GrantOutSchema(many=True))
@blp.doc(responses=_JSON_OR_CSV)
def list_grants(query: dict[str, Any]) -> Any:
    """The grant register, by dataset and by department; ``format=csv`` exports it."""
    fmt = query.pop("format")
    if fmt == "csv":
        return _csv(services().sharing.grants_csv(current_actor(), **query))
    return services().sharing.grants(current_actor(), **query)


@blp.route("/grants.csv", methods=["GET"])
@require()
@blp.arguments(GrantQuerySchema, location="query")
@blp.doc(responses=_CSV)
def grants_csv(query: dict[str, Any]) -> Response:
    """The grant register as CSV (the same filters)."""
    query.pop("format")
    return _csv(services().sharing.grants_csv(current_actor(), **query))


@blp.route("/grants/<grant_id>/revoke", methods=["POST"])
@require(*policy.roles_of("grant.revoke"))
@may_answer(409)
@blp.arguments(RevokeInput)
@blp.response(200, GrantOutSchema)
def revoke(payload: dict[str, Any], grant_id: str) -> dict[str, Any]:
    """Revoke a grant with a reason (the provider's steward, or governance)."""
    return services().sharing.revoke(current_actor(), grant_id, payload)


@blp.route("/inbox", methods=["GET"])
@require()
@blp.arguments(InboxQuerySchema, location="query")
@blp.response(200, InboxSchema)
def inbox(query: dict[str, Any]) -> dict[str, Any]:
    """Your notifications: requests needing action, decisions, deadlines, expiring grants."""
    return services().sharing.inbox(current_actor(), **query)


@blp.route("/inbox/<int:notification_id>/read", methods=["POST"])
@require()
@blp.response(200, NotificationSchema)
def mark_read(notification_id: int) -> dict[str, Any]:
    """Mark one of your notifications read."""
    return services().sharing.mark_read(current_actor(), notification_id)


@blp.route("/inbox/address", methods=["PUT"])
@require()
@blp.arguments(AddressInput)
@blp.response(200, AddressOutSchema)
def set_address(payload: dict[str, Any]) -> dict[str, Any]:
    """Where your notifications are e-mailed when the deployment has SMTP (null: nowhere)."""
    return services().sharing.set_address(current_actor(), payload)


@blp.route("/datasets/<dataset_id>/sharing-history", methods=["GET"])
@require()
@blp.response(200, HistoryEntrySchema(many=True))
def sharing_history(dataset_id: str) -> list[Any]:
    """Every request, decision and grant of the dataset, from the audit log."""
    return services().sharing.history(current_actor(), dataset_id)
