"""Requests and grants as a given actor sees them (plain dicts, ready for JSON or CSV)."""

from __future__ import annotations

from collections.abc import Iterable
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


WITHHELD = {"resource_code": "", "title": "", "withheld": True}


def dataset_ref(session: Session, dataset_id: str, revision: int) -> dict[str, Any]:
    """The dataset as it was requested: the published revision of that day (never a later,
    unpublished working copy)."""
    found = session.get_one(Dataset, dataset_id)
    data = session.scalar(select(DatasetRevision.data).where(
        DatasetRevision.dataset_id == dataset_id, DatasetRevision.number == revision)) or {}
    return {"id": found.id, "resource_code": found.resource_code,
            "title": data.get("title") or found.resource_code, "withheld": False}


class Refs:
    """Departments, requesters and datasets-as-requested of a list of requests or grants,
    each loaded in one query (no query a row). A dataset's title and code are given only to an
    ``actor`` who may see the dataset: a member of either department may hold a clearance
    below its level."""

    def __init__(self, session: Session, requests: Iterable[SharingRequest],
                 actor: Actor | None = None):
        rows = list(requests)
        self.session = session
        self.hidden: set[str] = set()
        department_ids = {r.provider_department_id for r in rows} | \
            {r.requester_department_id for r in rows}
        self.departments = {d.id: {"code": d.code, "name": d.name} for d in session.scalars(
            select(Department).where(Department.id.in_(department_ids)))} if rows else {}
        user_ids = {r.requester_id for r in rows}
        self.users: dict[int, str] = {uid: name for uid, name in session.execute(
            select(User.id, User.username).where(User.id.in_(user_ids)))} if rows else {}
        wanted = {(r.dataset_id, r.dataset_revision) for r in rows}
        self.datasets: dict[tuple[str, int], dict[str, Any]] = {}
        if wanted:
            found = list(session.scalars(select(Dataset).where(
                Dataset.id.in_({d for d, _ in wanted}))))
            codes = {d.id: d.resource_code for d in found}
            if actor is not None:
                self.hidden = {d.id for d in found if view_of(actor, d) is None}
            for dataset_id, number, data in session.execute(
                    select(DatasetRevision.dataset_id, DatasetRevision.number,
                           DatasetRevision.data).where(
                        DatasetRevision.dataset_id.in_({d for d, _ in wanted}),
                        DatasetRevision.number.in_({n for _, n in wanted}))):
                if (dataset_id, number) in wanted:
                    self.datasets[(dataset_id, number)] = {
                        "id": dataset_id, "resource_code": codes[dataset_id],
                        "title": (data or {}).get("title") or codes[dataset_id],
                        "withheld": False}
            for dataset_id, number in wanted - self.datasets.keys():
                self.datasets[(dataset_id, number)] = dataset_ref(session, dataset_id, number)

    def department(self, department_id: int) -> dict[str, str]:
        return self.departments.get(department_id) or department(self.session, department_id)

    def dataset(self, request: SharingRequest) -> dict[str, Any]:
        if request.dataset_id in self.hidden:
            return {"id": request.dataset_id, **WITHHELD}
        return self.datasets[(request.dataset_id, request.dataset_revision)]


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
    return request_views(session, actor, [request], today, calendar)[0]


def request_views(session: Session, actor: Actor, requests: Iterable[SharingRequest],
                  today: date, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """Requests as the actor sees them, in a fixed number of queries however many."""
    rows = list(requests)
    if not rows:
        return []
    found = {g.request_id: g for g in session.scalars(select(SharingGrant).where(
        SharingGrant.request_id.in_([r.id for r in rows])))}
    refs = Refs(session, rows, actor)
    return [_request_view(actor, r, found.get(r.id), refs, today, calendar) for r in rows]


def _request_view(actor: Actor, request: SharingRequest, grant: SharingGrant | None, refs: Refs,
                  today: date, calendar: WorkCalendar) -> dict[str, Any]:
    return {
        "id": request.id, "kind": request.kind, "state": request.state,
        "version": request.version, "dataset": refs.dataset(request),
        "dataset_revision": request.dataset_revision, "share_type": request.share_type,
        "provider_department": refs.department(request.provider_department_id),
        "requester_department": refs.department(request.requester_department_id),
        "requester": refs.users.get(request.requester_id),
        "purpose": request.purpose, "legal_duty": request.legal_duty,
        "data_items": list(request.data_items), "needed": request.needed or "",
        "target_system": request.target_system,
        "period_start": iso(request.period_start), "period_end": iso(request.period_end),
        "contact": request.contact,
        "approved_items": list(request.approved_items)
        if request.approved_items is not None else None,
        "approved_period_start": iso(request.approved_start),
        "approved_period_end": iso(request.approved_end),
        **deadline_facts(request, today, calendar),
        "reason": request.last_reason,
        "grant": _grant_view(grant, request, refs, today) if grant else None,
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
    return grant_views(session, actor, [grant], today)[0]


def grant_views(session: Session, actor: Actor, grants: Iterable[SharingGrant],
                today: date) -> list[dict[str, Any]]:
    """Grants of the register, in a fixed number of queries however many."""
    rows = list(grants)
    if not rows:
        return []
    requests = {r.id: r for r in session.scalars(select(SharingRequest).where(
        SharingRequest.id.in_([g.request_id for g in rows])))}
    refs = Refs(session, requests.values(), actor)
    return [_grant_view(g, requests[g.request_id], refs, today) for g in rows]


def _grant_view(grant: SharingGrant, request: SharingRequest, refs: Refs,
                today: date) -> dict[str, Any]:
    return {
        "id": grant.id, "request_id": grant.request_id, "status": grant_status(grant, today),
        "dataset": refs.dataset(request),
        "provider_department": refs.department(grant.provider_department_id),
        "department": refs.department(grant.department_id),
        "target_system": grant.target_system, "data_items": list(grant.data_items),
        "needed": grant.needed or "",
        "period_start": iso(grant.period_start), "period_end": iso(grant.period_end),
        "granted_by": grant.granted_by, "created_at": iso(grant.created_at),
        "revoked_at": iso(grant.revoked_at), "revoked_by": grant.revoked_by,
        "revoke_reason": grant.revoke_reason,
    }
