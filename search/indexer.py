"""The search indexer: the only writer of the search index.

It drains the outbox (``OutboxEvent`` rows with ``processed_at`` NULL, written in the same
transaction as each change) in id order and in batches: re-reads each changed dataset from the
store, writes its documents (search.documents), deletes the ones it should no longer have, and
only then marks the batch processed. When the backend fails (Elasticsearch down) nothing is
marked and the next drain retries — the index lags, nothing is lost. Writing is idempotent:
the store, not the event, says what a dataset looks like now.

Several indexers may run (a background one in every ``mulu serve`` process, ``mulu index
drain``): each batch — read the store, write the index, mark the events — runs under one
store-wide lock (a transaction-level advisory lock on PostgreSQL, the write lock of
``BEGIN IMMEDIATE`` on SQLite), so a slower indexer can never write an older state of a
dataset over the newer one a faster indexer wrote after it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from catalog.db import Dataset, DatasetRevision, Department, OutboxEvent, utcnow
from catalog.store import Store
from search.base import SearchBackend, SearchUnavailable
from search.documents import (
    DatasetState,
    DepartmentInfo,
    all_doc_ids,
    documents,
)
from vocab.concepts import security_rank

log = logging.getLogger("mulu.search")

DATASET_TOPIC = "dataset.changed"
DEPARTMENT_TOPIC = "department.changed"
READ_BATCH = 500
INDEXER_LOCK = 0x6D756C75_696E6478  # "mulu" "indx": the PostgreSQL advisory lock of indexers


def _department(row: Department) -> DepartmentInfo:
    return DepartmentInfo(row.id, row.code, row.name, row.short_name or "", row.level or "")


# only the columns the documents need (DatasetState's fields, in order)
_DATASET_COLUMNS = (Dataset.id, Dataset.state, Dataset.resource_code, Dataset.security_rank,
                    Dataset.current_revision, Dataset.published_revision,
                    Dataset.published_security_rank, Dataset.department_id)


class Indexer:
    def __init__(self, store: Store, backend: SearchBackend, *, batch_size: int = 200):
        self.store = store
        self.backend = backend
        self.batch_size = batch_size
        self.ceiling_rank = security_rank(store.settings.security_ceiling)
        self._lock = threading.RLock()

    # -- reading the store ------------------------------------------------------------------
    def _documents(self, session: Session, dataset_ids: Sequence[str],
                   departments: dict[int, DepartmentInfo] | None = None,
                   ) -> tuple[list[dict[str, Any]], list[str]]:
        """Documents to write and document ids to delete for these datasets, as stored now."""
        if not dataset_ids:
            return [], []
        rows = {row[0]: DatasetState(*row) for row in session.execute(
            select(*_DATASET_COLUMNS).where(Dataset.id.in_(dataset_ids)))}
        if departments is None:
            wanted = {d.department_id for d in rows.values()}
            departments = {d.id: _department(d) for d in
                           session.scalars(select(Department).where(Department.id.in_(wanted)))}
        numbers = {n for d in rows.values() for n in (d.current_revision, d.published_revision)
                   if n is not None}
        revisions: dict[str, dict[int, dict[str, Any]]] = {}
        if rows:
            for dataset_id, number, data in session.execute(
                    select(DatasetRevision.dataset_id, DatasetRevision.number, DatasetRevision.data)
                    .where(DatasetRevision.dataset_id.in_(list(rows)),
                           DatasetRevision.number.in_(numbers))):
                revisions.setdefault(dataset_id, {})[number] = data
        docs: list[dict[str, Any]] = []
        remove: list[str] = []
        for dataset_id in dataset_ids:
            row = rows.get(dataset_id)
            if row is None:
                remove.extend(all_doc_ids(dataset_id))
                continue
            made = documents(row, departments[row.department_id],
                             revisions.get(dataset_id, {}), ceiling_rank=self.ceiling_rank)
            docs.extend(made)
            kept = {d["doc_id"] for d in made}
            remove.extend(i for i in all_doc_ids(dataset_id) if i not in kept)
        return docs, remove

    def documents_in_store(self) -> Iterator[dict[str, Any]]:
        """Every document the store says the index should hold (read in one transaction)."""
        with self.store.reading() as session:
            departments = {d.id: _department(d) for d in session.scalars(select(Department))}
            last = ""
            while True:
                ids = list(session.scalars(select(Dataset.id).where(Dataset.id > last)
                                           .order_by(Dataset.id).limit(READ_BATCH)))
                if not ids:
                    return
                docs, _ = self._documents(session, ids, departments)
                yield from docs
                last = ids[-1]

    # -- draining ---------------------------------------------------------------------------
    def pending(self) -> int:
        with self.store.reading() as session:
            return session.scalar(select(func.count()).select_from(OutboxEvent)
                                  .where(OutboxEvent.processed_at.is_(None))) or 0

    def _affected(self, session: Session, events: Sequence[Any]) -> list[str]:
        dataset_ids: dict[str, None] = {}
        for _, topic, object_id in events:
            if topic == DATASET_TOPIC:
                dataset_ids[object_id] = None
            elif topic == DEPARTMENT_TOPIC:  # a renamed department: all of its datasets
                department = session.scalar(select(Department.id).where(
                    (Department.code == object_id) | (Department.id == _int(object_id))))
                if department is not None:
                    for dataset_id in session.scalars(select(Dataset.id).where(
                            Dataset.department_id == department)):
                        dataset_ids[dataset_id] = None
        return list(dataset_ids)

    def drain(self, *, max_batches: int | None = None) -> int:
        """Index every pending change; return how many events were processed.

        Raises SearchUnavailable (events stay pending) when the backend cannot take the writes.
        """
        processed = 0
        batches = 0
        with self._lock:
            while max_batches is None or batches < max_batches:
                done = self._drain_batch()
                if not done:
                    break
                processed += done
                batches += 1
        if processed:
            log.info("search indexer: %d outbox events processed", processed)
        return processed

    def _drain_batch(self) -> int:
        """One batch under the indexers' lock (see the module's docstring); 0 when none."""
        if not self.pending():      # an idle poll takes no lock
            return 0
        with self.store.transaction() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INDEXER_LOCK})
            events = session.execute(
                select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.object_id)
                .where(OutboxEvent.processed_at.is_(None))
                .order_by(OutboxEvent.id).limit(self.batch_size)).all()
            if not events:
                return 0
            docs, remove = self._documents(session, self._affected(session, events))
            self.backend.index(docs)
            self.backend.delete(remove)
            session.execute(update(OutboxEvent).where(OutboxEvent.id.in_([e[0] for e in events]))
                            .values(processed_at=utcnow()))
            return len(events)

    def rebuild(self) -> int:
        """A new index from the whole store, swapped in at once; then what changed meanwhile."""
        with self._lock:
            started = utcnow()
            count = self.backend.rebuild(self.documents_in_store())
            self._replay_since(started)
            return count

    def _replay_since(self, moment: datetime) -> None:
        """Datasets whose events another process indexed into the old index while we rebuilt."""
        with self.store.reading() as session:
            ids = list(dict.fromkeys(session.scalars(
                select(OutboxEvent.object_id).where(OutboxEvent.processed_at >= moment,
                                                    OutboxEvent.topic == DATASET_TOPIC))))
            docs, remove = self._documents(session, ids)
        self.backend.index(docs)
        self.backend.delete(remove)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


class BackgroundIndexer:
    """Drains the outbox every ``interval`` seconds in a daemon thread; backs off while the
    backend is down (up to ``max_backoff``) and catches up when it returns."""

    def __init__(self, indexer: Indexer, *, interval: float = 1.0, max_backoff: float = 30.0):
        self.indexer = indexer
        self.interval = interval
        self.max_backoff = max_backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> BackgroundIndexer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mulu-indexer", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.wait(delay):
            try:
                self.indexer.drain()
                delay = self.interval
            except SearchUnavailable as exc:
                delay = min(max(delay, self.interval) * 2, self.max_backoff)
                log.warning("search index unavailable, retrying in %.0f s: %s", delay, exc)
            except Exception:  # noqa: BLE001 — the thread must survive to retry
                delay = min(max(delay, self.interval) * 2, self.max_backoff)
                log.exception("search indexer failed, retrying in %.0f s", delay)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
