"""Harvest use cases: register and approve sources, run and queue jobs, read their reports.

Stewards register sources of their own department; a governance reviewer or an administrator
approves a source before its first run (never its own, nor one of the reviewer's department).
Records of an approved source are published without per-record review and are still checked
against every domain rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy import func, select, update

from catalog import audit, policy
from catalog.actors import SYSTEM, Actor
from catalog.datasets import DatasetService, iso_utc
from catalog.db import Department, HarvestItem, HarvestJob, HarvestSource, utcnow
from catalog.departments import writable_department
from catalog.errors import Conflict, Message, NotFound, field_error
from catalog.messages import invalid_from_marshmallow
from catalog.spreadsheet.budget import Budget
from catalog.store import Store
from catalog.visibility import department_work, working_copies_seen
from harvesters import errors, jobs, provenance, report, rights, uploads
from harvesters.addresses import AddressGuard
from harvesters.registry import HARVESTERS
from harvesters.run import JobRun, Progress
from harvesters.sources import REVIEWED, SourceChanges, SourceInput
from harvesters.uploads import SpreadsheetUpload


@dataclass
class SourceView:
    id: int
    name: str
    type: str
    url: str
    file_name: str
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
    # what the rules of harvesters.rights look at; not part of the API's view
    department_id: int = field(default=0, repr=False)
    created_by_id: int | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()
                if k not in ("department_id", "created_by_id")}

    def actions(self, actor: Actor) -> rights.SourceActions:
        """What ``actor`` may do with this source now (the rules the service enforces)."""
        return rights.actions_for(actor, self.state, self.department_id, self.created_by_id)


@dataclass
class SourcePage:
    """One page of the sources an actor may see, newest last (by id)."""

    items: list[SourceView]
    total: int
    page: int
    page_size: int


def _not_found() -> NotFound:
    return NotFound(Message("采集数据源或任务不存在，或无权查看。",
                            "No such harvest source or job, or you may not see it."))


class HarvestService:
    def __init__(self, store: Store, datasets: DatasetService):
        self.store = store
        self.datasets = datasets

    # -- sources ----------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.store.settings.data_dir

    def add_source(self, actor: Actor, data: Any, *, allow_file: bool = False,
                   upload: SpreadsheetUpload | None = None) -> SourceView:
        """Register a source: an http(s) ``url``, or an ``upload`` (a spreadsheet kept in the
        data dir). ``allow_file``: a local spreadsheet path read in place (tests, demo)."""
        policy.check(actor, "source.register")
        values = _load(SourceInput(), data)
        url = self._checked_url(values["url"], values["type"], upload, allow_file=allow_file)
        stored = ""
        if upload is not None:  # another department's steward is refused before the file is read
            with self.store.reading() as session:
                self._department(session, actor, values["department_code"])
            stored = uploads.store(self.data_dir, upload, values["config"],
                                   max_bytes=self.store.settings.max_sheet_bytes,
                                   budget=Budget.inline(self.store.settings))
        try:
            with self.store.transaction() as session:
                department = self._department(session, actor, values["department_code"])
                _check_organizations(session, values["config"])
                url = stored or url
                file_name = upload.display_name if upload is not None else ""
                source = HarvestSource(
                    name=values["name"] or file_name or url.rsplit("/", 1)[-1][:200] or url[:200],
                    type=values["type"], url=url, file_name=file_name,
                    department_id=department.id, config=values["config"],
                    schedule=values["schedule"], state="pending", created_by=actor.user_id,
                    created_by_name=actor.username)
                session.add(source)
                session.flush()
                audit.record(session, actor, "harvest_source.create", "harvest_source",
                             str(source.id), type=source.type, url=source.url,
                             file_name=file_name, department=department.code)
                return self._view(session, source)
        except BaseException:
            if stored:  # nothing registered: no orphan file either
                uploads.delete(self.data_dir, stored)
            raise

    def _checked_url(self, url: str | None, type_: str, upload: SpreadsheetUpload | None, *,
                     allow_file: bool) -> str:
        """The url as given, once it is one a source of ``type_`` may have ("" for an upload)."""
        if upload is not None:
            if url:
                raise field_error("url", "地址和上传文件只能给出一个。",
                                  "Give either a URL or a file, not both.")
            if type_ != "spreadsheet":
                raise field_error("type", "上传文件的数据源类型应为 spreadsheet（目录表）。",
                                  "A source with an uploaded file is of type spreadsheet.")
            return ""
        if not url:
            raise field_error("url", "请填写数据源地址或上传目录表文件。",
                              "Give the source's URL or upload a spreadsheet file.")
        if url.startswith(("http://", "https://")):
            self._check_address(url)
            return url
        if not allow_file or type_ != "spreadsheet" or uploads.is_reference(url):
            raise uploads.not_a_file()
        if not Path(url).is_file():
            raise field_error("url", "文件不存在。", "No such file.")
        return str(Path(url).resolve())

    def edit_source(self, actor: Actor, source_id: int, data: Any, *,
                    upload: SpreadsheetUpload | None = None,
                    allow_file: bool = False) -> SourceView:
        """Change a source: the fields given (``config`` replaced whole), or its file.

        A new type, address, file or configuration is a new source to the reviewer: an
        approved (or rejected) source goes back to pending and its queued jobs are cancelled; a
        new name or schedule needs no approval. A running job goes on with what it read at its
        start; the change applies from the next run."""
        changes = _load(SourceChanges(), data)
        with self.store.reading() as session:
            current = self._source(session, actor, source_id)
            policy.check(actor, "source.change")
            type_ = changes.get("type", current.type)
            config = changes.get("config", current.config)
            url = current_url = current.url
            if "url" in changes or upload is not None:
                url = self._checked_url(changes.get("url"), type_, upload, allow_file=allow_file)
            elif type_ != "spreadsheet" and not url.startswith(("http://", "https://")):
                raise field_error("type", "文件数据源只能是 spreadsheet 类型；请同时给出新地址。",
                                  "A file source is a spreadsheet; give a new URL too.")
        stored = ""
        if upload is not None:
            if uploads.same_content(self.data_dir, current_url, upload):
                url = current_url  # the very same bytes: nothing to review again
            else:
                stored = url = uploads.store(self.data_dir, upload, config,
                                             max_bytes=self.store.settings.max_sheet_bytes,
                                             budget=Budget.inline(self.store.settings))
        try:
            view, replaced = self._apply_edit(actor, source_id, changes, url, upload)
        except BaseException:
            if stored:
                uploads.delete(self.data_dir, stored)
            raise
        if replaced:
            uploads.delete(self.data_dir, replaced)
        return view

    def _apply_edit(self, actor: Actor, source_id: int, changes: dict[str, Any], url: str,
                    upload: SpreadsheetUpload | None) -> tuple[SourceView, str]:
        """Store the edit; returns the view and the upload no longer used ("" if none or if a
        running job may still read it)."""
        with self.store.transaction() as session:
            source = self._source(session, actor, source_id, lock=True)
            if "config" in changes:
                _check_organizations(session, changes["config"])
            wanted = {**changes, "url": url}
            changed: list[str] = [name for name in ("type", "url", "name", "schedule", "config")
                       if name in wanted and wanted[name] != getattr(source, name)]
            file_name = upload.display_name if upload is not None else (
                source.file_name if url == source.url else "")
            if file_name != source.file_name:
                changed.append("file_name")
            if not changed:
                return self._view(session, source), ""
            old_url = source.url
            for name in changed:
                setattr(source, name, file_name if name == "file_name" else wanted[name])
            review_again = any(name in REVIEWED for name in changed)
            cancelled: list[int] = []
            if review_again and source.state in ("approved", "rejected", "disabled"):
                if source.state != "disabled":
                    source.state = "pending"
                source.approved_by_name, source.review_note = "", ""
                source.approved_at = source.next_run_at = None
                cancelled = _cancel_queued(session, source.id, Message(
                    "数据源已修改，待重新审批；排队的任务已取消。",
                    "The source changed and awaits approval again; its queued job was cancelled."))
            elif "schedule" in changed and source.state == "approved":
                source.next_run_at = _next_run(session, source)
            source.updated_at = utcnow()
            running = session.scalar(select(func.count()).select_from(HarvestJob).where(
                HarvestJob.source_id == source.id, HarvestJob.status == "running")) or 0
            audit.record(session, actor, "harvest_source.update", "harvest_source",
                         str(source.id), changed=changed, review_again=review_again,
                         state=source.state, url=source.url, cancelled_jobs=cancelled,
                         running_job=bool(running))
            replaced = old_url if old_url != source.url and not running else ""
            return self._view(session, source), replaced if uploads.is_reference(replaced) else ""

    def set_enabled(self, actor: Actor, source_id: int, enabled: bool) -> SourceView:
        """Disable a source (it never runs; queued jobs are cancelled) or enable it again (as
        approved if it was, else pending)."""
        with self.store.transaction() as session:
            source = self._source(session, actor, source_id, lock=True)
            policy.check(actor, "source.change")
            if enabled:
                if source.state != "disabled":
                    raise Conflict(Message(f"数据源当前状态为 {source.state}，未停用。",
                                           f"The source is {source.state}, not disabled."))
                source.state = "approved" if source.approved_at else "pending"
                if source.state == "approved" and jobs.SCHEDULES.get(source.schedule):
                    source.next_run_at = _next_run(session, source)
                cancelled: list[int] = []
            else:
                if source.state not in rights.DISABLEABLE:
                    raise Conflict(Message(f"数据源当前状态为 {source.state}，不能停用。",
                                           f"The source is {source.state}; it cannot be "
                                           "disabled."))
                source.state, source.next_run_at = "disabled", None
                cancelled = _cancel_queued(session, source.id, Message(
                    "数据源已停用；排队的任务已取消。",
                    "The source was disabled; its queued job was cancelled."))
            source.updated_at = utcnow()
            audit.record(session, actor, "harvest_source." + ("enable" if enabled else "disable"),
                         "harvest_source", str(source.id), state=source.state,
                         cancelled_jobs=cancelled)
            return self._view(session, source)

    def _department(self, session: Any, actor: Actor, code: str | None) -> Department:
        return writable_department(session, actor, code, own_only=Message(
            "只能为本部门登记采集数据源。", "You can only register sources of your own department."))

    def _check_address(self, url: str) -> None:
        """A URL whose address a harvest may not reach is refused at once (the fetch checks the
        address it resolves to again, every time)."""
        try:
            AddressGuard.from_settings(self.store.settings).check_url(url)
        except errors.AddressRefused as exc:
            raise field_error("url", exc.message.zh, exc.message.en) from None

    def review_source(self, actor: Actor, source_id: int, action: str = "approve",
                      note: str = "") -> SourceView:
        policy.check(actor, "source.review")
        if action not in ("approve", "reject"):
            raise field_error("action", "操作应为 approve 或 reject。", "The action is approve or reject.")
        if action == "reject" and not note.strip():
            raise field_error("note", "驳回必须说明理由。", "A rejection needs a reason.")
        with self.store.transaction() as session:
            source = self._source(session, actor, source_id, lock=True)
            policy.check(actor, "source.review",
                         policy.Subject(source.department_id, source.created_by))
            if source.state != "pending":
                raise Conflict(Message(f"数据源当前状态为 {source.state}，不在待审批状态。",
                                       f"The source is {source.state}, not pending."))
            if action == "approve" and source.url.startswith(("http://", "https://")):
                self._check_address(source.url)
            source.state = "approved" if action == "approve" else "rejected"
            source.approved_by_name, source.review_note = actor.username, note.strip()
            source.approved_at = source.updated_at = utcnow()
            if source.state == "approved" and jobs.SCHEDULES.get(source.schedule):
                source.next_run_at = utcnow()
            audit.record(session, actor, f"harvest_source.{action}", "harvest_source",
                         str(source.id), note=note.strip())
            return self._view(session, source)

    def list_sources(self, actor: Actor) -> list[SourceView]:
        """Every source the actor may see (the API and the CLI; the pages use ``page_sources``)."""
        with self.store.reading() as session:
            return _views(session, list(session.scalars(_visible_sources(actor))))

    def page_sources(self, actor: Actor, *, page: int = 1, page_size: int = 20) -> SourcePage:
        """One page of the sources the actor may see, each with its department and last job
        (three queries whatever the page's length)."""
        query = _visible_sources(actor)
        with self.store.reading() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(session.scalars(query.offset((page - 1) * page_size).limit(page_size)))
            return SourcePage(_views(session, rows), total, page, page_size)

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
                sleep: Callable[[float], None] = time.sleep,
                started: Callable[[JobRun], None] | None = None) -> dict[str, Any]:
        """Run a claimed job to its end; ``started`` receives the run (a worker keeps it to
        stop the job at its next safe point: ``run.deadline.stop(why)``)."""
        with self.store.reading() as session:
            job = session.get_one(HarvestJob, job_id)
            state = session.get_one(HarvestSource, job.source_id).state
        if state != "approved":  # changed or disabled after the job was queued
            jobs.finish(self.store, job_id, status="failed", complete=False, counts={},
                        summary={}, error=str(Message(
                            f"数据源当前状态为 {state}，未运行。",
                            f"The source is {state} (not approved); the job did not run.")))
        else:
            with uploads.rooted(self.data_dir):
                run = JobRun(self.store, self.datasets, job_id, HARVESTERS, sleep=sleep,
                             progress=progress)
                if started is not None:
                    started(run)
                run.execute()
        with self.store.reading() as session:   # for the worker's log: the whole report
            return report.build(session, job_id, SYSTEM)

    def _new_job(self, actor: Actor, source_id: int, status: str, dry_run: bool, full: bool,
                 limit: int | None) -> int:
        with self.store.reading() as session:
            source = self._source(session, actor, source_id)
            policy.check(actor, "source.run")
            if source.state == "disabled":
                raise Conflict(Message("数据源已停用，不能运行。",
                                       "The source is disabled; it does not run."))
            if source.state not in rights.RUNNABLE:
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

    def provenance(self, actor: Actor, dataset_id: str) -> list[dict[str, Any]]:
        """The harvest sources that list a dataset the actor may see (primary first)."""
        return provenance.of_dataset(self.datasets, actor, dataset_id)

    def report(self, actor: Actor, job_id: int) -> dict[str, Any]:
        with self.store.reading() as session:
            job = session.get(HarvestJob, job_id)
            if job is None:
                raise _not_found()
            self._source(session, actor, job.source_id)
            return report.build(session, job_id, actor)

    def items(self, actor: Actor, job_id: int, *, outcome: str | None = None,
              error_type: str | None = None, item_id: int | None = None, page: int = 1,
              page_size: int = 50) -> dict[str, Any]:
        """The job's outcome rows (``item_id``: that one only), each through the visibility
        rule of the dataset it became (``_item``)."""
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
            if item_id is not None:
                query = query.where(HarvestItem.id == item_id)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(session.scalars(query.order_by(HarvestItem.id)
                                        .offset((page - 1) * page_size).limit(page_size)))
            seen = working_copies_seen(session, actor, {i.dataset_id for i in rows})
            return {"items": [report.item_view(i, seen) for i in rows], "total": total, "page": page,
                    "page_size": page_size}

    # -- helpers ----------------------------------------------------------------------------
    def _source(self, session: Any, actor: Actor, source_id: int, *,
                lock: bool = False) -> HarvestSource:
        query = select(HarvestSource).where(HarvestSource.id == source_id)
        source = session.scalar(query.with_for_update() if lock else query)
        if source is None or not provenance.may_see_source(actor, source):
            raise _not_found()
        return source

    @staticmethod
    def _view(session: Any, source: HarvestSource) -> SourceView:
        return _views(session, [source])[0]


