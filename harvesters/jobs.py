"""The job table: create, claim (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), beat, finish, reap.

At most one job per source is queued or running (a partial unique index), so no source ever
runs twice at once, whatever the number of workers. Each step that changes a job or a source's
schedule decides under that row's lock (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite:
``BEGIN IMMEDIATE`` serializes writers) and re-checks its condition in the same transaction, so
two workers never both claim a job nor both queue one source's scheduled run. A job whose worker
died is closed by the reaper: its heartbeat is stale, its deadline long past, or its process is
gone from this host.

The ``now`` parameters let the worker (and tests) run schedules on an injected clock.

Import jobs (``catalog.imports``, table ``import_jobs``) are jobs of the same kind: the same
status, worker, heartbeat and deadline columns, claimed, beaten and reaped here (``model``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.db import HarvestJob, HarvestSource, ImportJob, utcnow
from catalog.errors import Conflict, Message
from catalog.store import Store

Clock = Callable[[], datetime]
JobModel = type[HarvestJob] | type[ImportJob]
ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "partial", "failed")
STALE_AFTER = timedelta(minutes=10)
DEADLINE_GRACE = timedelta(minutes=2)
SCHEDULES: dict[str, timedelta | None] = {
    "manual": None, "hourly": timedelta(hours=1), "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
}
SCHEDULED = tuple(name for name, interval in SCHEDULES.items() if interval is not None)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create(store: Store, source_id: int, *, status: str, requested_by: str, dry_run: bool = False,
           full: bool = False, item_limit: int | None = None) -> int:
    """A new job for the source (``queued`` for a worker, ``running`` to run here at once)."""
    reap(store)
    try:
        with store.transaction() as session:
            job = HarvestJob(source_id=source_id, status=status, dry_run=dry_run, full=full,
                             item_limit=item_limit, requested_by=requested_by, counts={},
                             summary={})
            if status == "running":
                now = utcnow()
                job.worker, job.started_at, job.heartbeat_at = worker_id(), now, now
            session.add(job)
            session.flush()
            return job.id
    except IntegrityError:
        raise Conflict(Message("该数据源已有排队或运行中的采集任务。",
                               "This source already has a queued or running job.")) from None


def claim(store: Store, now: datetime | None = None, *,
          model: JobModel = HarvestJob) -> int | None:
    """Take the oldest queued job (other workers skip the locked row), or None."""
    with store.transaction() as session:
        while True:
            job_id = session.scalar(select(model.id).where(model.status == "queued")
                                    .order_by(model.id).limit(1)
                                    .with_for_update(skip_locked=True))
            if job_id is None:
                return None
            if take(session, job_id, now or utcnow(), model=model):
                return job_id


def take(session: Session, job_id: int, now: datetime, *, model: JobModel = HarvestJob) -> bool:
    """Mark a queued job running for this worker; False when it is no longer queued.

    The update is conditional, so even a store without row locks never hands one job to two
    workers: the second update finds the status changed and matches no row."""
    taken = session.execute(update(model)
                            .where(model.id == job_id, model.status == "queued")
                            .values(status="running", worker=worker_id(), started_at=now,
                                    heartbeat_at=now)
                            .execution_options(synchronize_session=False))
    return taken.rowcount == 1  # type: ignore[attr-defined]


def beat(session: Session, job_id: int, counts: dict[str, int], *,
         model: JobModel = HarvestJob, **progress: Any) -> None:
    """The job is alive: its heartbeat, its counts (and an import's ``progress`` columns)."""
    session.execute(update(model).where(model.id == job_id)
                    .values(heartbeat_at=utcnow(), counts=dict(counts), **progress))


def finish(store: Store, job_id: int, *, status: str, complete: bool, counts: dict[str, int],
           summary: dict[str, Any], error: str = "") -> None:
    """Close the job; a scheduled source's next run is one interval after this one ended."""
    with store.transaction() as session:
        job = session.get_one(HarvestJob, job_id, with_for_update=True)
        if job.status not in ACTIVE:  # reaped meanwhile: keep the reaper's verdict
            return
        job.status, job.listing_complete = status, complete
        job.counts, job.summary, job.error = dict(counts), summary, error
        job.finished_at = utcnow()
        source = session.get_one(HarvestSource, job.source_id, with_for_update=True)
        interval = SCHEDULES.get(source.schedule)
        if interval is not None and not job.dry_run:
            source.next_run_at = job.finished_at + interval


def _pid_dead(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _zombie(int(pid))


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _records_kept(_job: Any) -> str:
    return "records stored before that are kept"


def reap(store: Store, now: datetime | None = None, stale_after: timedelta = STALE_AFTER, *,
         model: JobModel = HarvestJob,
         aftermath: Callable[[Any], str] = _records_kept) -> list[int]:
    """Close running jobs whose worker died; returns their ids. ``aftermath`` says what the
    job's end leaves behind (a harvest keeps the records stored before it)."""
    now = now or utcnow()
    reaped = []
    with store.transaction() as session:
        running: list[HarvestJob | ImportJob] = list(session.scalars(
            select(model).where(model.status == "running").with_for_update(skip_locked=True)))
        for job in running:
            beat_at = _aware(job.heartbeat_at or job.started_at or job.created_at)
            deadline = _aware(job.deadline_at) if job.deadline_at else None
            why = ""
            if _pid_dead(job.worker):
                why = f"worker process {job.worker} is gone"
            elif beat_at < now - stale_after:
                why = f"no heartbeat since {beat_at.isoformat()}"
            elif deadline is not None and deadline + DEADLINE_GRACE < now:
                why = f"past its deadline {deadline.isoformat()}"
            if why:
                job.status = "failed"
                job.finished_at = now
                job.error = f"任务执行进程已终止，由回收器关闭 / the job's worker died ({why}); " \
                            + aftermath(job)
                job.summary = {**(job.summary or {}), "reaped": why}
                reaped.append(job.id)
    return reaped


def enqueue_due(store: Store, now: datetime | None = None) -> list[int]:
    """Queue a job for every approved scheduled source whose time has come; returns the jobs.

    Each source is decided in its own transaction under its row lock, where the job is created
    and ``next_run_at`` moved together: of several workers looking at once, one queues the run
    and the others skip the locked row or find it no longer due."""
    now = (now or utcnow()).astimezone(UTC)  # SQLite compares the stored UTC text
    with store.reading() as session:
        candidates = list(session.scalars(select(HarvestSource.id).where(
            HarvestSource.state == "approved", HarvestSource.schedule.in_(SCHEDULED),
            HarvestSource.next_run_at <= now).order_by(HarvestSource.next_run_at)))
    queued = []
    for source_id in candidates:
        job_id = enqueue_if_due(store, source_id, now)
        if job_id is not None:
            queued.append(job_id)
    return queued


def enqueue_if_due(store: Store, source_id: int, now: datetime) -> int | None:
    """Queue the source's scheduled run if it is due now and nobody else is deciding it."""
    try:
        with store.transaction() as session:
            source = session.scalar(select(HarvestSource).where(
                HarvestSource.id == source_id, HarvestSource.state == "approved",
                HarvestSource.schedule.in_(SCHEDULED), HarvestSource.next_run_at <= now)
                .with_for_update(skip_locked=True))
            if source is None:  # another worker holds it, or it is no longer due
                return None
            active = session.scalar(select(HarvestJob.id).where(
                HarvestJob.source_id == source_id, HarvestJob.status.in_(ACTIVE)).limit(1))
            if active is not None:  # its end moves next_run_at (see finish)
                return None
            job = HarvestJob(source_id=source_id, status="queued", requested_by="schedule",
                             counts={}, summary={})
            session.add(job)
            interval = SCHEDULES[source.schedule]
            assert interval is not None
            source.next_run_at = now + interval
            session.flush()
            return job.id
    except IntegrityError:  # a manual run was queued in between: nothing changed
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
