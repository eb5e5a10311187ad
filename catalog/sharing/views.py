"""Requests and grants as a given actor sees them (plain dicts, ready for JSON or CSV)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.actors import Actor
from catalog.db import Dataset, DatasetRevision, Department, SharingGrant, SharingRequest, User
from catalog.sharing import machine
from catalog.sharing.workdays import WorkCalendar
from catalog.visibility import view_of

NEAR_BREACH_DAYS = 2  # working days left at which a request is flagged


def iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    return moment.isoformat()


def department(session: Session, department_id: int) -> dict[str, str]:
    found = session.get_one(Department, department_id)
    return {"code": found.code, "name": found.name}


def dataset_ref(session: Session, dataset_id: str, revision: int,
                actor: Actor | None = None) -> dict[str, Any]:
    """The dataset as it was requested: the published revision of that day (never a later,
    unpublished working copy) — its title and code only for an ``actor`` who may see the
    dataset (a member of either department may hold a clearance below its level)."""
    found = session.get_one(Dataset, dataset_id)
    if actor is not None and view_of(actor, found) is None:
        return {"id": found.id, "resource_code": "", "title": "", "withheld": True}
    data = session.scalar(select(DatasetRevision.data).where(
        DatasetRevision.dataset_id == dataset_id, DatasetRevision.number == revision)) or {}
    return {"id": found.id, "resource_code": found.resource_code,
            "title": data.get("title") or found.resource_code, "withheld": False}


# the provider's deadline matters while it runs, and after it was breached and escalated
TRACKED = machine.DEADLINE_STATES | {"escalated"}


def breached(request: SharingRequest, today: date) -> bool:
    return request.state in TRACKED and request.deadline is not None and today > request.deadline


def deadline_facts(request: SharingRequest, today: date, calendar: WorkCalendar) -> dict[str, Any]:
    tracked = request.state in TRACKED and request.deadline is not None
    left = calendar.days_left(today, request.deadline) if tracked and request.deadline else None
    late = breached(request, today)
    return {"deadline": iso(request.deadline) if tracked else None, "working_days_left": left,
            "breached": late, "near_breach": bool(tracked and not late and left is not None
                                                  and left <= NEAR_BREACH_DAYS),
            "escalated": request.state == "escalated"}


def actions(actor: Actor, request: SharingRequest, today: date) -> list[str]:
    found = machine.actions_for(actor, request)
    if not breached(request, today):
        found = [a for a in found if a not in machine.NEEDS_BREACH]
    return found


def request_view(session: Session, actor: Actor, request: SharingRequest, today: date,
                 calendar: WorkCalendar) -> dict[str, Any]:
    grant = session.scalar(select(SharingGrant).where(SharingGrant.request_id == request.id))
    requester = session.get(User, request.requester_id)
    return {
        "id": request.id, "kind": request.kind, "state": request.state,
        "version": request.version, "dataset": dataset_ref(session, request.dataset_id,
                                                            request.dataset_revision, actor),
        "dataset_revision": request.dataset_revision, "share_type": request.share_type,
        "provider_department": department(session, request.provider_department_id),
        "requester_department": department(session, request.requester_department_id),
        "requester": requester.username if requester else None,
        "purpose": request.purpose, "legal_duty": request.legal_duty,
        "data_items": list(request.data_items), "target_system": request.target_system,
        "period_start": iso(request.period_start), "period_end": iso(request.period_end),
        "contact": request.contact,
        "approved_items": list(request.approved_items) if request.approved_items else None,
        "approved_period_start": iso(request.approved_start),
        "approved_period_end": iso(request.approved_end),
        **deadline_facts(request, today, calendar),
        "reason": request.last_reason,
        "grant": grant_view(session, actor, grant, today) if grant else None,
        "allowed_actions": actions(actor, request, today),
        "created_at": iso(request.created_at), "updated_at": iso(request.updated_at),
    }


def grant_status(grant: SharingGrant, today: date) -> str:
    if grant.revoked_at is not None:
        return "revoked"
    if today > grant.period_end:
        return "expired"
    if today < grant.period_start:
        return "scheduled"
    return "active"


def grant_view(session: Session, actor: Actor, grant: SharingGrant,
               today: date) -> dict[str, Any]:
    return {
        "id": grant.id, "request_id": grant.request_id, "status": grant_status(grant, today),
        "dataset": dataset_ref(session, grant.dataset_id, session.get_one(
            SharingRequest, grant.request_id).dataset_revision, actor),
        "provider_department": department(session, grant.provider_department_id),
        "department": department(session, grant.department_id),
        "target_system": grant.target_system, "data_items": list(grant.data_items),
        "period_start": iso(grant.period_start), "period_end": iso(grant.period_end),
        "granted_by": grant.granted_by, "created_at": iso(grant.created_at),
        "revoked_at": iso(grant.revoked_at), "revoked_by": grant.revoked_by,
        "revoke_reason": grant.revoke_reason,
    }