def _visible_sources(actor: Actor) -> Any:
    """The sources the actor may see (``may_see_source`` as SQL), by id."""
    return select(HarvestSource).where(department_work(actor, HarvestSource.department_id)) \
        .order_by(HarvestSource.id)


def _views(session: Any, sources: list[HarvestSource]) -> list[SourceView]:
    """The sources' views: their departments and last jobs read in one query each."""
    if not sources:
        return []
    departments = {d.id: d for d in session.scalars(select(Department).where(
        Department.id.in_({s.department_id for s in sources})))}
    newest = select(func.max(HarvestJob.id)).where(
        HarvestJob.source_id.in_([s.id for s in sources])).group_by(HarvestJob.source_id)
    last = {j.source_id: j for j in session.scalars(select(HarvestJob).where(
        HarvestJob.id.in_(newest.scalar_subquery())))}
    views = []
    for source in sources:
        department = departments[source.department_id]
        job = last.get(source.id)
        views.append(SourceView(
            source.id, source.name, source.type, uploads.display_url(source.url),
            source.file_name or _local_name(source.url), department.code, department.name,
            source.schedule, source.state, dict(source.config), source.created_by_name,
            source.approved_by_name, _iso(source.approved_at), source.review_note,
            _iso(source.next_run_at), iso_utc(source.created_at),
            _job_brief(job) if job else None, source.department_id, source.created_by))
    return views


