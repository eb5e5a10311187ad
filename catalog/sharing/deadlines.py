"""The deadline run (``mulu requests overdue``, or any scheduler): escalate breached requests to
governance, flag those about to breach, warn of grants about to expire, expire the ended ones.

Idempotent: each request or grant is handled once per condition, each in its own transaction
under the same row lock a human decision takes, so a run racing a decision never overrides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.config import Settings
from catalog.db import SharingGrant, SharingRequest
from catalog.errors import MuluError
from catalog.sharing import grants, notify, requests
from catalog.sharing.requests import SCHEDULER, Moment
from catalog.sharing.views import NEAR_BREACH_DAYS, breached
from catalog.store import Store

GRANT_WARNING_DAYS = 5  # working days before a grant's last day


@dataclass
class DeadlineReport:
    escalated: list[str] = field(default_factory=list)
    near_breach: list[str] = field(default_factory=list)
    expiring: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    mailed: int = 0

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def run(store: Store, settings: Settings, at: Moment) -> DeadlineReport:
    report = DeadlineReport()
    with store.reading() as session:
        pending = list(session.scalars(select(SharingRequest.id).where(
            SharingRequest.state == "pending_provider", SharingRequest.deadline.is_not(None))
            .order_by(SharingRequest.deadline, SharingRequest.id)))
        live = list(session.scalars(select(SharingGrant.id).where(
            SharingGrant.revoked_at.is_(None), SharingGrant.expired_at.is_(None))))
    for request_id in pending:
        with store.transaction() as session:
            _request(session, settings, request_id, at, report)
    for grant_id in live:
        with store.transaction() as session:
            _grant(session, settings, grant_id, at, report)
    return report


def _request(session: Session, settings: Settings, request_id: str, at: Moment,
             report: DeadlineReport) -> None:
    request = requests.locked(session, request_id)
    if request is None or request.state != "pending_provider" or request.deadline is None:
        return  # decided meanwhile
    if breached(request, at.today):
        reason = (f"超过答复期限（{request.deadline.isoformat()}）未答复，自动提交治理审核。"
                  f" / No answer by the deadline ({request.deadline.isoformat()}); escalated.")
        try:
            requests.transition(session, settings, SCHEDULER, request, "escalate",
                                {"reason": reason}, at)
        except MuluError:  # pragma: no cover - the state was checked under the lock
            return
        report.escalated.append(request.id)
        return
    left = at.calendar.days_left(at.today, request.deadline)
    if left <= NEAR_BREACH_DAYS and not request.near_breach_notified:
        # a plain UPDATE: flagging is no decision and must not bump the request's version
        session.execute(update(SharingRequest).where(SharingRequest.id == request.id)
                        .values(near_breach_notified=True))
        notify.notify(session, settings, notify.stewards(session, request.provider_department_id),
                      requests.note(session, settings, request, "deadline_near",
                                    extra=f"\n剩余工作日 / Working days left: {left}"))
        report.near_breach.append(request.id)


def _grant(session: Session, settings: Settings, grant_id: str, at: Moment,
           report: DeadlineReport) -> None:
    grant = session.scalar(select(SharingGrant).where(SharingGrant.id == grant_id)
                           .with_for_update())
    if grant is None or grant.revoked_at is not None or grant.expired_at is not None:
        return
    if at.today > grant.period_end:
        grants.expire(session, SCHEDULER, grant, at.now)
        report.expired.append(grant.id)
        return
    warn_from = _working_days_before(at, grant.period_end, GRANT_WARNING_DAYS)
    if at.today >= warn_from and not grant.expiry_notified:
        grant.expiry_notified = True
        request = session.get_one(SharingRequest, grant.request_id)
        text = (f"授权 / Grant {grant.id}: {grant.target_system}\n"
                f"截止日期 / Ends on: {grant.period_end.isoformat()}\n"
                f"{notify.dataset_page(settings, grant.dataset_id)}")
        notify.notify(session, settings, [request.requester_id],
                      notify.Note("grant_expiring", text, request_id=request.id,
                                  grant_id=grant.id))
        report.expiring.append(grant.id)


def _working_days_before(at: Moment, day: date, count: int) -> date:
    """The date ``count`` working days before ``day`` (the warning starts then)."""
    current = day
    while count > 0:
        current -= timedelta(days=1)
        if at.calendar.is_workday(current):
            count -= 1
    return current
