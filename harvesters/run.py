"""One job's run: the storage side of the job loop in ``harvesters.base`` (batches, outcome
rows, withdrawals, the final status and report).

Mapped and validated records wait in a batch (``BATCH_RECORDS``, ``BATCH_SECONDS``, and
before every HTTP request); a flush stores the batch in one transaction, in listing order:
runs of records new to the source together (``RecordStore.store_new``: bulk inserts, one
savepoint), a known record alone (its update, in a savepoint), then the outcome rows and the
job's heartbeat. When the batch insert fails, its savepoint is rolled back and its records
are stored one at a time, so one bad record fails alone."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.actors import Actor
from catalog.bulk import insert_rows
from catalog.datasets import DatasetService
from catalog.db import Department, HarvestItem, HarvestJob, HarvestProvenance, HarvestSource, utcnow
from catalog.errors import InvalidInput
from catalog.problems import Assessment
from catalog.store import Store
from harvesters import errors, jobs, report
from harvesters.addresses import AddressGuard
from harvesters.base import (
    REFUSED,
    Harvester,
    PageProblem,
    Remote,
    SourceSpec,
    Tally,
    _flatten,
    run_listing,
)
from harvesters.http import Deadline, Fetcher, Limits, excerpt
from harvesters.placement import DepartmentRow, Mapped, Normalizer
from harvesters.records import Incoming, Known, RecordStore, Stored, load_known

log = logging.getLogger("mulu.harvest")
BATCH_RECORDS = 200
BATCH_SECONDS = 1.0
HEARTBEAT_SECONDS = 30.0   # an idle job (slow pages, no records) still beats this often

Progress = Callable[[dict[str, int], int | None], None]   # counts, records expected


@dataclass
class Pending:
    """A record waiting in the batch for the next flush."""

    remote: Remote
    mapped: Mapped
    assessed: Assessment
    department_id: int
    mark: str
    notes: list[str]
    known: Known | None

    def incoming(self) -> Incoming:
        """For the batch insert, which fills in the record (publisher, resource code): a copy,
        so a record retried alone after a failed batch starts from what was validated."""
        return Incoming(self.remote.remote_id, self.mapped.identifiers,
                        dict(self.assessed.record), self.department_id, self.mark,
                        self.remote.modified, list(self.assessed.problems))


class JobRun:
    def __init__(self, store: Store, datasets: DatasetService, job_id: int,
                 harvesters: Mapping[str, type[Harvester]], *, sleep: Callable[[float], None] =
                 time.sleep, progress: Progress | None = None):
        self.store, self.datasets, self.job_id = store, datasets, job_id
        self.harvesters, self.sleep, self._progress = harvesters, sleep, progress
        self.tally = Tally()
        self._session: Session | None = None
        self._opened = time.monotonic()   # the last flush
        self._items: list[dict[str, Any]] = []
        self._unchanged: list[int] = []
        self._pending: list[Pending] = []
        self._flushing = False
        self._expected: int | None = None   # how many records the source says it lists
        self._load()

    # -- setup ------------------------------------------------------------------------------
    def _load(self) -> None:
        with self.store.reading() as session:
            job = session.get_one(HarvestJob, self.job_id)
            source = session.get_one(HarvestSource, job.source_id)
            departments = [DepartmentRow(d.id, d.code, d.name, d.short_name)
                           for d in session.scalars(select(Department))]
            self.known: dict[str, Known] = load_known(session, source.id)
            self.dry_run, self.full, self.limit = job.dry_run, job.full, job.item_limit
            sheet = {"max_bytes": self.store.settings.max_sheet_bytes} \
                if self.harvesters[source.type].one_sheet else {}
            limits = Limits.from_config({**sheet, **(source.config.get("limits") or {})})
            self.spec = SourceSpec(source.id, source.type, source.url, source.department_id,
                                   dict(source.config), limits)
        self.deadline = Deadline.after(limits.job_seconds)
        own = next(d for d in departments if d.id == self.spec.department_id)
        self.normalizer = Normalizer(self.spec.config, own, departments)
        self.settings = self.store.settings
        ceiling = self.settings.security_ceiling
        self.actor = Actor(None, f"harvest:{self.spec.id}", "harvester", self.spec.department_id,
                           ceiling)
        self.records = RecordStore(self.datasets, self.actor, self.spec.id, self.job_id,
                                   global_ids=self.harvesters[self.spec.type].global_ids)
        with self.store.transaction() as session:
            session.execute(update(HarvestJob).where(HarvestJob.id == self.job_id).values(
                deadline_at=utcnow() + timedelta(seconds=limits.job_seconds)))

    # -- the run ----------------------------------------------------------------------------
    def execute(self) -> None:
        error = ""
        fetcher = Fetcher(self.spec.limits, self.deadline, sleep=self.sleep,
                          before_request=self.flush, guard=AddressGuard.from_settings(self.settings))
        try:
            harvester = self.harvesters[self.spec.type](self.spec, fetcher)
            run_listing(self, harvester, self.limit)
        except errors.HarvestError as exc:
            self.page_problem(PageProblem(self.spec.url, exc, kind="job"
                                          if isinstance(exc, errors.DeadlineExceeded) else "page"))
        except Exception as exc:  # noqa: BLE001 (the job must end with a report whatever happens)
            log.exception("harvest job %s crashed", self.job_id)
            error = f"internal error: {type(exc).__name__}: {exc}"
            self.tally.incomplete.append(error)
        finally:
            fetcher.close()
        try:
            self.flush()
            self._withdraw()
            self.flush()
        except Exception as exc:  # noqa: BLE001
            log.exception("harvest job %s could not finish its writes", self.job_id)
            error = error or f"internal error: {type(exc).__name__}: {exc}"
            self._discard()
        self._finish(error)

    def _withdraw(self) -> None:
        complete = not self.tally.incomplete
        active = [k for k in self.known.values() if not k.gone]
        if complete and not self.tally.listed and active:
            self.tally.incomplete.append("the source listed no records: nothing withdrawn "
                                         "(guard against an emptied source)")
            return
        if not complete or self.dry_run:
            return
        session = self._write_session()
        for remote_id, dataset_id in self.records.withdraw_missing(session, self.tally.listed):
            self._add(self._row(remote_id, "withdrawn", dataset_id=dataset_id,
                                reason="数据源不再列出 / no longer listed by the source"))

    def _finish(self, error: str) -> None:
        counts = self.tally.counts
        stopped = self.deadline.stopped
        if stopped and not error:
            error = (f"采集进程按要求停止，任务未完成 / the worker was stopped ({stopped}) before the "
                     "job ended; records stored before that are kept")
        complete = not self.tally.incomplete and not error
        if error or (not complete and not self.tally.listed):
            status = "failed"
        elif not complete or counts["failed"]:
            status = "partial"
        else:
            status = "succeeded"
        summary = report.summary_of(self.tally, self.normalizer.unknown_providers, self.spec,
                                    self.dry_run)
        summary["expected"] = self._expected
        if stopped:
            summary["abandoned"] = stopped
        jobs.finish(self.store, self.job_id, status=status, complete=complete,
                    counts=counts, summary=summary, error=error)

    # -- what base.process calls ------------------------------------------------------------
    def unchanged(self, remote_id: str) -> None:
        self.tally.add("unchanged")
        known = self.known.get(remote_id)
        if known is not None and not self.dry_run:
            self._unchanged.append(known.id)
        self._maybe_flush()

    def item(self, remote: Remote, outcome: str, error_type: str = "", reason: str = "",
             dataset_id: str | None = None) -> None:
        self._add(self._row(remote.remote_id, outcome, error_type=error_type, reason=reason,
                            dataset_id=dataset_id, raw=remote.raw_text()))

    def _row(self, remote_id: str, outcome: str, *, kind: str = "record", error_type: str = "",
             reason: str = "", dataset_id: str | None = None, raw: str = "") -> dict[str, Any]:
        """A ``harvest_items`` row (every column, so the rows insert as one statement)."""
        return {"job_id": self.job_id, "kind": kind, "remote_id": remote_id[:1000],
                "outcome": outcome, "error_type": error_type, "reason": reason,
                "dataset_id": dataset_id, "raw": raw, "created_at": utcnow()}

    def refused(self, why: str) -> None:
        """A record unsafe to keep: counted, and its row says only why — no identifier, title
        or payload is written anywhere (涉密不上网)."""
        self.tally.refused[why] += 1
        zh, en = REFUSED[why]
        self._add(self._row("", "failed", error_type="record.unsafe", reason=f"{zh} / {en}"))

    def page_problem(self, problem: PageProblem) -> None:
        if problem.kind != "record":  # an untrackable record: it can never be withdrawn anyway
            self.tally.incomplete.append(f"{problem.error.error_type} at {problem.where}")
        # a record's payload is the steward's to fix; of a page, only a short escaped excerpt
        # (a source's error page, or whatever a forged address answered, is not copied)
        raw = problem.raw[:32 * 1024] if problem.kind == "record" else excerpt(problem.raw)
        self._add(self._row(problem.where, "failed", kind=problem.kind,
                            error_type=problem.error.error_type,
                            reason=excerpt(problem.error.reason, 600), raw=raw))

    def keep(self, remote: Remote, mapped: Mapped, assessed: Assessment, department_id: int,
             mark: str, notes: list[str], known: Known | None) -> None:
        pending = Pending(remote, mapped, assessed, department_id, mark, notes, known)
        if self.dry_run:
            self._store_alone(self._write_session(), pending)
            return
        self._pending.append(pending)
        self._maybe_flush()

    def _store_batch(self, session: Session, batch: list[Pending]) -> None:
        """Records new to the source, together; alone when the batch insert fails."""
        nested = session.begin_nested()
        try:
            results = self.records.store_new(session, [p.incoming() for p in batch])
        except Exception as exc:  # noqa: BLE001 (retried record by record below)
            nested.rollback()
            log.info("batch insert of %d records failed (%s); storing them one at a time",
                     len(batch), type(exc).__name__)
            for pending in batch:
                self._store_alone(session, pending)
            return
        nested.commit()
        for pending, result in zip(batch, results, strict=True):
            if isinstance(result, InvalidInput):
                self.item(pending.remote, "failed", "record.rejected", _flatten(result))
            else:
                self._stored(pending, result)

    def _store_alone(self, session: Session, pending: Pending) -> None:
        nested = session.begin_nested()
        try:
            stored = self.records.store(
                session, remote_id=pending.remote.remote_id,
                identifiers=pending.mapped.identifiers, record=dict(pending.assessed.record),
                department_id=pending.department_id, fingerprint=pending.mark,
                modified=pending.remote.modified, known=pending.known,
                problems=list(pending.assessed.problems))
        except InvalidInput as exc:
            nested.rollback()
            self.item(pending.remote, "failed", "record.rejected", _flatten(exc))
            return
        except Exception as exc:  # noqa: BLE001
            nested.rollback()
            log.exception("storing %s failed", pending.remote.remote_id)
            self.item(pending.remote, "failed", "record.store_error",
                      f"{type(exc).__name__}: {exc}")
            return
        if self.dry_run:
            nested.rollback()
        else:
            nested.commit()
        self._stored(pending, stored)

    def _stored(self, pending: Pending, stored: Stored) -> None:
        flagged = ""
        if stored.problems and stored.outcome in ("created", "updated", "unchanged"):
            if stored.outcome != "unchanged":
                self.tally.flag(stored.problems)
            flagged = "待完善 / needs completion: " + "; ".join(
                f"{p.field}: {p.message.zh} / {p.message.en}" for p in stored.problems)
        reason = "; ".join(r for r in (stored.reason, flagged, *pending.notes) if r)
        keep_id = not (self.dry_run and stored.outcome == "created")
        self.item(pending.remote, stored.outcome, "", reason,
                  stored.dataset_id if keep_id else None)

    def progress(self, expected: int | None = None) -> None:
        self._expected = expected   # kept on the job at the next heartbeat (its page shows it)
        if self._progress is not None:
            self._progress(dict(self.tally.counts), expected)

    # -- batches ----------------------------------------------------------------------------
    def _add(self, row: dict[str, Any]) -> None:
        self.tally.add(row["outcome"])
        self._items.append(row)
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self._flushing:  # outcome rows added while a flush stores the batch go in with it
            return
        pending = len(self._items) + len(self._unchanged) + len(self._pending)
        if pending >= BATCH_RECORDS or time.monotonic() - self._opened >= BATCH_SECONDS:
            self.flush()

    def _write_session(self) -> Session:
        if self._session is None:
            session = self.store.sessions()
            session.begin()
            session.connection(execution_options={"write": True})
            self._session = session
        return self._session

    def flush(self) -> None:
        """Store the waiting records and commit them with what else is pending (outcome rows,
        unchanged marks, the heartbeat)."""
        idle = self._session is None and not (self._items or self._unchanged or self._pending)
        if idle and time.monotonic() - self._opened < HEARTBEAT_SECONDS:
            return
        session = self._write_session()
        self._flushing = True
        try:
            self._store_pending(session)
            insert_rows(session, HarvestItem, self._items)
            if self._unchanged:
                session.execute(update(HarvestProvenance)
                                .where(HarvestProvenance.id.in_(self._unchanged))
                                .values(last_seen_job=self.job_id, last_seen_at=utcnow()))
            jobs.beat(session, self.job_id, self.tally.counts,
                      summary={"expected": self._expected})
            session.commit()
        finally:
            self._flushing = False
            session.close()
            self._session = None
            self._items, self._unchanged, self._pending = [], [], []
            self._opened = time.monotonic()

    def _store_pending(self, session: Session) -> None:
        """In listing order: runs of new records as batches, known ones alone."""
        run: list[Pending] = []
        for pending in self._pending:
            if pending.known is None:
                run.append(pending)
                continue
            if run:
                self._store_batch(session, run)
                run = []
            self._store_alone(session, pending)
        if run:
            self._store_batch(session, run)

    def _discard(self) -> None:
        if self._session is not None:
            self._session.rollback()
            self._session.close()
            self._session = None
        self._items, self._unchanged, self._pending = [], [], []
