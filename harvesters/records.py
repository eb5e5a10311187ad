"""Storing one harvested record: dedup across sources, provenance, create / update / withdraw.

The same dataset seen through two sources (same IRI, identifier or resource code) is one
dataset with two provenance rows; the ``is_primary`` one carries the content, the others only
say where else it is published.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from catalog.actors import Actor
from catalog.bulk import insert_rows
from catalog.datasets import DatasetService
from catalog.db import Dataset, HarvestProvenance, utcnow
from catalog.errors import InvalidInput
from catalog.problems import Problem
from catalog.writes import NewDataset, create_datasets, fill_harvest_publisher


@dataclass
class Known:
    """A provenance row of the running source, as loaded when the job started."""

    id: int
    dataset_id: str
    row_hash: str
    gone: bool
    is_primary: bool


@dataclass
class Stored:
    outcome: str                 # created | updated | unchanged | skipped
    dataset_id: str
    reason: str = ""
    problems: list[Problem] = field(default_factory=list)   # what the kept record lacks
    retry: bool = False          # not applied now: the next run offers the record again


@dataclass
class Incoming:
    """A mapped, validated record the running source had not listed before."""

    remote_id: str
    identifiers: tuple[str, ...]
    record: dict[str, Any]
    department_id: int
    fingerprint: str
    modified: str
    problems: list[Problem] = field(default_factory=list)


def load_known(session: Session, source_id: int) -> dict[str, Known]:
    rows = session.execute(select(
        HarvestProvenance.remote_id, HarvestProvenance.id, HarvestProvenance.dataset_id,
        HarvestProvenance.row_hash, HarvestProvenance.gone, HarvestProvenance.is_primary)
        .where(HarvestProvenance.source_id == source_id))
    return {r[0]: Known(r[1], r[2], r[3], r[4], r[5]) for r in rows}


class RecordStore:
    def __init__(self, datasets: DatasetService, actor: Actor, source_id: int, job_id: int,
                 *, global_ids: bool = True):
        """``global_ids``: the source's remote ids name a dataset anywhere (an IRI, a CKAN
        id) and so match another source's record; a spreadsheet row's id (its title key) is
        local to its file, and only its resource code matches."""
        self.global_ids = global_ids
        self.datasets = datasets
        self.actor = actor
        self.source_id = source_id
        self.job_id = job_id

    def store(self, session: Session, *, remote_id: str, identifiers: tuple[str, ...],
              record: dict[str, Any], department_id: int, fingerprint: str, modified: str,
              known: Known | None, problems: list[Problem]) -> Stored:
        note = f"harvest job {self.job_id}"
        if known is not None:
            return self._again(session, known, record, fingerprint, modified, note, problems)
        match = self._match(session, remote_id, identifiers, record.get("resource_code"))
        if match is not None:
            dataset_id, why = match
            self._add_provenance(session, dataset_id, remote_id, identifiers, fingerprint,
                                 modified, primary=False)
            return Stored("unchanged", dataset_id,
                          f"与已有信息资源相同（{why}），仅记录来源 / same dataset as an existing "
                          f"one ({why}); provenance added, content not overwritten")
        problems = list(problems)
        dataset = self.datasets.create_harvested_in(session, self.actor, record,
                                                    department_id=department_id, note=note,
                                                    problems=problems)
        self._add_provenance(session, dataset.id, remote_id, identifiers, fingerprint, modified,
                             primary=True)
        return Stored("created", dataset.id, problems=problems)

    def store_new(self, session: Session, items: list[Incoming]) -> list[Stored | InvalidInput]:
        """``store`` for a batch of records new to this source, with the same outcomes: one
        query finds those another source already holds (by identifier, then resource code),
        the others are created together (``catalog.harvested``), and the provenance rows go
        in with one INSERT. A database error raises: the caller retries the records alone."""
        results: list[Stored | InvalidInput | None] = [None] * len(items)
        matches = self._matches(session, items)
        provenance: list[dict[str, Any]] = []
        creating: list[int] = []
        alone: list[int] = []      # a resource code repeated in the batch: stored after it
        codes: set[str] = set()
        for position, item in enumerate(items):
            match, code = matches[position], item.record.get("resource_code")
            if match is not None:
                dataset_id, why = match
                provenance.append(self._provenance_row(item, dataset_id, primary=False))
                results[position] = Stored(
                    "unchanged", dataset_id, f"与已有信息资源相同（{why}），仅记录来源 / same "
                    f"dataset as an existing one ({why}); provenance added, content not "
                    "overwritten")
            elif code and code in codes:
                alone.append(position)
            else:
                codes.update([code] if code else [])
                creating.append(position)
        new = [NewDataset(items[p].record, items[p].department_id, list(items[p].problems))
               for p in creating]
        created = create_datasets(session, self.actor, new, state="published",
                                  action="dataset.harvest_create",
                                  note=f"harvest job {self.job_id}",
                                  fill_publisher=fill_harvest_publisher, duplicates="flag")
        for position, result, stored in zip(creating, created, new, strict=True):
            if isinstance(result, InvalidInput):
                results[position] = result
                continue
            provenance.append(self._provenance_row(items[position], result, primary=True))
            results[position] = Stored("created", result, problems=stored.problems)
        insert_rows(session, HarvestProvenance, provenance)
        for position in alone:
            item = items[position]
            try:
                with session.begin_nested():
                    results[position] = self.store(
                        session, remote_id=item.remote_id, identifiers=item.identifiers,
                        record=item.record, department_id=item.department_id,
                        fingerprint=item.fingerprint, modified=item.modified, known=None,
                        problems=item.problems)
            except InvalidInput as exc:
                results[position] = exc
        return [r for r in results if r is not None]

    def _matches(self, session: Session,
                 items: list[Incoming]) -> list[tuple[str, str] | None]:
        """``_match`` for every item with two queries."""
        keys = {k for item in items for k in self._keys(item.remote_id, item.identifiers)}
        first: dict[str, tuple[int, str, str]] = {}   # key -> (row id, dataset id, remote id)
        for row_id, dataset_id, remote_id, identifier in session.execute(
                select(HarvestProvenance.id, HarvestProvenance.dataset_id,
                       HarvestProvenance.remote_id, HarvestProvenance.identifier)
                .where(HarvestProvenance.source_id != self.source_id,
                       or_(HarvestProvenance.remote_id.in_(keys),
                           HarvestProvenance.identifier.in_(keys)))):
            for key in (remote_id, identifier):
                if key in keys and (key not in first or row_id < first[key][0]):
                    first[key] = (row_id, dataset_id, remote_id)
        codes = {item.record["resource_code"] for item in items
                 if item.record.get("resource_code")}
        by_code = dict(session.execute(select(Dataset.resource_code, Dataset.id)
                                       .where(Dataset.resource_code.in_(codes))).all()) \
            if codes else {}
        found: list[tuple[str, str] | None] = []
        for item in items:
            rows = [first[k] for k in self._keys(item.remote_id, item.identifiers)
                    if k in first]
            code = item.record.get("resource_code")
            if rows:
                _, dataset_id, remote_id = min(rows)
                found.append((dataset_id, f"identifier {remote_id}"))
            elif code and code in by_code:
                found.append((by_code[code], f"resource code {code}"))
            else:
                found.append(None)
        return found

    def _keys(self, remote_id: str, identifiers: tuple[str, ...]) -> list[str]:
        """What names the record beyond this source (see ``global_ids``)."""
        return [k for k in ((remote_id,) if self.global_ids else ()) + identifiers if k]

    def _provenance_row(self, item: Incoming, dataset_id: str, *, primary: bool
                        ) -> dict[str, Any]:
        now = utcnow()
        return {"dataset_id": dataset_id, "source_id": self.source_id,
                "remote_id": item.remote_id,
                "identifier": (item.identifiers[0] if item.identifiers else "")[:1000],
                "remote_modified": item.modified[:64], "row_hash": item.fingerprint,
                "is_primary": primary, "gone": False, "last_seen_job": self.job_id,
                "first_seen_at": now, "last_seen_at": now}

    def _again(self, session: Session, known: Known, record: dict[str, Any], fingerprint: str,
               modified: str, note: str, problems: list[Problem]) -> Stored:
        values: dict[str, Any] = {"row_hash": fingerprint, "remote_modified": modified[:64],
                                  "last_seen_job": self.job_id, "last_seen_at": utcnow(),
                                  "gone": False}
        state = session.scalar(select(Dataset.state).where(Dataset.id == known.dataset_id))
        if not known.is_primary:
            result = Stored("unchanged", known.dataset_id,
                            "内容以另一数据源为准 / content comes from another source")
        elif state == "withdrawn" and not known.gone:
            result = Stored("skipped", known.dataset_id,
                            "已被人工撤销，不自动恢复 / withdrawn by hand; not published again")
        else:
            outcome, _dataset, left = self.datasets.update_harvested_in(
                session, self.actor, known.dataset_id, record, note=note, problems=problems)
            if outcome == "pending":
                values.pop("row_hash")   # offered again next run, once the edit is decided
                result = Stored("skipped", known.dataset_id,
                                "本部门的修改正在审核中，来源的变化待下次采集时处理 / a steward's "
                                "edit awaits review; the source's record is offered again next "
                                "run", retry=True)
            else:
                reason = "数据源重新列出，已恢复发布 / listed again; published again" \
                    if known.gone and state == "withdrawn" else ""
                result = Stored(outcome, known.dataset_id, reason, problems=left)
        session.execute(update(HarvestProvenance).where(HarvestProvenance.id == known.id)
                        .values(**values))
        return result

    def _match(self, session: Session, remote_id: str, identifiers: tuple[str, ...],
               code: str | None) -> tuple[str, str] | None:
        keys = self._keys(remote_id, identifiers)
        row = session.execute(select(HarvestProvenance.dataset_id, HarvestProvenance.remote_id)
                              .where(HarvestProvenance.source_id != self.source_id,
                                     or_(HarvestProvenance.remote_id.in_(keys),
                                         HarvestProvenance.identifier.in_(keys)))
                              .order_by(HarvestProvenance.id).limit(1)).first()
        if row is not None:
            return row[0], f"identifier {row[1]}"
        if code:
            dataset_id = session.scalar(select(Dataset.id).where(Dataset.resource_code == code))
            if dataset_id:
                return dataset_id, f"resource code {code}"
        return None

    def _add_provenance(self, session: Session, dataset_id: str, remote_id: str,
                        identifiers: tuple[str, ...], fingerprint: str, modified: str, *,
                        primary: bool) -> None:
        session.add(HarvestProvenance(
            dataset_id=dataset_id, source_id=self.source_id, remote_id=remote_id,
            identifier=(identifiers[0] if identifiers else "")[:1000], remote_modified=modified[:64],
            row_hash=fingerprint, is_primary=primary, gone=False, last_seen_job=self.job_id))

    @staticmethod
    def _rows(session: Session, ids: list[int], chunk: int = 500) -> Iterator[HarvestProvenance]:
        """The provenance rows of ``ids`` (a few hundred a query: a database bounds the
        parameters of one statement)."""
        for start in range(0, len(ids), chunk):
            yield from session.scalars(select(HarvestProvenance).where(
                HarvestProvenance.id.in_(ids[start:start + chunk])).order_by(HarvestProvenance.id)
            ).all()

    def withdraw_missing(self, session: Session, listed: set[str]) -> list[tuple[str, str]]:
        """After a complete listing: mark this source's unseen records gone; withdraw a dataset
        when no source lists it any more (another source's record becomes primary otherwise)."""
        withdrawn = []
        missing = [row_id for row_id, remote_id in session.execute(
            select(HarvestProvenance.id, HarvestProvenance.remote_id).where(
                HarvestProvenance.source_id == self.source_id,
                HarvestProvenance.gone.is_(False))) if remote_id not in listed]
        for row in self._rows(session, missing):
            row.gone = True
            others = session.scalars(select(HarvestProvenance).where(
                HarvestProvenance.dataset_id == row.dataset_id, HarvestProvenance.id != row.id,
                HarvestProvenance.gone.is_(False)).order_by(HarvestProvenance.id)).all()
            if others:
                if row.is_primary:
                    row.is_primary = False
                    others[0].is_primary = True
                continue
            if self.datasets.withdraw_harvested_in(
                    session, self.actor, row.dataset_id,
                    f"数据源不再列出该记录 / no longer listed by harvest source {self.source_id}"):
                withdrawn.append((row.remote_id, row.dataset_id))
        return withdrawn
