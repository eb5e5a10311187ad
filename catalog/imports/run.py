"""One import job's run: the kept file through ``catalog.spreadsheet.import_file`` under the
job's budget, its progress and its report rows kept in the store.

The report rows of a batch are written in the batch's own transaction (so the report says
exactly what was stored); the progress and the heartbeat in short transactions of their own,
at most every ``BEAT_SECONDS`` — except while an all-or-none import holds its one write
transaction on SQLite, where a second writer would wait for it (the job shows the storing
phase as it began, and the end). Whatever happens the job ends with a status and a reason:
a refused file lists its problems (nothing written), a budget or a stop fails it with the
reason, a crash fails it as an internal error; an all-or-none import that fails has written
nothing, a keep-and-flag import keeps the batches it stored (the report lists them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.actors import SYSTEM, Actor
from catalog.bulk import insert_rows
from catalog.datasets import DatasetService
from catalog.db import Department, ImportJob, ImportRow, utcnow
from catalog.errors import InvalidInput, Message, MuluError
from catalog.imports import files
from catalog.spreadsheet import (
    Budget,
    ImportedRow,
    ImportStopped,
    Meter,
    Problem,
    Step,
    import_file,
)
from catalog.store import Store
from harvesters import jobs

log = logging.getLogger("mulu.imports")
BEAT_SECONDS = 0.5
Listener = Callable[[Step], None]


def aftermath(job: Any) -> str:
    """What a job that ended early leaves behind (the reaper's words as well)."""
    if getattr(job, "mode", "all") == "keep":
        return "rows stored before that are kept (see the report)"
    return "nothing was imported"


@dataclass
class JobSink:
    """Keeps an import's progress and report rows in its job (``ImportSink``)."""

    store: Store
    job_id: int
    listener: Listener | None = None
    counts: dict[str, int] = field(default_factory=lambda: {"created": 0, "flagged": 0,
                                                            "refused": 0})
    last: Step | None = None   # the last step, kept by ``finish`` whether written or not
    _phase: str = ""
    _beaten: float = 0.0

    @property
    def second_writer(self) -> bool:
        """Whether another connection may write while the import's transaction is open."""
        return self.store.settings.store_backend != "sqlite"

    def progress(self, step: Step) -> None:
        self.last = step
        self._keep(step)
        if self.listener is not None:
            self.listener(step)

    def _keep(self, step: Step) -> None:
        changed = step.phase != self._phase
        if not changed and time.monotonic() - self._beaten < BEAT_SECONDS:
            return
        if step.locked and not self.second_writer:
            return
        values: dict[str, Any] = {"phase": step.phase, "rows_done": step.rows,
                                  "rows_total": step.total, "share": step.share}
        if changed:
            values["phase_started_at"] = utcnow()
            self._phase = step.phase
        with self.store.transaction() as session:
            jobs.beat(session, self.job_id, self.counts, model=ImportJob, **values)
        self._beaten = time.monotonic()

    def stored(self, session: Session, rows: list[ImportedRow], refused: list[Problem]) -> None:
        self.counts["created"] += len(rows)
        self.counts["flagged"] += sum(1 for r in rows if r.problems)
        self.counts["refused"] += len({p.row for p in refused})
        insert_rows(session, ImportRow, [
            *({"job_id": self.job_id, "outcome": "created", "row": r.row, "sheet": "",
               "field": "", "dataset_id": r.id, "resource_code": r.resource_code,
               "title": r.title[:200], "problems": r.problems, "zh": "", "en": ""}
              for r in rows),
            *(_problem_row(self.job_id, "refused", p) for p in refused)])


def _problem_row(job_id: int, outcome: str, problem: Problem) -> dict[str, Any]:
    return {"job_id": job_id, "outcome": outcome, "row": problem.row,
            "sheet": problem.sheet[:100], "field": problem.field[:200], "dataset_id": None,
            "resource_code": "", "title": "", "problems": 0, "zh": problem.message.zh,
            "en": problem.message.en}


def problems_of(error: InvalidInput) -> list[Problem]:
    """The problems of a refused file, as report lines (``row N: field`` keys split again)."""
    found: list[Problem] = []
    for key, messages in error.errors.items():
        sheet, row, name = "", None, key
        head, sep, rest = key.partition(": ")
        if sep and "row " in head:
            sheet, _, number = head.rpartition("row ")
            if number.strip().isdigit():
                sheet, row, name = sheet.strip(), int(number), rest
        found.extend(Problem(row, name, m, sheet) for m in messages)
    return found


class ImportRun:
    """The run of one claimed (running) import job."""

    def __init__(self, store: Store, datasets: DatasetService, job_id: int, actor: Actor | None,
                 listener: Listener | None = None):
        self.store, self.datasets, self.job_id, self.actor = store, datasets, job_id, actor
        self.meter = Meter(Budget.for_jobs(store.settings))
        self.sink = JobSink(store, job_id, listener)
        with store.reading() as session:
            job = session.get_one(ImportJob, job_id)
            self.mode, self.submit, self.file_ref = job.mode, job.submit, job.file_ref
            self.file_name = job.file_name
            self.department_code = session.scalar(select(Department.code).where(
                Department.id == job.department_id))
        with store.transaction() as session:
            session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
                deadline_at=utcnow() + timedelta(seconds=self.meter.elapsed() + (
                    self.meter.budget.seconds if self.meter.budget else 0))))

    @property
    def deadline(self) -> Meter:
        """What a worker stops at the next safe point (``Meter.stop``), as a harvest's."""
        return self.meter

    def execute(self) -> InvalidInput | None:
        """Run to the end; returns the refusal of the file (all or none), if it was refused."""
        refusal: InvalidInput | None = None
        status, error = "succeeded", ""
        summary: dict[str, Any] = {}
        path = files.path_of(self.store.settings.data_dir, self.file_ref)
        try:
            if self.actor is None:
                raise MuluError(Message("发起导入的用户已停用。",
                                        "The user who started the import is no longer active."))
            with path.open("rb") as handle:
                result = import_file(self.datasets, self.actor, handle, self.file_name,
                                     department_code=self.department_code, submit=self.submit,
                                     keep=self.mode == "keep", meter=self.meter, sink=self.sink)
            summary["ignored_columns"] = list(result.ignored_columns)
            if self.sink.counts["refused"]:
                summary["refused_rows"] = self.sink.counts["refused"]
        except InvalidInput as exc:
            refusal, status = exc, "failed"
            error = f"{exc.message} — {aftermath(self)}" if self.mode == "keep" \
                else str(exc.message)
            self._problems(problems_of(exc))
        except (ImportStopped, MuluError) as exc:
            status, error = "failed", f"{exc.message} — {aftermath(self)}"
        except FileNotFoundError:
            status, error = "failed", str(Message("导入文件已不存在。", "The import's file is gone."))
        except Exception as exc:  # noqa: BLE001 (the job must end with a reason whatever happens)
            log.exception("import job %s crashed", self.job_id)
            status = "failed"
            error = f"internal error: {type(exc).__name__}: {exc} — {aftermath(self)}"
        finish(self.store, self.job_id, status=status, counts=self.sink.counts,
               summary=summary, error=error, last=self.sink.last)
        files.discard(self.store.settings.data_dir, self.file_ref)
        return refusal

    def _problems(self, problems: list[Problem]) -> None:
        self.sink.counts["problems"] = len(problems)
        with self.store.transaction() as session:
            insert_rows(session, ImportRow, [_problem_row(self.job_id, "problem", p)
                                             for p in problems])


def finish(store: Store, job_id: int, *, status: str, counts: dict[str, int],
           summary: dict[str, Any], error: str = "", last: Step | None = None) -> None:
    """Close the job (unless the reaper closed it meanwhile: its verdict stands), with the
    progress it reached."""
    with store.transaction() as session:
        job = session.get_one(ImportJob, job_id, with_for_update=True)
        if job.status not in jobs.ACTIVE:
            return
        job.status, job.counts, job.summary, job.error = status, dict(counts), summary, error
        job.finished_at = utcnow()
        if last is not None:
            if last.phase != job.phase:
                job.phase_started_at = job.finished_at
            job.phase, job.rows_done, job.share = last.phase, last.rows, last.share
            job.rows_total = last.total if last.total is not None else job.rows_total
        if status == "succeeded":
            job.share, job.phase = 1.0, "done"
            job.rows_total = job.rows_done


def actor_of(job: ImportJob, find: Callable[[int], Actor | None]) -> Actor | None:
    """Who the job runs as: the user who started it (None once inactive), or the system."""
    if job.requested_by_id is None:
        return SYSTEM
    return find(job.requested_by_id)
