"""Filing a request and moving it through the state machine, inside the caller's transaction.

Every transition goes through ``transition``: it looks the move up in machine.TRANSITIONS,
applies separation of duties, records the audit entry, the outbox event and the
notifications, and creates the grant when the request ends ``granted``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from catalog import audit, policy
from catalog.actors import Actor
from catalog.config import Settings
from catalog.db import Dataset, DatasetRevision, Department, OutboxEvent, SharingRequest
from catalog.errors import Conflict, FieldErrors, Forbidden, InvalidInput, Message, field_error
from catalog.sharing import grants, machine, notify, rules, views
from catalog.sharing.grants import create_grant
from catalog.sharing.views import breached
from catalog.sharing.workdays import WorkCalendar, local_date
from catalog.visibility import view_of

SCHEDULER = Actor(None, "scheduler", "system", None, "public")
OPEN_STATES = tuple(s for s in machine.STATES if s not in machine.FINAL)


@dataclass(frozen=True)
class Moment:
    """When a call happens (injectable for tests) and the calendar its deadlines use."""

    now: datetime
    calendar: WorkCalendar

    @property
    def today(self) -> date:
        return local_date(self.now)


def file_request(session: Session, settings: Settings, actor: Actor, values: dict[str, Any],
                 at: Moment) -> SharingRequest:
    """Check, place and announce a new request (a grant at once for 无条件共享)."""
    policy.check(actor, "sharing.request")   # the dataset's own department: below
    dataset = _requestable_dataset(session, actor, values["dataset_id"])
    record = session.scalars(select(DatasetRevision.data).where(
        DatasetRevision.dataset_id == dataset.id,
        DatasetRevision.number == dataset.published_revision)).one()
    _check_request(session, actor, dataset, record, values, at)
    request = _place(session, settings, actor, dataset, record["share_type"], values, at)
    if request.state == "granted":
        create_grant(session, request, actor, at.now)
    _after(session, settings, actor, request, None, at)
    return request


def _requestable_dataset(session: Session, actor: Actor, dataset_id: str) -> Dataset:
    dataset = session.get(Dataset, dataset_id) if rules.is_uuid(dataset_id) else None
    if dataset is None or view_of(actor, dataset) is None:
        raise field_error("dataset_id", "信息资源不存在或无权查看。",
                          "No such dataset, or you may not see it.")
    if dataset.published_revision is None or dataset.state == "withdrawn":
        raise field_error("dataset_id", "只能申请已发布的信息资源。",
                          "Only published datasets can be requested.")
    if dataset.department_id == actor.department_id:
        raise field_error("dataset_id", "不能申请本部门的信息资源。",
                          "Your department already holds this dataset.")
    return dataset


def _check_request(session: Session, actor: Actor, dataset: Dataset, record: dict[str, Any],
                   values: dict[str, Any], at: Moment) -> None:
    """不予共享 only by dispute, the request's own rules, no second open request."""
    if values["kind"] == "request" and record["share_type"] == "none":
        basis = record.get("share_basis") or "—"
        raise Conflict(Message(f"该信息资源不予共享（依据：{basis}），不能申请；如有异议，可向治理审核员"
                               "提出（kind: dispute）。",
                               f"This dataset is not shared (basis: {basis}); it cannot be "
                               "requested, only disputed with the governance reviewers "
                               "(kind: dispute)."))
    errors = rules.check_request(values, record, at.today)
    if errors:
        raise InvalidInput(errors)
    duplicate = session.scalar(select(SharingRequest.id).where(
        SharingRequest.dataset_id == dataset.id,
        SharingRequest.requester_department_id == actor.department_id,
        SharingRequest.target_system == values["target_system"],
        SharingRequest.state.in_(OPEN_STATES)))
    grants.check_not_held(session, actor.department_id or -1, dataset.id,
                          values["target_system"], values["data_items"], values["period_end"],
                          at.today)
    if duplicate:
        raise Conflict(Message(f"本部门已为该系统提出同一资源的申请（{duplicate}），尚在办理中。",
                               f"Your department has an open request for this dataset and "
                               f"system ({duplicate})."))


