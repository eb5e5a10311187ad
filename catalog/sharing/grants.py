"""Grants: what an approved request allows, until it expires or is revoked; the register."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from catalog import audit, policy
from catalog.actors import Actor
from catalog.conditions import evaluate, row_of, to_sql
from catalog.db import Department, OutboxEvent, SharingGrant, SharingRequest
from catalog.errors import Conflict, Message

GRANT_STATUSES = ("active", "scheduled", "expired", "revoked")
EXPIRING = "expiring"   # register_query(status=EXPIRING): active grants warned of their end


def create_grant(session: Session, request: SharingRequest, actor: Actor,
                 now: datetime) -> SharingGrant:
    grant = SharingGrant(
        id=str(uuid.uuid4()), request_id=request.id, dataset_id=request.dataset_id,
        provider_department_id=request.provider_department_id,
        department_id=request.requester_department_id, target_system=request.target_system,
        needed=request.needed, data_items=list(request.approved_items or request.data_items),
        period_start=request.approved_start or request.period_start,
        period_end=request.approved_end or request.period_end,
        granted_by=actor.username, created_at=now)
    session.add(grant)
    session.flush()
    audit.record(session, actor, "grant.create", "sharing_grant", grant.id,
                 dataset=grant.dataset_id, request=request.id, items=grant.data_items,
                 target_system=grant.target_system,
                 period=[grant.period_start.isoformat(), grant.period_end.isoformat()],
                 effective=now.isoformat())
    _emit(session, grant, "created")
    return grant


GRANT_COLUMNS = {"department_id": SharingGrant.department_id,
                 "provider_department_id": SharingGrant.provider_department_id}


class AlreadyGranted(Conflict):
    """The department holds a live grant covering what it asks for again."""

    def __init__(self, message: Message, grant_id: str):
        super().__init__(message)
        self.grant_id = grant_id


def live(today: date) -> ColumnElement[bool]:
    """Grants in force today or later: not revoked, not ended."""
    return and_(SharingGrant.revoked_at.is_(None), SharingGrant.period_end >= today)


def held(session: Session, department_id: int, dataset_id: str,
         today: date) -> list[SharingGrant]:
    """The department's live grants of the dataset, newest first."""
    return list(session.scalars(select(SharingGrant).where(
        SharingGrant.department_id == department_id, SharingGrant.dataset_id == dataset_id,
        live(today)).order_by(SharingGrant.created_at.desc(), SharingGrant.id)))


def check_not_held(session: Session, department_id: int, dataset_id: str, target_system: str,
                   items: list[str], period_end: date, today: date) -> None:
    """Refuse a request a live grant of the department already covers: same dataset and
    system, every item asked for (the whole resource covers any), until the end asked for."""
    for grant in held(session, department_id, dataset_id, today):
        covers = not grant.data_items or (bool(items) and set(items) <= set(grant.data_items))
        if grant.target_system == target_system and covers and period_end <= grant.period_end:
            raise AlreadyGranted(Message(
                f"本部门已获该资源的共享授权（{grant.id}，{grant.target_system}，至 "
                f"{grant.period_end.isoformat()}），无需再次申请。",
                f"Your department already holds a grant of this dataset ({grant.id}, "
                f"{grant.target_system}, until {grant.period_end.isoformat()}); no new "
                "request is needed."), grant.id)


def may_revoke(actor: Actor, grant: SharingGrant) -> bool:
    """The providing department's steward, or governance (``catalog.policy``)."""
    return policy.may(actor, "grant.revoke", policy.Subject(grant.provider_department_id))


def may_see(actor: Actor, grant: SharingGrant) -> bool:
    return evaluate(policy.grant_seen(actor), row_of(grant, GRANT_COLUMNS))


