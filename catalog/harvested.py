"""Creating many harvested datasets at once, in the caller's transaction.

``DatasetService.create_harvested_in`` stores one record with a dozen statements (the duplicate
check, a code-sequence bump, the dataset, its revision, a lock on the audit chain's head, the
audit entry, the outbox event, each flushed by the ORM). A harvest stores thousands: here a
batch takes one query for the duplicate titles, one code-sequence bump per classification, one
head lock for all its audit entries, and one multi-row INSERT per table.

Every rule of the one-at-a-time path holds for each record: it was validated by
``DatasetService.validate`` before it came here; a title already registered in the department
(or earlier in the batch) is refused with the same message; resource codes come from the same
sequences; each dataset gets its first revision, a ``dataset.harvest_create`` audit entry and
a ``dataset.changed`` outbox event in the same transaction. A database error (a code or a title
taken by a concurrent writer) raises: the caller rolls the batch back and stores its records
one at a time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit, rules
from catalog.actors import Actor
from catalog.bulk import insert_rows
from catalog.datasets import duplicate_title, fill_harvest_publisher
from catalog.db import Dataset, DatasetRevision, Department, OutboxEvent, utcnow
from catalog.errors import InvalidInput
from catalog.resource_codes import reserve_codes
from vocab.concepts import security_rank


@dataclass
class NewDataset:
    """One validated harvested record and the department it belongs to."""

    record: dict[str, Any]
    department_id: int


def create_published(session: Session, actor: Actor, items: list[NewDataset], *,
                     note: str) -> list[str | InvalidInput]:
    """Store each record as a new published dataset: its id, or why it was refused."""
    departments = {d.id: d for d in session.scalars(select(Department).where(
        Department.id.in_({item.department_id for item in items})))}
    keys = [rules.title_key(item.record["title"]) for item in items]
    taken = _registered_titles(session, items, keys)
    results: list[str | InvalidInput] = [""] * len(items)
    accepted: list[int] = []
    repeats: dict[int, int] = {}              # position -> the batch's first of that title
    first_of: dict[tuple[int, str], int] = {}
    for position, (item, key) in enumerate(zip(items, keys, strict=True)):
        fill_harvest_publisher(item.record, departments[item.department_id])
        where = (item.department_id, key)
        if where in taken:
            results[position] = duplicate_title(taken[where])
        elif where in first_of:
            repeats[position] = first_of[where]
        else:
            first_of[where] = position
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
                  note)
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


def _insert(session: Session, actor: Actor, items: list[NewDataset], keys: list[str],
            note: str) -> list[str]:
    if not items:
        return []
    now = utcnow()
    datasets, revisions, events, entries, ids = [], [], [], [], []
    for item, key in zip(items, keys, strict=True):
        record = item.record
        dataset_id = str(uuid.uuid4())
        rank = security_rank(record["security_level"])
        ids.append(dataset_id)
        datasets.append({
            "id": dataset_id, "department_id": item.department_id,
            "resource_code": record["resource_code"], "state": "published",
            "title": record["title"], "title_key": key, "security_rank": rank,
            "current_revision": 1, "published_revision": 1, "published_security_rank": rank,
            "published_title": record["title"], "review_note": "", "created_by": actor.user_id,
            "created_at": now, "updated_at": now})
        revisions.append({
            "dataset_id": dataset_id, "number": 1, "data": record,
            "changed_fields": sorted(record), "author_id": actor.user_id,
            "author": actor.username, "note": note, "created_at": now})
        events.append({"topic": "dataset.changed", "object_id": dataset_id, "created_at": now,
                       "payload": {"id": dataset_id, "state": "published", "revision": 1,
                                   "published_revision": 1}})
        entries.append(audit.Entry("dataset.harvest_create", "dataset", dataset_id, {
            "revision": 1, "resource_code": record["resource_code"], "state": "published"}))
    insert_rows(session, Dataset, datasets)
    insert_rows(session, DatasetRevision, revisions)
    audit.record_many(session, actor, entries)
    insert_rows(session, OutboxEvent, events)
    return ids
