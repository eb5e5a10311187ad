"""The one way datasets are created: a batch, in the caller's transaction. A form or API
registration is a batch of one; a spreadsheet import and a harvest batch are many.

A batch takes one query for the titles its publishers already hold, one for the resource codes
it was given, one code-sequence bump per classification, one head lock for all its audit
entries, and one multi-row INSERT (COPY on PostgreSQL) per table.

The rules, for every record of every path:
- duplicate titles (names that differ only by punctuation or spaces) are checked within one
  publisher (``catalog.publishers``), never across publishers. ``duplicates="refuse"`` (form,
  API, all-or-none import) refuses the second; ``"flag"`` (ingest) keeps it with a
  ``possible_duplicate`` problem;
- a resource code already taken (or given earlier in the batch) is refused, or under ``"flag"``
  replaced by a new code with a problem naming the source's code;
- resource codes come from the sequences; each dataset gets its first revision (with its
  problems), an audit entry and a ``dataset.changed`` outbox event in the same transaction;
- a record with problems starts as 待完善 (``catalog.lifecycle``).
A database error (a code taken by a concurrent writer) raises: the caller rolls the batch back
to its savepoint and stores its records one at a time.

A long transaction of many batches (an all-or-none import of 100,000 rows) would hold the
audit chain's head and the code sequences it bumped until it commits, holding up every other
writer; given ``Deferred``, a batch reserves its codes in a short transaction of its own and
leaves its audit entries for the caller to append once, at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalog import audit, lifecycle, publishers, rules
from catalog.actors import Actor
from catalog.bulk import insert_rows
from catalog.db import Dataset, DatasetRevision, Department, OutboxEvent, utcnow
from catalog.errors import InvalidInput, Message, field_error
from catalog.problems import UNCLASSIFIED, Problem, as_dicts, possible_duplicate
from catalog.resource_codes import prefix_for, reserve_codes
from catalog.sort_keys import title_sort_key
from vocab.concepts import security_rank

PublisherRule = Callable[[dict[str, Any], Department], None]
Duplicates = Literal["refuse", "flag"]
TitleKey = tuple[str, str]            # (publisher key, title key)


@dataclass
class Deferred:
    """What a long transaction of batches does outside itself, or at its end (see above):
    ``reserve(classifications, avoid)`` hands out codes (committed at once: a failed import
    leaves a gap in the sequence, never a record), ``entries`` the audit entries to append."""

    reserve: Callable[[list[str], Collection[str]], list[str]]
    entries: list[audit.Entry] = field(default_factory=list)
    given: set[str] = field(default_factory=set)   # codes the batches gave, not to hand out
    handed: list[str] = field(default_factory=list)   # codes handed out, in order
    spare: list[str] = field(default_factory=list)    # reserved, then rolled back: used first
    reserved: list[str] = field(default_factory=list)  # every code reserved (to give back)

    def codes(self, classifications: list[str]) -> list[str]:
        """A code for each classification: spare ones of its prefix first, then new ones."""
        found: list[str | None] = []
        for classification in classifications:
            prefix = prefix_for(classification) + "/"
            spare = next((c for c in self.spare if c.startswith(prefix)), None)
            if spare is not None:
                self.spare.remove(spare)
            found.append(spare)
        wanted = [c for c, code in zip(classifications, found, strict=True) if code is None]
        fresh = self.reserve(wanted, self.given) if wanted else []
        self.reserved.extend(fresh)
        new = iter(fresh)
        codes = [code if code is not None else next(new) for code in found]
        self.handed.extend(codes)
        return codes

    def undo(self, entries: int, handed: int) -> None:
        """A batch rolled back to its savepoint: forget its audit entries, keep its codes."""
        del self.entries[entries:]
        self.spare.extend(self.handed[handed:])
        del self.handed[handed:]


@dataclass
class NewDataset:
    """One record, the department it belongs to, and what it lacks or breaks."""

    record: dict[str, Any]
    department_id: int
    problems: list[Problem] = field(default_factory=list)


def fill_own_publisher(record: dict[str, Any], department: Department) -> None:
    """A registration's publisher is its department unless the record names another: a
    provider named without a code is known by its name (as in a harvest), not given the
    department's code."""
    record.setdefault("publisher_name", department.name)
    named = publishers.fold(str(record["publisher_name"] or ""))
    if "publisher_code" not in record and named in ("", publishers.fold(department.name)):
        record["publisher_code"] = department.code


def fill_harvest_publisher(record: dict[str, Any], department: Department) -> None:
    """A harvested record's unknown provider keeps its own name (and no code); none at all:
    the department."""
    if not record.get("publisher_name"):
        record["publisher_name"] = department.name
        record["publisher_code"] = department.code


