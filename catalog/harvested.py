"""Creating many datasets at once, in the caller's transaction: a harvest batch (published,
the source's approval standing in for the review) and a spreadsheet import (drafts or
submitted).

``DatasetService._create`` stores one record with a dozen statements (the duplicate check, a
code-sequence bump, the dataset, its revision, a lock on the audit chain's head, the audit
entry, the outbox event, each flushed by the ORM). A harvest or an import stores thousands:
here a batch takes one query for the duplicate titles, one for the resource codes it was
given, one code-sequence bump per classification, one head lock for all its audit entries,
and one multi-row INSERT (COPY on PostgreSQL) per table.

Every rule of the one-at-a-time path holds for each record: it was validated by
``DatasetService.validate`` before it came here; a title already registered in the department
(or earlier in the batch) is refused with the same message, and so is a resource code already
taken (or given earlier in the batch); resource codes come from the same sequences; each
dataset gets its first revision, an audit entry and a ``dataset.changed`` outbox event in the
same transaction. A database error (a code taken by a concurrent writer) raises: the caller
rolls the batch back to its savepoint and stores its records one at a time.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit, rules
from catalog.actors import Actor
from catalog.bulk import insert_rows
from catalog.datasets import (
    change_event,
    duplicate_title,
    fill_harvest_publisher,
    published_columns,
    taken_code,
)
from catalog.db import Dataset, DatasetRevision, Department, OutboxEvent, utcnow
from catalog.errors import InvalidInput
from catalog.resource_codes import reserve_codes
from vocab.concepts import security_rank

NEW_STATES = ("draft", "submitted", "published")
PublisherRule = Callable[[dict[str, Any], Department], None]


@dataclass
class NewDataset:
    """One validated record and the department it belongs to."""

    record: dict[str, Any]
    department_id: int


def create_published(session: Session, actor: Actor, items: list[NewDataset], *,
                     note: str) -> list[str | InvalidInput]:
    """Harvested records as new published datasets: each one's id, or why it was refused."""
    return create_datasets(session, actor, items, state="published",
                           action="dataset.harvest_create", note=note,
                           fill_publisher=fill_harvest_publisher)


def create_datasets(session: Session, actor: Actor, items: list[NewDataset], *, state: str,
                    action: str, note: str, fill_publisher: PublisherRule,
                    at: datetime | None = None) -> list[str | InvalidInput]:
    """Store each record as a new dataset in ``state`` (its first revision noted ``note``, its
    audit entry ``action``, created ``at``, default now): its id, or why it was refused.

    ``fill_publisher`` fills in a record's publisher from its department. The records are
    completed in place (publisher, resource code); a refused one may have been too."""
    if state not in NEW_STATES:
        raise ValueError(f"a new dataset is {', '.join(NEW_STATES)}, not {state!r}")
    departments = {d.id: d for d in session.scalars(select(Department).where(
        Department.id.in_({item.department_id for item in items})))}
    keys = [rules.title_key(item.record["title"]) for item in items]
    taken = _registered_titles(session, items, keys)
    codes_taken = _taken_codes(session, items)
    results: list[str | InvalidInput] = [""] * len(items)
    accepted: list[int] = []
    repeats: dict[int, int] = {}              # position -> the batch's first of that title
    first_of: dict[tuple[int, str], int] = {}
    for position, (item, key) in enumerate(zip(items, keys, strict=True)):
        fill_publisher(item.record, departments[item.department_id])
        where, code = (item.department_id, key), item.record.get("resource_code")
        if where in taken:
            results[position] = duplicate_title(taken[where])
        elif where in first_of:
            repeats[position] = first_of[where]
        elif code and code in codes_taken:
            results[position] = taken_code()
        else:
            first_of[where] = position
            codes_taken.update([code] if code else [])
            accepted.append(position)
    wanting = [p for p in accepted if not items[p].record.get("resource_code")]
    given = {items[p].record["resource_code"] for p in accepted
             if items[p].record.get("resource_code")}
    codes = reserve_codes(session, [items[p].record["classification"] for p in wanting],
                          avoid=given)
    for position, code in zip(wanting, codes, strict=True):
        items[position].record["resource_code"] = code
    for position, first in repeats.items():
        results[position] = duplicate_title(items[first].record["resource_code"])
    ids = _insert(session, actor, [items[p] for p in accepted], [keys[p] for p in accepted],
                  state=state, action=action, note=note, at=at or utcnow())
    for position, dataset_id in zip(accepted, ids, strict=True):
        results[position] = dataset_id
    return results


def _registered_titles(session: Session, items: list[NewDataset],
                       keys: list[str]) -> dict[tuple[int, str], str]:
    """(department, title key) -> resource code of the datasets that already hold the title."""
    rows = session.execute(select(Dataset.department_id, Dataset.title_key, Dataset.resource_code)
                           .where(Dataset.department_id.in_({i.department_id for i in items}),
                                  Dataset.title_key.in_(set(keys)),
                                  Dataset.state != "withdrawn"))
    return {(department, key): code for department, key, code in rows}


def _taken_codes(session: Session, items: list[NewDataset]) -> set[str]:
    """The resource codes given in the batch that a dataset already holds."""
    given = {item.record["resource_code"] for item in items if item.record.get("resource_code")}
    if not given:
        return set()
    return set(session.scalars(select(Dataset.resource_code)
                               .where(Dataset.resource_code.in_(given))))


def _insert(session: Session, actor: Actor, items: list[NewDataset], keys: list[str], *,
            state: str, action: str, note: str, at: datetime) -> list[str]:
    if not items:
        return []
    published = 1 if state == "published" else None
    unpublished = dict.fromkeys(published_columns(1, 0, ""))
    datasets, revisions, events, entries, ids = [], [], [], [], []
    random = os.urandom(16 * len(items))  # one system call for the batch's ids, not one each
    for number, (item, key) in enumerate(zip(items, keys, strict=True)):
        record = item.record
        dataset_id = str(uuid.UUID(bytes=random[16 * number:16 * number + 16], version=4))
        rank = security_rank(record["security_level"])
        ids.append(dataset_id)
        datasets.append({
            "id": dataset_id, "department_id": item.department_id,
            "resource_code": record["resource_code"], "state": state,
            "title": record["title"], "title_key": key, "security_rank": rank,
            "current_revision": 1, "review_note": "",
            **(published_columns(1, rank, record["title"]) if published else unpublished),
            "created_by": actor.user_id, "created_at": at, "updated_at": at})
        revisions.append({
            "dataset_id": dataset_id, "number": 1, "data": record,
            "changed_fields": sorted(record), "author_id": actor.user_id,
            "author": actor.username, "note": note, "created_at": at})
        events.append({**change_event(dataset_id, state, 1, published), "created_at": at})
        entries.append(audit.Entry(action, "dataset", dataset_id, {
            "revision": 1, "resource_code": record["resource_code"], "state": state}))
    insert_rows(session, Dataset, datasets)
    insert_rows(session, DatasetRevision, revisions)
    audit.record_many(session, actor, entries)
    insert_rows(session, OutboxEvent, events)
    return ids