def _place(session: Session, settings: Settings, actor: Actor, dataset: Dataset,
           share_type: str, values: dict[str, Any], at: Moment) -> SharingRequest:
    """The new request row in its first state, with its audit entry."""
    kind = values["kind"]
    state = machine.INITIAL["dispute" if kind == "dispute" else share_type]
    request = SharingRequest(
        id=str(uuid.uuid4()), kind=kind, dataset_id=dataset.id,
        dataset_revision=dataset.published_revision, share_type=share_type,
        provider_department_id=dataset.department_id,
        requester_department_id=actor.department_id, requester_id=actor.user_id,
        purpose=values["purpose"], legal_duty=values["legal_duty"],
        data_items=values["data_items"], needed=values["needed"],
        target_system=values["target_system"],
        period_start=values["period_start"] or at.today, period_end=values["period_end"],
        contact=values["contact"], state=state, last_reason=values["reason"],
        deadline=at.calendar.add(at.today, settings.sharing_deadline_days)
        if state in machine.DEADLINE_STATES else None,
        created_at=at.now, updated_at=at.now)
    session.add(request)
    session.flush()
    codes = _codes(session, request)
    audit.record(session, actor, "sharing.file", "sharing_request", request.id,
                 dataset=dataset.id, kind=kind, to=state, share_type=share_type,
                 items=request.data_items, needed=request.needed,
                 target_system=request.target_system,
                 period=[request.period_start.isoformat(), request.period_end.isoformat()],
                 deadline=request.deadline.isoformat() if request.deadline else None,
                 reason=request.last_reason, effective=at.now.isoformat(), **codes)
    return request


def locked(session: Session, request_id: str) -> SharingRequest | None:
    if not rules.is_uuid(request_id):
        return None
    return session.scalar(select(SharingRequest).where(SharingRequest.id == request_id)
                          .with_for_update())


def transition(session: Session, settings: Settings, actor: Actor, request: SharingRequest,
               action: str, values: dict[str, Any], at: Moment) -> SharingRequest:
    """Apply ``action``; raise Conflict (illegal here), Forbidden (not yours), InvalidInput."""
    targets = machine.allowed(request.state, action)
    if not targets:
        raise Conflict(Message(f"当前状态（{request.state}）不能执行 {action} 操作。",
                               f"'{action}' is not allowed while the request is "
                               f"'{request.state}'."))
    roles = machine.roles_of(actor, request)
    role = next((r for r in machine.ROLES if r in roles and r in targets), None)
    if role is None:
        raise Forbidden(rules.refusal(actor, request, action, set(targets)))
    if action in machine.NEEDS_BREACH and not breached(request, at.today):
        raise Conflict(Message(f"申请尚未超过答复期限（{request.deadline}），不能升级。",
                               f"The request is not overdue yet (deadline {request.deadline})."))
    reason = values.get("reason", "")
    errors: FieldErrors = {}
    if action in machine.NEEDS_REASON and not reason:
        errors["reason"] = [Message("该操作必须说明理由。", f"'{action}' needs a reason.")]
    narrowed = rules.check_decision(action, values, request, errors)
    if errors:
        raise InvalidInput(errors)
    previous, target = request.state, targets[role]
    if action in ("approve", "narrow"):
        items, start, end = narrowed
        request.approved_items, request.approved_start, request.approved_end = items, start, end
    if action == "return":
        request.approved_items = request.approved_start = request.approved_end = None
        request.deadline = at.calendar.add(at.today, settings.sharing_deadline_days)
        request.near_breach_notified = False
    request.state = target
    request.last_reason = reason
    request.updated_at = at.now
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(Message("申请已被他人处理，请刷新后重试。",
                               "Someone else decided the request meanwhile; reload it.")) from None
    detail: dict[str, Any] = {"dataset": request.dataset_id, "from": previous, "to": target,
                              "role": role, "reason": reason, "version": request.version,
                              "effective": at.now.isoformat()}
    if action == "narrow":
        detail.update(items=request.approved_items,
                      period=[request.approved_start.isoformat() if request.approved_start else None,
                              request.approved_end.isoformat() if request.approved_end else None])
    if action == "return":
        detail["deadline"] = request.deadline.isoformat() if request.deadline else None
    audit.record(session, actor, f"sharing.{action}", "sharing_request", request.id, **detail)
    if target == "granted":
        create_grant(session, request, actor, at.now)
    _after(session, settings, actor, request, previous, at)
    return request