def duplicate_title(other_code: str) -> InvalidInput:
    """The refusal of a title its publisher already holds (as ``other_code``)."""
    return field_error("title", f"该提供方已登记同名信息资源（{other_code}），名称仅标点或空格不同视为重复。",
                       f"This publisher already registered this title ({other_code}); names "
                       "that differ only by punctuation or spaces are duplicates.")


def taken_code() -> InvalidInput:
    """The refusal of a resource code another dataset holds."""
    return field_error("resource_code", "信息资源代码已被占用。", "This resource code is already taken.")


def replaced_code(code: str) -> Problem:
    return Problem("resource_code", "rule", Message(
        f"来源给出的信息资源代码“{code}”已被其他信息资源占用，已另行编码。",
        f"The source's resource code '{code}' is held by another dataset; a new code was "
        "assigned."), code)


def record_rank(record: dict[str, Any], actor: Actor) -> int:
    """The security rank a record is stored at: its level's, or — a draft saved before its
    密级 is chosen — the registrant's clearance (a draft is seen only within its department,
    and never by anyone the registrant's clearance would not reach)."""
    level = record.get("security_level")
    return security_rank(level) if level else actor.clearance_rank


def code_classification(record: dict[str, Any]) -> str:
    """The classification a record's resource code is drawn from: its own, or — a draft saved
    before its 分类 is chosen — 其他部门 (the code follows the classification once it is set,
    while the dataset has never been published: ``DatasetService.update``)."""
    return str(record.get("classification") or UNCLASSIFIED)


def published_columns(revision: int, security_rank: int, title: str) -> dict[str, Any]:
    """The dataset columns that make ``revision`` the one everyone (within clearance) sees."""
    return {"published_revision": revision, "published_security_rank": security_rank,
            "published_title": title[:200],
            "published_title_sort": title_sort_key(title) if revision else None}


def change_event(dataset_id: str, state: str, revision: int,
                 published_revision: int | None) -> dict[str, Any]:
    """The ``dataset.changed`` outbox event's columns (the indexer reads the store, not this)."""
    return {"topic": "dataset.changed", "object_id": dataset_id,
            "payload": {"id": dataset_id, "state": state, "revision": revision,
                        "published_revision": published_revision}}


def title_holders(session: Session, wanted: Collection[TitleKey],
                  exclude: Collection[str] = ()) -> dict[TitleKey, str]:
    """(publisher key, title key) -> resource code of a dataset (not withdrawn, not in
    ``exclude``) that already holds the title: the duplicate rule's one query."""
    wanted = {w for w in wanted if w[1]}
    if not wanted:
        return {}
    found: dict[TitleKey, str] = {}
    for publisher, title, code in session.execute(title_holders_query(wanted, exclude)):
        if (publisher, title) in wanted:
            found.setdefault((publisher, title), code)
    return found


def title_holders_query(wanted: Collection[TitleKey], exclude: Collection[str] = ()) -> Select:
    """``title_holders``' query, by the title-key index: the datasets holding one of
    ``wanted``'s titles, whatever their publisher (the caller keeps the wanted pairs). A
    row-value ``(publisher_key, title_key) IN (...)`` is exact, but SQLite answers it by
    scanning the whole table, so each batch of a harvest cost more as the store grew; both
    keys ``IN`` lists make it probe every publisher-title combination."""
    query = select(Dataset.publisher_key, Dataset.title_key, Dataset.resource_code).where(
        Dataset.title_key.in_(sorted({title for _, title in wanted})),
        Dataset.state != "withdrawn")
    if exclude:
        query = query.where(Dataset.id.not_in(list(exclude)))
    return query.order_by(Dataset.resource_code)


