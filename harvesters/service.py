"""Harvest use cases: register and approve sources, run and queue jobs, read their reports.

Stewards register sources of their own department; a governance reviewer or an administrator
approves a source before its first run (never its own, nor one of the reviewer's department).
Records of an approved source are published without per-record review and are still checked
against every domain rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select

from catalog import audit
from catalog.actors import Actor
from catalog.datasets import DatasetService, iso_utc
from catalog.db import Department, HarvestItem, HarvestJob, HarvestSource, utcnow
from catalog.departments import writable_department
from catalog.errors import Conflict, Forbidden, Message, NotFound, field_error
from catalog.messages import invalid_from_marshmallow
from catalog.store import Store
from harvesters import jobs, report
from harvesters.registry import HARVESTERS
from harvesters.run import JobRun, Progress
from harvesters.sources import SourceInput

SEE_ALL = ("admin", "reviewer")


@dataclass
class SourceView:
    id: int
    name: str
    type: str
    url: str
    department_code: str
    department_name: str
    schedule: str
    state: str
    config: dict[str, Any]
    created_by: str
    approved_by: str
    approved_at: str | None
    review_note: str
    next_run_at: str | None
    created_at: str
    last_job: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _not_found() -> NotFound:
    return NotFound(Message("采集数据源或任务不存在，或无权查看。",
                            "No such harvest source or job, or you may not see it."))


class HarvestService:
    def __init__(self, store: Store, datasets: DatasetService):
        self.store = store
        self.datasets = datasets

    # -- sources ----------------------------------------------------------------------------
    def add_source(self, actor: Actor, data: Any, *, allow_file: bool = False) -> SourceView:
        if actor.role not in ("steward", "admin"):
            raise Forbidden(Message("只有部门数据管理员可以登记采集数据源。",
                                    "Only department data stewards register harvest sources."))
        try:
            values = SourceInput().load(data if isinstance(data, dict) else {})
        except ValidationError as exc:
            raise invalid_from_marshmallow(exc.messages) from None
        url = values["url"]
        if not url.startswith(("http://", "https://")):
            if not allow_file or values["type"] != "spreadsheet":
                raise field_error("url", "数据源地址应为 http(s) 网址（文件只能经命令行登记为目录表数据源）。",
                                  "The URL must be http(s); only spreadsheet sources registered "
                                  "from the command line may be a file.")
            if not Path(url).is_file():
                raise field_error("url", "文件不存在。", "No such file.")
            url = str(Path(url).resolve())
        with self.store.transaction() as session:
            department = self._department(session, actor, values["department_code"])
            codes = set(session.scalars(select(Department.code)))
            missing = sorted(set((values["config"].get("organizations") or {}).values()) - codes)
            if missing:
                raise field_error("config.organizations", f"部门代码不存在：{'、'.join(missing)}",
                                  f"Unknown department codes: {', '.join(missing)}")
            source = HarvestSource(
                name=values["name"] or url.rsplit("/", 1)[-1][:200] or url[:200],
                type=values["type"], url=url, department_id=department.id,
                config=values["config"], schedule=values["schedule"], state="pending",
                created_by=actor.user_id, created_by_name=actor.username)
            session.add(source)
            session.flush()
            audit.record(session, actor, "harvest_source.create", "harvest_source",
                         str(source.id), type=source.type, url=source.url,
                         department=department.code)
            return self._view(session, source)

    def _department(self, session: Any, actor: Actor, code: str | None) -> Department:
        return writable_department(session, actor, code, own_only=Message(
            "只能为本部门登记采集数据源。", "You can only register sources of your own department."))

    def review_source(self, actor: Actor, source_id: int, action: str = "approve",
                      note: str = "") -> SourceView:
        if actor.role not in ("reviewer", "admin"):
            raise Forbidden(Message("只有治理审核员或管理员可以审批采集数据源。",
                                    "Only governance reviewers and administrators approve sources."))
        if action not in ("approve", "reject"):
            raise field_error("action", "操作应为 approve 或 reject。", "The action is approve or reject.")
        if action == "reject" and not note.strip():
            raise field_error("note", "驳回必须说明理由。", "A rejection needs a reason.")
        with self.store.transaction() as session:
            source = self._source(session, actor, source_id, lock=True)
            if source.created_by is not None and source.created_by == actor.user_id:
                raise Forbidden(Message("不能审批自己登记的数据源。", "You cannot approve your own source."))
            if actor.role == "reviewer" and actor.department_id == source.department_id:
                raise Forbidden(Message("不能审批本部门的数据源。",
                                        "You cannot approve your own department's source."))
            if source.state != "pending":
                raise Conflict(Message(f"数据源当前状态为 {source.state}，不在待审批状态。",
                                       f"The source is {source.state}, not pending."))
            source.state = "approved" if action == "approve" else "rejected"
            source.approved_by_name, source.review_note = actor.username, note.strip()
            source.approved_at = source.updated_at = utcnow()
            if source.state == "approved" and jobs.SCHEDULES.get(source.schedule):
                source.next_run_at = utcnow()
            audit.record(session, actor, f"harvest_source.{action}", "harvest_source",
                         str(source.id), note=note.strip())
            return self._view(session, source)

    def list_sources(self, actor: Actor) -> list[SourceView]:
        with self.store.reading() as session:
            query = select(HarvestSource).order_by(HarvestSource.id)
            if actor.role not in SEE_ALL:
                query = query.where(HarvestSource.department_id == actor.department_id)
            return [self._view(session, s) for s in session.scalars(query)]

    def get_source(self, actor: Actor, source_id: int) -> SourceView:
        with self.store.reading() as session:
            return self._view(session, self._source(session, actor, source_id))

    # -- jobs -------------------------------------------------------------------------------
    def run(self, actor: Actor, source_id: int, *, dry_run: bool = False, full: bool = False,
            limit: int | None = None, progress: Progress | None = None,
            sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
        """Run a job here and now; returns its report (whatever its records' outcomes)."""
        job_id = self._new_job(actor, source_id, "running", dry_run, full, limit)
        return self.execute(job_id, progress=progress, sleep=sleep)

    def enqueue(self, actor: Actor, source_id: int, *, dry_run: bool = False, full: bool = False,
                limit: int | None = None) -> dict[str, Any]:
        job_id = self._new_job(actor, source_id, "queued", dry_run, full, limit)
        return self.report(actor, job_id)

    def execute(self, job_id: int, *, progress: Progress | None = None,
                sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
        JobRun(self.store, self.datasets, job_id, HARVESTERS, sleep=sleep,
               progress=progress).execute()
        with self.store.reading() as session:
            return report.build(session, job_id)

    def _new_job(self, actor: Actor, source_id: int, status: str, dry_run: bool, full: bool,
                 limit: int | None) -> int:
        with self.store.reading() as session:
            source = self._source(session, actor, source_id)
            if actor.role not in ("steward", "admin"):
                raise Forbidden(Message("只有本部门数据管理员或管理员可以运行采集。",
                                        "Only the department's stewards and administrators run "
                                        "harvests."))
            if source.state != "approved":
                raise Conflict(Message("数据源尚未通过审批，不能运行。",
                                       "The source is not approved; it cannot run yet."))
        return jobs.create(self.store, source_id, status=status, requested_by=actor.username,
                           dry_run=dry_run, full=full, item_limit=limit)

    def jobs(self, actor: Actor, source_id: int) -> list[dict[str, Any]]:
        with self.store.reading() as session:
            self._source(session, actor, source_id)
            rows = session.scalars(select(HarvestJob).where(HarvestJob.source_id == source_id)
                                   .order_by(HarvestJob.id.desc()).limit(100))
            return [_job_brief(j) for j in rows]

    def report(self, actor: Actor, job_id: int) -> dict[str, Any]:
        with self.store.reading() as session:
            job = session.get(HarvestJob, job_id)
            if job is None:
                raise _not_found()
            self._source(session, actor, job.source_id)
            return report.build(session, job_id)

    def items(self, actor: Actor, job_id: int, *, outcome: str | None = None,
              error_type: str | None = None, page: int = 1,
              page_size: int = 50) -> dict[str, Any]:
        with self.store.reading() as session:
            job = session.get(HarvestJob, job_id)
            if job is None:
                raise _not_found()
            self._source(session, actor, job.source_id)
            query = select(HarvestItem).where(HarvestItem.job_id == job_id)
            if outcome:
                query = query.where(HarvestItem.outcome == outcome)
            if error_type:
                query = query.where(HarvestItem.error_type == error_type)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(query.order_by(HarvestItem.id)
                                   .offset((page - 1) * page_size).limit(page_size))
            return {"items": [_item(i) for i in rows], "total": total, "page": page,
                    "page_size": page_size}

    # -- helpers ----------------------------------------------------------------------------
    def _source(self, session: Any, actor: Actor, source_id: int, *,
                lock: bool = False) -> HarvestSource:
        query = select(HarvestSource).where(HarvestSource.id == source_id)
        source = session.scalar(query.with_for_update() if lock else query)
        if source is None or not (actor.role in SEE_ALL or (
                actor.department_id is not None and actor.department_id == source.department_id
                and actor.role in ("steward", "staff"))):
            raise _not_found()
        return source

    @staticmethod
    def _view(session: Any, source: HarvestSource) -> SourceView:
        department = session.get_one(Department, source.department_id)
        last = session.scalar(select(HarvestJob).where(HarvestJob.source_id == source.id)
                              .order_by(HarvestJob.id.desc()).limit(1))
        return SourceView(
            source.id, source.name, source.type, source.url, department.code, department.name,
            source.schedule, source.state, dict(source.config), source.created_by_name,
            source.approved_by_name, _iso(source.approved_at), source.review_note,
            _iso(source.next_run_at), iso_utc(source.created_at),
            _job_brief(last) if last else None)


def _iso(moment: Any) -> str | None:
    return iso_utc(moment) if moment else None


def _job_brief(job: HarvestJob) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "dry_run": job.dry_run,
            "created_at": iso_utc(job.created_at), "started_at": _iso(job.started_at),
            "finished_at": _iso(job.finished_at), "counts": dict(job.counts or {}),
            "listing_complete": job.listing_complete, "error": job.error}


def _item(item: HarvestItem) -> dict[str, Any]:
    return {"id": item.id, "kind": item.kind, "remote_id": item.remote_id,
            "outcome": item.outcome, "error_type": item.error_type, "reason": item.reason,
            "dataset_id": item.dataset_id, "raw": item.raw}