def _codes(session: Session, request: SharingRequest) -> dict[str, str]:
    return {"provider_department": session.get_one(Department,
                                                   request.provider_department_id).code,
            "requester_department": session.get_one(Department,
                                                    request.requester_department_id).code}


# who hears of a request entering a state: (audience, notification kind)
NOTICES: dict[str, tuple[tuple[str, str], ...]] = {
    "pending_provider": (("provider", "action_needed"),),
    "pending_target": (("reviewer", "action_needed"), ("requester", "decided")),
    "rejected": (("requester", "decided"),),
    "appealed": (("reviewer", "action_needed"),),
    "disputed": (("reviewer", "action_needed"),),
    "escalated": (("reviewer", "action_needed"), ("provider", "deadline_breached"),
                  ("requester", "deadline_breached")),
    "granted": (("requester", "decided"), ("provider", "decided")),
    "refused": (("requester", "decided"),),
    "withdrawn": (("provider", "decided"),),
}


def audience(session: Session, request: SharingRequest, who: str) -> list[int]:
    if who == "provider":
        return notify.stewards(session, request.provider_department_id)
    if who == "reviewer":
        return notify.reviewers(session, request)
    return [request.requester_id]


def note(session: Session, settings: Settings, request: SharingRequest, kind: str, *,
         extra: str = "", grant_id: str | None = None) -> notify.Note:
    """A notification about ``request``: its facts — and the same facts without the dataset's
    title and code, for a recipient who may not see the dataset (a clearance below its level)."""
    return notify.Note(kind, describe(session, settings, request) + extra, request_id=request.id,
                       grant_id=grant_id, dataset_id=request.dataset_id,
                       withheld_text=describe(session, settings, request, withheld=True) + extra)


def describe(session: Session, settings: Settings, request: SharingRequest, *,
             withheld: bool = False) -> str:
    dataset = session.get_one(Dataset, request.dataset_id)
    codes = {d.id: d.name for d in session.scalars(select(Department).where(Department.id.in_(
        [request.provider_department_id, request.requester_department_id])))}
    title = views.dataset_ref(session, dataset.id, request.dataset_revision)["title"]
    shown = "（超出您的密级，不予显示 / above your clearance: not shown）" if withheld \
        else f"{title} ({dataset.resource_code})"
    lines = [f"信息资源 / Dataset: {shown}",
             f"申请部门 / Requested by: {codes[request.requester_department_id]}",
             f"提供部门 / Provided by: {codes[request.provider_department_id]}",
             f"状态 / State: {request.state}", f"申请编号 / Request: {request.id}"]
    if request.state in machine.DEADLINE_STATES and request.deadline:
        lines.append(f"答复期限 / Deadline: {request.deadline.isoformat()}")
    if request.last_reason:
        lines.append(f"理由 / Reason: {request.last_reason}")
    lines.append(notify.request_page(settings, request.id))
    lines.append(notify.dataset_page(settings, request.dataset_id))
    return "\n".join(lines)


def _after(session: Session, settings: Settings, actor: Actor, request: SharingRequest,
           previous: str | None, at: Moment) -> None:
    session.add(OutboxEvent(topic="sharing.changed", object_id=request.id,
                            payload={"id": request.id, "dataset_id": request.dataset_id,
                                     "state": request.state, "previous": previous}))
    for who, kind in NOTICES.get(request.state, ()):
        notify.notify(session, settings, audience(session, request, who),
                      note(session, settings, request, kind), skip=actor.user_id)

