"""Sharing use cases: file, decide, read and list requests; grants; the inbox; deadlines.

Every call takes an explicit actor and runs in one transaction (audit entry, outbox event and
inbox rows included); e-mail goes out after the commit. ``clock`` is injectable: tests freeze
time by setting it (or by passing ``now``), never by sleeping.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from catalog import audit, policy
from catalog.actors import Actor
from catalog.config import Settings
from catalog.db import (
    Dataset,
    Notification,
    NotificationAddress,
    SharingGrant,
    SharingRequest,
    WorkdayOverride,
)
from catalog.errors import Conflict, Forbidden, InvalidInput, Message, NotAuthenticated, NotFound
from catalog.sharing import (
    calendar,
    deadlines,
    grants,
    inputs,
    machine,
    notify,
    queries,
    requests,
    views,
)
from catalog.sharing.calendar import require_admin
from catalog.sharing.requests import Moment
from catalog.sharing.rules import is_uuid
from catalog.sharing.workdays import load_calendar
from catalog.store import Store
from catalog.visibility import view_of

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class SharingService:
    def __init__(self, store: Store, clock: Clock | None = None,
                 mailer: notify.Mailer | None = None):
        self.store = store
        self.clock: Clock = clock or utc_now
        self.mailer = mailer if mailer is not None else notify.mailer_for(store.settings)

    @property
    def settings(self) -> Settings:
        return self.store.settings

    def _moment(self, session: Any, now: datetime | None = None) -> Moment:
        return Moment(now or self.clock(), load_calendar(session))

    # -- requests ---------------------------------------------------------------------------
    def file(self, actor: Actor, data: Any) -> dict[str, Any]:
        """File a request (or a dispute); 无条件共享 is granted at once."""
        _signed_in(actor)
        values = inputs.load(inputs.RequestInput, data)
        with self.store.transaction() as session:
            at = self._moment(session)
            request = requests.file_request(session, self.settings, actor, values, at)
            view = views.request_view(session, actor, request, at.today, at.calendar)
        self.deliver()
        return view

    def decide(self, actor: Actor, request_id: str, data: Any) -> dict[str, Any]:
        """Take one action of the state machine; exactly one of two racing decisions wins."""
        _signed_in(actor)
        values = inputs.load(inputs.DecisionInput, data)
        with self.store.transaction() as session:
            at = self._moment(session)
            request = requests.locked(session, request_id)
            if request is None or not machine.may_see(actor, request):
                raise _no_request()
            if values["version"] is not None and values["version"] != request.version:
                raise _stale(request)
            requests.transition(session, self.settings, actor, request, values["action"],
                                values, at)
            view = views.request_view(session, actor, request, at.today, at.calendar)
        self.deliver()
        return view

    def get(self, actor: Actor, request_id: str) -> dict[str, Any]:
        _signed_in(actor)
        with self.store.reading() as session:
            request = session.get(SharingRequest, request_id) if is_uuid(request_id) else None
            if request is None or not machine.may_see(actor, request):
                raise _no_request()
            at = self._moment(session)
            return views.request_view(session, actor, request, at.today, at.calendar)

    def list(self, actor: Actor, *, filter: str | None = None, state: str | None = None,
             dataset: str | None = None, sort: str = "newest", page: int = 1,
             page_size: int = 20) -> dict[str, Any]:
        """A page of the requests the actor sees; ``sort``: newest first, or by deadline."""
        _signed_in(actor)
        query = queries.request_query(actor, filter=filter, state=state, dataset=dataset)
        with self.store.reading() as session:
            at = self._moment(session)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(queries.ordered(query, sort)
                                   .offset((page - 1) * page_size).limit(page_size))
            items = views.request_views(session, actor, rows, at.today, at.calendar)
        return {"items": items, "total": total, "page": page, "page_size": page_size}

    def request_history(self, actor: Actor, request_id: str) -> builtins.list[dict[str, Any]]:
        """One request's transitions and its grant's, from the audit log."""
        _signed_in(actor)
        with self.store.reading() as session:
            request = session.get(SharingRequest, request_id) if is_uuid(request_id) else None
            if request is None or not machine.may_see(actor, request):
                raise _no_request()
            return queries.request_history(session, request.id)

    def history(self, actor: Actor, dataset_id: str) -> builtins.list[dict[str, Any]]:
        """The dataset's sharing history (requests, decisions, grants) from the audit log."""
        _signed_in(actor)
        with self.store.reading() as session:
            dataset = session.get(Dataset, dataset_id) if is_uuid(dataset_id) else None
            if dataset is None or view_of(actor, dataset) is None:
                raise NotFound(Message("信息资源不存在或无权查看。",
                                       "No such dataset, or you may not see it."))
            owner = policy.may(actor, "sharing.history.full", policy.Subject(dataset.department_id))
            return queries.history(session, actor, dataset.id, owner)

    # -- deadlines --------------------------------------------------------------------------
    def run_deadlines(self, now: datetime | None = None) -> deadlines.DeadlineReport:
        """Escalate breached requests, flag near breaches, warn of and expire grants."""
        with self.store.reading() as session:
            at = self._moment(session, now)
            calendar.log_warnings(calendar.status(session, at.today))
        report = deadlines.run(self.store, self.settings, at)
        report.mailed = self.deliver()
        return report

    def overdue(self, actor: Actor, now: datetime | None = None) -> builtins.list[dict[str, Any]]:
        """Breached requests: escalated ones, and any past their deadline not yet escalated."""
        query = queries.request_query(actor).where(SharingRequest.state.in_(
            ["escalated", *machine.DEADLINE_STATES]))
        with self.store.reading() as session:
            at = self._moment(session, now)
            found = views.request_views(
                session, actor, session.scalars(query.order_by(SharingRequest.deadline,
                                                               SharingRequest.id)),
                at.today, at.calendar)
        return [v for v in found if v["escalated"] or v["breached"]]

    # -- grants -----------------------------------------------------------------------------
    def grants(self, actor: Actor, **filters: str | None) -> builtins.list[dict[str, Any]]:
        _signed_in(actor)
        with self.store.reading() as session:
            at = self._moment(session)
            query = grants.register_query(actor, at.today, **filters)
            return views.grant_views(session, actor, session.scalars(query), at.today)

    def grants_page(self, actor: Actor, *, page: int = 1, page_size: int = 20,
                    **filters: str | None) -> dict[str, Any]:
        """A page of the register, and which of its grants the actor may revoke now."""
        _signed_in(actor)
        with self.store.reading() as session:
            at = self._moment(session)
            query = grants.register_query(actor, at.today, **filters)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(session.scalars(query.offset((page - 1) * page_size).limit(page_size)))
            revocable = [g.id for g in rows if grants.may_revoke(actor, g)
                         and g.revoked_at is None and at.today <= g.period_end]
            items = views.grant_views(session, actor, rows, at.today)
        return {"items": items, "total": total, "page": page, "page_size": page_size,
                "revocable": revocable}

    def held_grants(self, actor: Actor, dataset_id: str) -> builtins.list[dict[str, Any]]:
        """The live grants of a dataset the actor's department holds (none without one)."""
        _signed_in(actor)
        if actor.department_id is None or not is_uuid(dataset_id):
            return []
        with self.store.reading() as session:
            at = self._moment(session)
            return views.grant_views(session, actor, grants.held(session, actor.department_id,
                                                          dataset_id, at.today), at.today)

    def grants_csv(self, actor: Actor, **filters: str | None) -> bytes:
        return grants.to_csv(self.grants(actor, **filters))

    def revoke(self, actor: Actor, grant_id: str, data: Any) -> dict[str, Any]:
        _signed_in(actor)
        values = inputs.load(inputs.RevokeInput, data)
        with self.store.transaction() as session:
            at = self._moment(session)
            grant = session.scalar(select(SharingGrant).where(SharingGrant.id == grant_id)
                                   .with_for_update()) if is_uuid(grant_id) else None
            if grant is None or not grants.may_see(actor, grant):
                raise NotFound(Message("授权不存在或无权查看。", "No such grant, or you may not see it."))
            grants.revoke(session, actor, grant, values["reason"], at.now, at.today)
            request = session.get_one(SharingRequest, grant.request_id)
            notify.notify(session, self.settings, [request.requester_id], requests.note(
                session, self.settings, request, "decided", grant_id=grant.id,
                extra=f"\n授权已撤销 / Grant revoked: {values['reason']}"), skip=actor.user_id)
            view = views.grant_view(session, actor, grant, at.today)
        self.deliver()
        return view

    # -- inbox ------------------------------------------------------------------------------
    def inbox(self, actor: Actor, *, unread: bool = False, limit: int = 50,
              page: int = 1) -> dict[str, Any]:
        """Your notifications, newest first, ``limit`` a page; ``total`` of the listing."""
        _signed_in(actor)
        mine = Notification.user_id == actor.user_id
        with self.store.reading() as session:
            query = select(Notification).where(mine)
            if unread:
                query = query.where(Notification.read_at.is_(None))
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(session.scalars(query.order_by(Notification.id.desc())
                                        .offset((page - 1) * limit).limit(limit)))
            items = [_note(n, self._withheld_body(session, actor, n)) for n in rows]
            count = session.scalar(select(func.count()).where(
                mine, Notification.read_at.is_(None))) or 0
            email = session.scalar(select(NotificationAddress.email).where(
                NotificationAddress.user_id == actor.user_id))
        return {"items": items, "unread": count, "email": email, "total": total}

    def unread_count(self, actor: Actor) -> int:
        """How many of your notifications are unread (0 when signed out)."""
        if not actor.is_authenticated or actor.user_id is None:
            return 0
        with self.store.reading() as session:
            return session.scalar(select(func.count()).where(
                Notification.user_id == actor.user_id, Notification.read_at.is_(None))) or 0

    def mark_all_read(self, actor: Actor) -> int:
        """Mark every unread notification of yours read; return how many."""
        _signed_in(actor)
        with self.store.transaction() as session:
            done = session.execute(update(Notification).where(
                Notification.user_id == actor.user_id, Notification.read_at.is_(None))
                .values(read_at=self.clock()))
            return int(done.rowcount or 0)  # type: ignore[attr-defined]

    def _withheld_body(self, session: Session, actor: Actor, note: Notification) -> str | None:
        """The note without its dataset's content when the reader may no longer see the
        dataset (a clearance lowered, a deployment moved to a lower network); None: as sent."""
        request = session.get(SharingRequest, note.request_id) if note.request_id else None
        if request is None or view_of(actor, session.get_one(Dataset, request.dataset_id)):
            return None
        return requests.describe(session, self.settings, request, withheld=True)

    def mark_read(self, actor: Actor, note_id: int) -> dict[str, Any]:
        _signed_in(actor)
        with self.store.transaction() as session:
            note = session.get(Notification, note_id)
            if note is None or note.user_id != actor.user_id:
                raise NotFound(Message("通知不存在。", "No such notification."))
            if note.read_at is None:
                session.execute(update(Notification).where(Notification.id == note_id)
                                .values(read_at=self.clock()))
                session.refresh(note)
            return _note(note, self._withheld_body(session, actor, note))

    def set_address(self, actor: Actor, data: Any) -> dict[str, Any]:
        """Where your notifications are e-mailed (null: inbox only)."""
        _signed_in(actor)
        if actor.user_id is None:
            raise Forbidden(Message("该账户不能接收通知。", "This account receives no notifications."))
        email = inputs.load(inputs.AddressInput, data)["email"]
        with self.store.transaction() as session:
            row = session.get(NotificationAddress, actor.user_id)
            if email is None and row is not None:
                session.delete(row)
            elif email is not None and row is None:
                session.add(NotificationAddress(user_id=actor.user_id, email=email))
            elif email is not None and row is not None:
                row.email = email
                row.updated_at = self.clock()
        return {"email": email}

    def deliver(self) -> int:
        """Send pending notification e-mail (best effort; failures stay queued)."""
        return notify.deliver(self.store, self.mailer)

    # -- the deployment's calendar ------------------------------------------------------------
    def add_workdays(self, start: date, days: int) -> date:
        if not 0 <= days <= 3650:
            raise InvalidInput({"days": [Message("工作日数应在 0 至 3650 之间。",
                                                 "Working days must be between 0 and 3650.")]})
        with self.store.reading() as session:
            return load_calendar(session).add(start, days)

    def set_workday(self, actor: Actor, day: date, workday: bool | None, note: str = "") -> None:
        """Make ``day`` a working day or a day off in this deployment (None: the official
        calendar again). Deadlines already running keep the date they were given."""
        require_admin(actor)
        with self.store.transaction() as session:
            row = session.get(WorkdayOverride, day)
            if row is not None:
                session.delete(row)
                session.flush()
            if workday is not None:
                session.add(WorkdayOverride(day=day, workday=workday, note=note[:200]))
            audit.record(session, actor, "calendar.set", "calendar", day.isoformat(),
                         workday=workday, note=note[:200])

    def workday_overrides(self) -> builtins.list[tuple[date, bool, str]]:
        with self.store.reading() as session:
            return [tuple(r) for r in session.execute(  # type: ignore[misc]
                select(WorkdayOverride.day, WorkdayOverride.workday, WorkdayOverride.note)
                .order_by(WorkdayOverride.day))]


def _signed_in(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise NotAuthenticated(Message("请先登录。", "Please sign in."))


def _no_request() -> NotFound:
    return NotFound(Message("共享申请不存在或无权查看。", "No such sharing request, or you may not see it."))


def _stale(request: SharingRequest) -> Conflict:
    return Conflict(Message(f"申请已变更（当前版本 {request.version}），请刷新后重试。",
                            f"The request changed meanwhile (now version {request.version}); "
                            "reload it."))


def _note(note: Notification, withheld_body: str | None = None) -> dict[str, Any]:
    return {"id": note.id, "kind": note.kind, "subject": note.subject,
            "body": note.body if withheld_body is None else withheld_body,
            "request_id": note.request_id, "grant_id": note.grant_id,
            "created_at": views.iso(note.created_at), "read_at": views.iso(note.read_at),
            "mail_state": note.mail_state}