def create_datasets(session: Session, actor: Actor, items: list[NewDataset], *, state: str,
                    action: str, note: str, fill_publisher: PublisherRule,
                    duplicates: Duplicates = "refuse",
                    at: datetime | None = None,
                    deferred: Deferred | None = None) -> list[str | InvalidInput]:
    """Store each record as a new dataset starting in ``state`` (``catalog.lifecycle.INITIAL``
    values: draft, submitted, published; a record with problems starts 待完善, published when
    ``state`` is): its id, or why it was refused. The records are completed in place
    (publisher, resource code); ``items[i].problems`` gains what the batch found."""
    if state not in ("draft", "submitted", "published"):
        raise ValueError(f"a new dataset starts as draft, submitted or published, not {state!r}")
    departments = {d.id: d for d in session.scalars(select(Department).where(
        Department.id.in_({item.department_id for item in items})))}
    for item in items:
        fill_publisher(item.record, departments[item.department_id])
    keys = [(publishers.key_of(i.record), rules.title_key(i.record.get("title") or ""))
            for i in items]
    held = title_holders(session, set(keys))
    codes_taken = _taken_codes(session, items)
    results: list[str | InvalidInput] = [""] * len(items)
    accepted: list[int] = []
    repeats: dict[int, int] = {}              # position -> the batch's first of that title
    first_of: dict[TitleKey, int] = {}
    for position, (item, key) in enumerate(zip(items, keys, strict=True)):
        code = item.record.get("resource_code")
        if code and code in codes_taken:
            if duplicates == "refuse":
                results[position] = taken_code()
                continue
            item.problems.append(replaced_code(item.record.pop("resource_code")))
            code = None
        if key in held and key[1]:
            if duplicates == "refuse":
                results[position] = duplicate_title(held[key])
                continue
            item.problems.append(possible_duplicate(held[key]))
        elif key in first_of and key[1]:
            repeats[position] = first_of[key]
            if duplicates == "refuse":
                continue
        else:
            first_of.setdefault(key, position)
        codes_taken.update([code] if code else [])
        accepted.append(position)
    wanting = [p for p in accepted if not items[p].record.get("resource_code")]
    given = {items[p].record["resource_code"] for p in accepted
             if items[p].record.get("resource_code")}
    classifications = [code_classification(items[p].record) for p in wanting]
    if deferred is None:
        codes = reserve_codes(session, classifications, avoid=given)
    else:
        deferred.given |= given
        codes = deferred.codes(classifications)
    for position, code in zip(wanting, codes, strict=True):
        items[position].record["resource_code"] = code
    for position, first in repeats.items():
        other = items[first].record["resource_code"]
        if duplicates == "refuse":
            results[position] = duplicate_title(other)
        else:
            items[position].problems.append(possible_duplicate(other))
    publishers.ensure_organizations(session, (items[p].record for p in accepted))
    ids = _insert(session, actor, [items[p] for p in accepted], [keys[p] for p in accepted],
                  state=state, action=action, note=note, at=at or utcnow(), deferred=deferred)
    for position, dataset_id in zip(accepted, ids, strict=True):
        results[position] = dataset_id
    return results


def starting_state(state: str, problems: list[Problem]) -> str:
    """Where a new dataset asked to start in ``state`` starts, given its problems."""
    if not problems:
        return state
    return lifecycle.INITIAL["harvest_flagged" if state == "published" else "import_flagged"]


def _taken_codes(session: Session, items: list[NewDataset]) -> set[str]:
    """The resource codes given in the batch that a dataset already holds."""
    given = {item.record["resource_code"] for item in items if item.record.get("resource_code")}
    if not given:
        return set()
    return set(session.scalars(select(Dataset.resource_code)
                               .where(Dataset.resource_code.in_(given))))


def _insert(session: Session, actor: Actor, items: list[NewDataset], keys: list[TitleKey], *,
            state: str, action: str, note: str, at: datetime,
            deferred: Deferred | None = None) -> list[str]:
    if not items:
        return []
    unpublished = dict.fromkeys(published_columns(1, 0, ""))
    datasets, revisions, events, entries, ids = [], [], [], [], []
    random = os.urandom(16 * len(items))  # one system call for the batch's ids, not one each
    for number, (item, (publisher, title_key)) in enumerate(zip(items, keys, strict=True)):
        record = item.record
        dataset_id = str(uuid.UUID(bytes=random[16 * number:16 * number + 16], version=4))
        rank = record_rank(record, actor)
        begins = starting_state(state, item.problems)
        published = 1 if state == "published" else None
        title = str(record.get("title") or "")
        ids.append(dataset_id)
        datasets.append({
            "id": dataset_id, "department_id": item.department_id,
            "resource_code": record["resource_code"], "state": begins,
            "title": title[:200], "title_key": title_key[:200], "security_rank": rank,
            "title_sort": title_sort_key(title),
            "current_revision": 1, "review_note": "", "publisher_key": publisher,
            "problem_count": len(item.problems),
            **(published_columns(1, rank, title) if published else unpublished),
            "created_by": actor.user_id, "created_at": at, "updated_at": at})
        revisions.append({
            "dataset_id": dataset_id, "number": 1, "data": record,
            "changed_fields": sorted(record), "problems": as_dicts(item.problems),
            "author_id": actor.user_id, "author": actor.username, "note": note,
            "created_at": at})
        events.append({**change_event(dataset_id, begins, 1, published), "created_at": at})
        detail: dict[str, Any] = {"revision": 1, "resource_code": record["resource_code"],
                                  "state": begins}
        if item.problems:
            detail["problems"] = sorted({p.field for p in item.problems})
        entries.append(audit.Entry(action, "dataset", dataset_id, detail))
    insert_rows(session, Dataset, datasets)
    insert_rows(session, DatasetRevision, revisions)
    if deferred is None:
        audit.record_many(session, actor, entries)
    else:
        deferred.entries.extend(entries)
    insert_rows(session, OutboxEvent, events)
    return ids
