"""Read side: which requests an actor sees, the "to review" list, and a dataset's history."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.actors import Actor
from catalog.conditions import any_of, to_sql
from catalog.db import AuditEntry, SharingGrant, SharingRequest
from catalog.sharing import machine

FILTERS = ("mine", "to_review", "escalated")


COLUMNS = {name: getattr(SharingRequest, name) for name in machine.REQUEST_FIELDS}


def visible(actor: Actor) -> ColumnElement[bool]:
    """The requests the actor sees (``machine.may_see`` over the table)."""
    return to_sql(policy.sharing_request_seen(actor), COLUMNS)


def to_review(actor: Actor) -> ColumnElement[bool]:
    """Requests waiting for a decision the actor may take: a relation of the actor's to the
    request, in a state where that relation has a deciding action."""
    relations = policy.request_relations(actor)
    return to_sql(any_of(*(policy.in_states(relations[role], machine.review_states(role))
                           for role in ("provider", "reviewer") if role in relations)), COLUMNS)


def review_role(actor: Actor) -> str | None:
    """Whose decisions the actor's "to review" list holds: ``provider`` (a steward answers for
    the department's data: 待我答复), ``reviewer`` (governance approves targets: 待我审核), or
    None (staff decide nothing). The same conditions as ``to_review``."""
    if actor.role in ("reviewer", "admin"):
        return "reviewer"
    if actor.role == "steward" and actor.department_id is not None:
        return "provider"
    return None


SORTS = ("newest", "deadline")


def ordered(query: Any, sort: str = "newest") -> Any:
    """``newest`` first, or the nearest ``deadline`` first (requests without one last)."""
    if sort == "deadline":
        return query.order_by(SharingRequest.deadline.asc().nulls_last(),
                              SharingRequest.created_at, SharingRequest.id)
    return query.order_by(SharingRequest.created_at.desc(), SharingRequest.id)


def request_query(actor: Actor, *, filter: str | None = None, state: str | None = None,
                  dataset: str | None = None) -> Any:
    query = select(SharingRequest).where(visible(actor))
    if filter == "mine":
        query = query.where(SharingRequest.requester_department_id == (actor.department_id or -1))
    elif filter == "to_review":
        query = query.where(to_review(actor))
    elif filter == "escalated":
        query = query.where(SharingRequest.state == "escalated")
    if state:
        query = query.where(SharingRequest.state == state)
    if dataset:
        query = query.where(SharingRequest.dataset_id == dataset)
    return query


def request_history(session: Session, request_id: str) -> list[dict[str, Any]]:
    """Every transition of one request and of its grant, oldest first (the caller checked
    that the actor may see the request)."""
    grant_ids = list(session.scalars(select(SharingGrant.id).where(
        SharingGrant.request_id == request_id)))
    entries = session.scalars(select(AuditEntry).where(or_(
        and_(AuditEntry.object_type == "sharing_request", AuditEntry.object_id == request_id),
        and_(AuditEntry.object_type == "sharing_grant", AuditEntry.object_id.in_(grant_ids)),
    )).order_by(AuditEntry.id))
    return [_entry(e) for e in entries]


def _entry(e: AuditEntry) -> dict[str, Any]:
    return {"at": e.at, "actor": e.actor, "action": e.action, "object_type": e.object_type,
            "object_id": e.object_id, "detail": json.loads(e.detail)}


def history(session: Session, actor: Actor, dataset_id: str, owner: bool) -> list[dict[str, Any]]:
    """Every sharing transition of the dataset's requests and grants the actor may see:
    all of them for the owning department and governance, else their own department's."""
    requests = select(SharingRequest.id).where(SharingRequest.dataset_id == dataset_id)
    if not owner:
        requests = requests.where(
            SharingRequest.requester_department_id == (actor.department_id or -1))
    request_ids = list(session.scalars(requests))
    grant_ids = list(session.scalars(select(SharingGrant.id).where(
        SharingGrant.request_id.in_(request_ids)))) if request_ids else []
    if not request_ids:
        return []
    entries = session.scalars(select(AuditEntry).where(or_(
        and_(AuditEntry.object_type == "sharing_request", AuditEntry.object_id.in_(request_ids)),
        and_(AuditEntry.object_type == "sharing_grant", AuditEntry.object_id.in_(grant_ids)),
    )).order_by(AuditEntry.id))
    return [_entry(e) for e in entries]