def revoke(session: Session, actor: Actor, grant: SharingGrant, reason: str, now: datetime,
           today: date) -> SharingGrant:
    policy.check(actor, "grant.revoke", policy.Subject(grant.provider_department_id))
    if grant.revoked_at is not None:
        raise Conflict(Message("该授权已撤销。", "The grant is already revoked."))
    if today > grant.period_end:
        raise Conflict(Message("该授权已到期，无需撤销。", "The grant has expired already."))
    grant.revoked_at = now
    grant.revoked_by = actor.username
    grant.revoke_reason = reason
    audit.record(session, actor, "grant.revoke", "sharing_grant", grant.id,
                 dataset=grant.dataset_id, request=grant.request_id, reason=reason,
                 effective=now.isoformat())
    _emit(session, grant, "revoked")
    return grant


def expire(session: Session, actor: Actor, grant: SharingGrant, now: datetime) -> None:
    grant.expired_at = now
    audit.record(session, actor, "grant.expire", "sharing_grant", grant.id,
                 dataset=grant.dataset_id, request=grant.request_id,
                 period_end=grant.period_end.isoformat(), effective=now.isoformat())
    _emit(session, grant, "expired")


def _emit(session: Session, grant: SharingGrant, change: str) -> None:
    session.add(OutboxEvent(topic="sharing.grant", object_id=grant.id,
                            payload={"id": grant.id, "dataset_id": grant.dataset_id,
                                     "change": change}))


def register_query(actor: Actor, today: date, *, dataset: str | None = None,
                   department: str | None = None, provider: str | None = None,
                   status: str | None = None) -> Any:
    """The grants the actor may see, filtered; newest first."""
    query = select(SharingGrant).where(_visible(actor))
    if dataset:
        query = query.where(SharingGrant.dataset_id == dataset)
    if department:
        query = query.where(SharingGrant.department_id == _department_id(department))
    if provider:
        query = query.where(SharingGrant.provider_department_id == _department_id(provider))
    if status:
        query = query.where(_status(status, today))
    return query.order_by(SharingGrant.created_at.desc(), SharingGrant.id)


def _department_id(code: str) -> Any:
    return select(Department.id).where(Department.code == code).scalar_subquery()


def _visible(actor: Actor) -> ColumnElement[bool]:
    return to_sql(policy.grant_seen(actor), GRANT_COLUMNS)


def _status(status: str, today: date) -> ColumnElement[bool]:
    live = SharingGrant.revoked_at.is_(None)
    return {
        "revoked": SharingGrant.revoked_at.is_not(None),
        "expired": and_(live, SharingGrant.period_end < today),
        "scheduled": and_(live, SharingGrant.period_start > today),
        "active": and_(live, SharingGrant.period_start <= today, SharingGrant.period_end >= today),
        # a filter, not a status a grant shows: active ones the deadline job warned of expiry
        EXPIRING: and_(live, SharingGrant.period_start <= today, SharingGrant.period_end >= today,
                       SharingGrant.expiry_notified.is_(True)),
    }[status]


CSV_COLUMNS = (
    ("id", "授权编号"), ("status", "状态"), ("resource_code", "信息资源代码"),
    ("title", "信息资源名称"), ("provider", "提供部门"), ("department", "使用部门"),
    ("target_system", "目标系统"), ("data_items", "信息项"), ("period_start", "起始日期"),
    ("period_end", "截止日期"), ("granted_by", "批准人"), ("created_at", "授权时间"),
    ("revoked_at", "撤销时间"), ("revoke_reason", "撤销原因"),
)
STATUS_ZH = {"active": "有效", "scheduled": "未生效", "expired": "已到期", "revoked": "已撤销"}


def to_csv(views: list[dict[str, Any]]) -> bytes:
    """The register as CSV: Chinese headers, UTF-8 with BOM (opens in Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{zh} ({key})" for key, zh in CSV_COLUMNS])
    for view in views:
        row = {**view, "status": STATUS_ZH[view["status"]],
               "resource_code": view["dataset"]["resource_code"],
               "title": view["dataset"]["title"], "provider": view["provider_department"]["name"],
               "department": view["department"]["name"],
               "data_items": "、".join(view["data_items"])}
        writer.writerow([_cell(row.get(key)) for key, _ in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> str:
    """A cell Excel will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