def _load(schema: Schema, data: Any) -> dict[str, Any]:
    try:
        return schema.load(data)  # a body that is not an object: a _schema error
    except ValidationError as exc:
        raise invalid_from_marshmallow(exc.messages) from None


def _check_organizations(session: Any, config: dict[str, Any]) -> None:
    codes = set(session.scalars(select(Department.code)))
    missing = sorted(set((config.get("organizations") or {}).values()) - codes)
    if missing:
        raise field_error("config.organizations", f"部门代码不存在：{'、'.join(missing)}",
                          f"Unknown department codes: {', '.join(missing)}")


def _cancel_queued(session: Any, source_id: int, why: Message) -> list[int]:
    """Close the source's queued job (a worker has not claimed it) without running it."""
    queued = list(session.scalars(select(HarvestJob.id).where(
        HarvestJob.source_id == source_id, HarvestJob.status == "queued")))
    if queued:
        session.execute(update(HarvestJob).where(
            HarvestJob.id.in_(queued), HarvestJob.status == "queued").values(
            status="failed", finished_at=utcnow(), error=str(why)))
    return queued


def _next_run(session: Any, source: HarvestSource) -> Any:
    """When an approved source next runs on its (new) schedule: one interval after its last
    finished job, or now."""
    interval = jobs.SCHEDULES.get(source.schedule)
    if interval is None:
        return None
    last = session.scalar(select(func.max(HarvestJob.finished_at)).where(
        HarvestJob.source_id == source.id, HarvestJob.dry_run.is_(False)))
    return utcnow() if last is None else jobs._aware(last) + interval


def _local_name(url: str) -> str:
    """A local spreadsheet path's file name (tests, demo); "" for any other url."""
    if url.startswith(("http://", "https://")) or uploads.is_reference(url):
        return ""
    return Path(url.removeprefix("file://")).name


def _iso(moment: Any) -> str | None:
    return iso_utc(moment) if moment else None


def _job_brief(job: HarvestJob) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "dry_run": job.dry_run,
            "requested_by": job.requested_by, "created_at": iso_utc(job.created_at),
            "started_at": _iso(job.started_at),
            "finished_at": _iso(job.finished_at), "counts": dict(job.counts or {}),
            "listing_complete": job.listing_complete, "error": job.error}
