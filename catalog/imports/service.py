"""Import jobs: a catalog spreadsheet of any size registered in the background.

``start`` keeps the uploaded file (after the cheap check only), creates a queued job and
returns at once; a worker (``mulu worker``, or the job thread of ``mulu serve`` / ``mulu demo``)
claims it like a harvest job (``harvesters.jobs``: ``FOR UPDATE SKIP LOCKED``, heartbeat,
reaper) and runs it (``catalog.imports.run``). ``run_here`` runs a job in the calling process
(``mulu dataset import``). Who may start one: the department's stewards (for their own) and
administrators (naming the department) — the rule of every registration
(``departments.writable_department``); who may read one: the department's stewards and staff,
governance reviewers and administrators (``visibility.may_see_department_work``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select

from catalog import policy
from catalog.accounts import AccountService
from catalog.actors import Actor
from catalog.datasets import DatasetService, iso_utc
from catalog.db import Department, ImportJob, ImportRow, utcnow
from catalog.departments import writable_department
from catalog.errors import InvalidInput, Message, NotFound, field_error
from catalog.imports import files
from catalog.imports.progress import of_job
from catalog.imports.run import ImportRun, Listener, actor_of, aftermath
from catalog.store import Store
from catalog.visibility import department_work, may_see_department_work, working_copies_seen
from harvesters import jobs

MODES = ("all", "keep")
OUTCOMES = ("created", "refused", "problem")
MAX_ID = 2 ** 31 - 1          # the store's integer range (PostgreSQL's INTEGER): larger is no id
REPORTED_PROBLEMS = 100       # problem lines inlined in a job's view (all: GET …/rows)


def _not_found() -> NotFound:
    return NotFound(Message("导入任务不存在，或无权查看。", "No such import job, or you may not see it."))


class ImportService:
    def __init__(self, store: Store, datasets: DatasetService, accounts: AccountService):
        self.store, self.datasets, self.accounts = store, datasets, accounts

    @property
    def data_dir(self) -> Path:
        return self.store.settings.data_dir

    # -- starting ----------------------------------------------------------------------------
    def start(self, actor: Actor, stream: IO[bytes], filename: str, *,
              department_code: str | None = None, mode: str = "all",
              submit: bool = False) -> dict[str, Any]:
        """Keep the file and queue its import; returns the job (queued)."""
        return self.view(actor, self._create(actor, stream, filename, "queued",
                                             department_code=department_code, mode=mode,
                                             submit=submit))

    def run_here(self, actor: Actor, path: Path, *, department_code: str | None = None,
                 mode: str = "all", submit: bool = False,
                 listener: Listener | None = None) -> tuple[dict[str, Any], InvalidInput | None]:
        """Import a local file as a job run in this process (the CLI); returns the job's view
        and, when the file was refused, the refusal (every problem)."""
        with path.open("rb") as handle:
            job_id = self._create(actor, handle, path.name, "running",
                                  department_code=department_code, mode=mode, submit=submit)
        refusal = self.execute(job_id, listener=listener)
        return self.view(actor, job_id), refusal

    def _create(self, actor: Actor, stream: IO[bytes], filename: str, status: str, *,
                department_code: str | None, mode: str, submit: bool) -> int:
        if mode not in MODES:
            raise field_error("mode", "导入方式应为 all 或 keep。", "The mode is all or keep.")
        policy.check(actor, "import.start")
        with self.store.reading() as session:   # refused before the file is even kept
            department_id = self._department(session, actor, department_code).id
        reference, size = files.keep(self.data_dir, stream, filename,
                                     max_bytes=self.store.settings.max_sheet_bytes)
        try:
            with self.store.transaction() as session:
                job = ImportJob(department_id=department_id, requested_by=actor.username,
                                requested_by_id=actor.user_id, file_ref=reference,
                                file_name=files.display_name(filename), file_bytes=size,
                                mode=mode, submit=submit, status=status, counts={},
                                summary={})
                if status == "running":
                    now = utcnow()
                    job.worker, job.started_at, job.heartbeat_at = jobs.worker_id(), now, now
                session.add(job)
                session.flush()
                return job.id
        except BaseException:
            files.discard(self.data_dir, reference)
            raise

    def _department(self, session: Any, actor: Actor, code: str | None) -> Department:
        return writable_department(session, actor, code, own_only=Message(
            "只能导入本部门的信息资源。", "You can only import your own department's datasets."))

    # -- running -----------------------------------------------------------------------------
    def claim(self) -> int | None:
        return jobs.claim(self.store, model=ImportJob)

    def reap(self) -> list[int]:
        return jobs.reap(self.store, model=ImportJob, aftermath=aftermath)

    def execute(self, job_id: int, *, listener: Listener | None = None,
                started: Callable[[ImportRun], None] | None = None) -> InvalidInput | None:
        """Run a claimed job to its end; ``started`` receives the run (a worker keeps it to
        stop the job at its next safe point: ``run.deadline.stop(why)``)."""
        with self.store.reading() as session:
            job = session.get_one(ImportJob, job_id)
            actor = actor_of(job, self.accounts.actor_for_user_id)
        run = ImportRun(self.store, self.datasets, job_id, actor, listener)
        if started is not None:
            started(run)
        return run.execute()

    # -- reading -----------------------------------------------------------------------------
    def view(self, actor: Actor, job_id: int) -> dict[str, Any]:
        """A job as its readers see it: status, progress, counts, the first problem lines."""
        with self.store.reading() as session:
            job = self._job(session, actor, job_id)
            lines = list(session.scalars(select(ImportRow).where(
                ImportRow.job_id == job_id, ImportRow.outcome.in_(("refused", "problem")))
                .order_by(ImportRow.id).limit(REPORTED_PROBLEMS)))
            seen = working_copies_seen(session, actor, (r.dataset_id for r in lines))
            return _view(session, job, [_row(r, seen) for r in lines])

    def list(self, actor: Actor, *, page: int = 1, page_size: int = 20,
             status: str | None = None) -> dict[str, Any]:
        """The jobs the actor may see, newest first."""
        with self.store.reading() as session:
            query = select(ImportJob).where(department_work(actor, ImportJob.department_id))
            if status:
                query = query.where(ImportJob.status == status)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            found = session.scalars(query.order_by(ImportJob.id.desc())
                                    .offset((page - 1) * page_size).limit(page_size))
            return {"items": [_view(session, job, []) for job in found], "total": total,
                    "page": page, "page_size": page_size}

    def rows(self, actor: Actor, job_id: int, *, outcome: str | None = None, page: int = 1,
             page_size: int = 50) -> dict[str, Any]:
        """The job's report, row by row: stored rows, refused rows, problems."""
        with self.store.reading() as session:
            self._job(session, actor, job_id)
            query = select(ImportRow).where(ImportRow.job_id == job_id)
            if outcome:
                query = query.where(ImportRow.outcome == outcome)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            found = list(session.scalars(query.order_by(ImportRow.id)
                                         .offset((page - 1) * page_size).limit(page_size)))
            seen = working_copies_seen(session, actor, (r.dataset_id for r in found))
            return {"items": [_row(r, seen) for r in found], "total": total, "page": page,
                    "page_size": page_size}

    def lines(self, actor: Actor, job_id: int, outcome: str,
              page_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every report line of one outcome, read a page at a time (a report of any length)."""
        page = 1
        while True:
            found = self.rows(actor, job_id, outcome=outcome, page=page, page_size=page_size)
            yield from found["items"]
            if page * page_size >= found["total"]:
                return
            page += 1

    def _job(self, session: Any, actor: Actor, job_id: int) -> ImportJob:
        job = session.get(ImportJob, job_id) if 0 < job_id <= MAX_ID else None
        if job is None or not may_see_department_work(actor, job.department_id):
            raise _not_found()
        return job


def _view(session: Any, job: ImportJob, problems: list[dict[str, Any]]) -> dict[str, Any]:
    department = session.get_one(Department, job.department_id)
    return {"id": job.id, "status": job.status, "mode": job.mode, "submit": job.submit,
            "file_name": job.file_name, "file_bytes": job.file_bytes,
            "department_code": department.code, "department_name": department.name,
            "requested_by": job.requested_by, "created_at": iso_utc(job.created_at),
            "started_at": _iso(job.started_at), "finished_at": _iso(job.finished_at),
            "progress": of_job(job).as_dict(), "counts": dict(job.counts or {}),
            "ignored_columns": list((job.summary or {}).get("ignored_columns", [])),
            "error": job.error, "problems": problems,
            "status_url": f"/api/imports/{job.id}"}


def _row(row: ImportRow, seen: set[str]) -> dict[str, Any]:
    """One report line. What a row became (its title, code, problems, messages) is shown only
    to those who may see that dataset's working copy; a row that became no dataset is the
    importing department's own file."""
    line = {"outcome": row.outcome, "row": row.row, "sheet": row.sheet, "field": row.field,
            "dataset_id": row.dataset_id, "resource_code": row.resource_code,
            "title": row.title, "problems": row.problems, "zh": row.zh, "en": row.en,
            "withheld": False}
    if row.dataset_id is not None and row.dataset_id not in seen:
        line.update(resource_code="", title="", problems=0, zh="", en="", withheld=True)
    return line


def _iso(moment: Any) -> str | None:
    return iso_utc(moment) if moment else None
