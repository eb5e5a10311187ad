"""Dataset use cases: register, update, submit, review, withdraw, read and list.

Every call takes an explicit actor, runs in one transaction, records its audit entry and its
outbox event in that transaction, and keeps every revision.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog import audit, lifecycle, policy, publishers, rules
from catalog.actors import Actor
from catalog.config import Settings
from catalog.db import Dataset, DatasetRevision, Department, OutboxEvent, as_utc, utcnow
from catalog.departments import writable_department
from catalog.errors import (
    Conflict,
    FieldErrors,
    InvalidInput,
    Message,
    NotFound,
    field_error,
)
from catalog.messages import invalid_from_marshmallow, merge
from catalog.problems import Assessment, Problem, as_dicts, assess, possible_duplicate
from catalog.resource_codes import give_back, prefix_for, reserve_codes
from catalog.schemas import load_record
from catalog.sort_keys import title_sort_key
from catalog.store import Store
from catalog.visibility import View, seen_title_sort, view_of, visible
from catalog.writes import (
    Deferred,
    Duplicates,
    NewDataset,
    PublisherRule,
    change_event,
    code_classification,
    create_datasets,
    duplicate_title,
    fill_harvest_publisher,
    fill_own_publisher,
    published_columns,
    record_rank,
    starting_state,
    title_holders,
)

STATES = lifecycle.STATES
REVIEW_ACTIONS = ("publish", "return")
REGISTER_BATCH = 1000   # rows of a bulk registration stored with one statement per table
StoredBatch = Callable[[Session, list[tuple[int, "DatasetView"]]], None]
IngestedBatch = Callable[[Session, list[tuple[int, "DatasetView | InvalidInput"]]], None]


@dataclass
class DatasetView:
    """One dataset as a given actor sees it."""

    id: str
    resource_code: str
    state: str
    department_code: str
    department_name: str
    revision: int
    published_revision: int | None
    record: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    review_note: str = ""
    view: View = "current"
    problems: list[dict[str, str]] = field(default_factory=list)   # catalog.problems, as dicts
    department_id: int | None = None
    author_id: int | None = None   # who made the revision shown (separation of duties)

    @property
    def subject(self) -> policy.Subject:
        """The dataset as the access policy sees it."""
        return policy.Subject(self.department_id, self.author_id)

    @property
    def shown_state(self) -> str:
        """The state this actor sees: others see the published revision as published, or as
        待完善 when it has problems."""
        if self.view == "current":
            return self.state
        return "incomplete" if self.problems else "published"

    def as_dict(self) -> dict[str, Any]:
        return {**self.record, "id": self.id, "resource_code": self.resource_code,
                "state": self.shown_state, "problems": list(self.problems),
                "department_code": self.department_code, "department_name": self.department_name,
                "revision": self.revision, "published_revision": self.published_revision,
                "review_note": self.review_note, "created_at": iso_utc(self.created_at),
                "updated_at": iso_utc(self.updated_at)}


@dataclass
class Page:
    items: list[DatasetView]
    total: int
    page: int
    page_size: int


@dataclass
class RevisionView:
    number: int
    author: str
    created_at: datetime
    changed_fields: list[str]
    note: str
    record: dict[str, Any] = field(default_factory=dict)


class DatasetService:
    def __init__(self, store: Store):
        self.store = store

    @property
    def settings(self) -> Settings:
        return self.store.settings

    # -- validation -------------------------------------------------------------------------
    def validate(self, data: Any, actor: Actor) -> dict[str, Any]:
        """Schema and domain rules together; all problems at once, in zh and en."""
        try:
            record = load_record(data)
        except ValidationError as exc:
            partial = {k: v for k, v in data.items() if k not in exc.messages} \
                if isinstance(data, dict) else {}
            errors = invalid_from_marshmallow(exc.messages).errors
            raise InvalidInput(merge(errors, rules.check(partial, self.settings, actor))) from None
        errors = rules.check(record, self.settings, actor)
        if errors:
            raise InvalidInput(errors)
        return record

    def validate_draft(self, data: Any, actor: Actor) -> dict[str, Any]:
        """A draft (保存草稿) may be incomplete: it needs its name, and every value it gives is
        checked as on submission (shape, code lists, codes, dates, the security ceiling); the
        other required fields and the completeness rules wait for ``validate`` on submit."""
        if not isinstance(data, dict):
            return self.validate(data, actor)
        try:
            record = load_record(data, partial=True)
        except ValidationError as exc:
            partial = {k: v for k, v in data.items() if k not in exc.messages}
            errors = invalid_from_marshmallow(exc.messages).errors
            if not str(data.get("title") or "").strip() and "title" not in errors:
                errors = merge(errors, _title_missing())
            raise InvalidInput(merge(errors, rules.check(partial, self.settings, actor,
                                                         rules.DRAFT_RULES))) from None
        errors = rules.check(record, self.settings, actor, rules.DRAFT_RULES)
        if not record.get("title"):
            errors = merge(errors, _title_missing())
        if errors:
            raise InvalidInput(errors)
        return record

    def checked(self, data: Any, actor: Actor, *, submit: bool) -> dict[str, Any]:
        """The one rule of a form or API write: submitting validates fully, a draft leniently."""
        return self.validate(data, actor) if submit else self.validate_draft(data, actor)

    def submit_check(self, actor: Actor, record: dict[str, Any]) -> FieldErrors:
        """What a saved record still lacks or breaks before it can be submitted (empty when
        it is ready): the full validation's field messages."""
        try:
            self.validate(record, actor)
        except InvalidInput as exc:
            return exc.errors
        return {}

    # -- writes -----------------------------------------------------------------------------
    def register(self, actor: Actor, data: Any, *, department_code: str | None = None,
                 submit: bool = False, note: str = "") -> DatasetView:
        record = self.checked(data, actor, submit=submit)
        with self.store.transaction() as session:
            return self.register_in(session, actor, record, department_code=department_code,
                                    submit=submit, note=note)

    def register_many(self, actor: Actor, records: list[tuple[int, Any]], *,
                      department_code: str | None = None, submit: bool = False,
                      note: str = "") -> list[DatasetView]:
        """All or none: validate every (row number, record), then store them in one transaction
        (``register_batches``).

        Raises InvalidInput whose keys are ``row <n>: <field>`` when any row is wrong (and
        ``department_code`` when the department is)."""
        valid: list[tuple[int, dict[str, Any]]] = []
        errors: dict[str, list[Message]] = {}
        for row, data in records:
            try:
                valid.append((row, self.validate(data, actor)))
            except InvalidInput as exc:
                for name, messages in exc.errors.items():
                    errors.setdefault(f"row {row}: {name}", []).extend(messages)
        if errors:
            raise InvalidInput(errors)
        views: list[DatasetView] = []
        self.register_batches(
            actor, (valid[start:start + REGISTER_BATCH]
                    for start in range(0, len(valid), REGISTER_BATCH)),
            department_code=department_code, submit=submit, note=note,
            on_batch=lambda _session, stored: views.extend(view for _row, view in stored))
        return views

    def register_batches(self, actor: Actor, batches: Iterable[list[tuple[int, dict[str, Any]]]],
                         *, department_code: str | None = None, submit: bool = False,
                         note: str = "", on_batch: StoredBatch | None = None) -> int:
        """All or none, for records already validated (``validate``), in batches (an
        iterator: a file of any length streams through): every batch in one transaction,
        committed when the last is stored; returns how many were stored.

        Each batch goes through ``catalog.writes.create_datasets`` (one query per check, bulk
        inserts) in a savepoint; when it meets a database error (a code a concurrent writer
        took), its rows are stored one at a time instead, which names the rows to fix.
        ``on_batch`` receives each stored batch's (row, view) pairs in the same transaction
        (an import job's report rows and progress); it may raise to roll everything back.
        Raises InvalidInput whose keys are ``row <n>: <field>``, for every batch's rows."""
        deferred = self._deferred()
        try:
            return self._register_stream(actor, batches, department_code=department_code,
                                         submit=submit, note=note, on_batch=on_batch,
                                         deferred=deferred)
        except BaseException:
            if deferred is not None and deferred.reserved:   # nothing stored: codes go back
                with self.store.transaction() as session:
                    give_back(session, deferred.reserved)
            raise

    def _register_stream(self, actor: Actor, batches: Iterable[list[tuple[int, dict[str, Any]]]],
                         *, department_code: str | None, submit: bool, note: str,
                         on_batch: StoredBatch | None, deferred: Deferred | None) -> int:
        stored = 0
        errors: dict[str, list[Message]] = {}
        with self.store.transaction() as session:
            department = self._writable_department(session, actor, department_code)
            state = "submitted" if submit else "draft"
            for batch in batches:
                mark = (len(deferred.entries), len(deferred.handed)) if deferred else (0, 0)
                try:
                    try:
                        with session.begin_nested():
                            views = self._register_batches(session, actor, department, batch,
                                                           state=state, note=note or "created",
                                                           deferred=deferred)
                    except IntegrityError:
                        if deferred is not None:   # the batch's entries went with it
                            deferred.undo(*mark)
                        views = self._register_each(session, actor, department, batch,
                                                    state=state, note=note or "created",
                                                    deferred=deferred)
                except InvalidInput as exc:
                    if deferred is not None:
                        deferred.undo(*mark)
                    for name, messages in exc.errors.items():
                        errors.setdefault(name, []).extend(messages)
                    continue
                stored += len(views)
                if on_batch is not None and not errors:
                    on_batch(session, [(row, view) for (row, _), view
                                       in zip(batch, views, strict=True)])
            if errors:
                raise InvalidInput(errors)
            if deferred is not None:   # the chain's head is locked only now, for one append
                audit.record_many(session, actor, deferred.entries)
        return stored

    def _deferred(self) -> Deferred | None:
        """For a long transaction on a store with row locks (PostgreSQL): codes reserved in
        short transactions of their own, audit entries appended at the end
        (``catalog.writes.Deferred``). SQLite has one writer: the transaction holds it anyway,
        and a second transaction would wait for it."""
        if self.settings.store_backend == "sqlite":
            return None

        def reserve(classifications: list[str], avoid: Collection[str]) -> list[str]:
            with self.store.transaction() as codes:
                return reserve_codes(codes, classifications, avoid=avoid)

        return Deferred(reserve)

    def ingest_many(self, actor: Actor, rows: list[tuple[int, dict[str, Any], dict[str, str]]],
                    *, department_code: str | None = None, submit: bool = False,
                    note: str = "", on_batch: IngestedBatch | None = None,
                    ) -> list[tuple[int, DatasetView | InvalidInput]]:
        """Keep and flag: every (row, record, unread values) is stored, as 待完善 with its
        problems where it lacks or breaks something (a draft, or submitted), except a row
        unsafe to keep, which is refused alone (``catalog.problems.assess``).

        Each batch of ``REGISTER_BATCH`` rows is stored in its own transaction (with what
        ``on_batch`` writes of it: an import job's report rows), so other writers get their
        turn between batches; a failure keeps the batches committed before it."""
        results: list[tuple[int, DatasetView | InvalidInput]] = []
        state = "submitted" if submit else "draft"
        for start in range(0, max(len(rows), 1), REGISTER_BATCH):
            outcome: list[tuple[int, DatasetView | InvalidInput]] = []
            kept: list[tuple[int, Assessment]] = []
            for row, data, unread in rows[start:start + REGISTER_BATCH]:
                try:
                    kept.append((row, assess(data, self.settings, actor, unread)))
                except InvalidInput as exc:
                    outcome.append((row, exc))
            with self.store.transaction() as session:
                department = self._writable_department(session, actor, department_code)
                items = [NewDataset(a.record, department.id, a.problems) for _, a in kept]
                at = utcnow()
                stored = create_datasets(session, actor, items, state=state,
                                         action="dataset.import", note=note or "created",
                                         fill_publisher=fill_own_publisher, duplicates="flag",
                                         at=at) if items else []
                for (row, _), item, result in zip(kept, items, stored, strict=True):
                    if isinstance(result, InvalidInput):
                        outcome.append((row, result))
                        continue
                    view = self._new_view(result, department, item.record,
                                          starting_state(state, item.problems), at)
                    view.problems = as_dicts(item.problems)
                    outcome.append((row, view))
                outcome.sort(key=lambda r: r[0])
                if on_batch is not None:
                    on_batch(session, outcome)
            results.extend(outcome)
        return results

    def check_writable(self, actor: Actor, department_code: str | None) -> None:
        """Refuse at once a department the actor may not register datasets for (before a long
        import reads its file)."""
        with self.store.reading() as session:
            self._writable_department(session, actor, department_code)

    def _register_batches(self, session: Session, actor: Actor, department: Department,
                          rows: list[tuple[int, dict[str, Any]]], *, state: str,
                          note: str, deferred: Deferred | None = None) -> list[DatasetView]:
        views: list[DatasetView] = []
        errors: dict[str, list[Message]] = {}
        for start in range(0, len(rows), REGISTER_BATCH):
            batch = [(row, dict(record)) for row, record in rows[start:start + REGISTER_BATCH]]
            at = utcnow()
            results = create_datasets(
                session, actor, [NewDataset(record, department.id) for _, record in batch],
                state=state, action="dataset.create", note=note,
                fill_publisher=fill_own_publisher, at=at, deferred=deferred)
            for (row, record), result in zip(batch, results, strict=True):
                if isinstance(result, InvalidInput):
                    for name, messages in result.errors.items():
                        errors.setdefault(f"row {row}: {name}", []).extend(messages)
                elif not errors:
                    views.append(self._new_view(result, department, record, state, at))
        if errors:
            raise InvalidInput(errors)
        return views

    def _register_each(self, session: Session, actor: Actor, department: Department,
                       rows: list[tuple[int, dict[str, Any]]], *, state: str,
                       note: str, deferred: Deferred | None = None) -> list[DatasetView]:
        """The rows one at a time, each in its savepoint; every refused row is named."""
        views: list[DatasetView] = []
        errors: dict[str, list[Message]] = {}
        for row, record in rows:
            try:
                with session.begin_nested():
                    dataset = self._create_one(session, actor, department.id, dict(record),
                                               state=state, note=note, action="dataset.create",
                                               fill_publisher=fill_own_publisher,
                                               deferred=deferred)
                    views.append(self._view(session, dataset, "current"))
            except InvalidInput as exc:
                for name, messages in exc.errors.items():
                    errors.setdefault(f"row {row}: {name}", []).extend(messages)
        if errors:
            raise InvalidInput(errors)
        return views

    @staticmethod
    def _new_view(dataset_id: str, department: Department, record: dict[str, Any], state: str,
                  at: datetime) -> DatasetView:
        """The view of a dataset just created with ``record`` as its first revision."""
        return DatasetView(
            id=dataset_id, resource_code=record["resource_code"], state=state,
            department_code=department.code, department_name=department.name, revision=1,
            published_revision=1 if state == "published" else None, record=dict(record),
            created_at=at, updated_at=at, department_id=department.id)

    def register_in(self, session: Session, actor: Actor, record: dict[str, Any], *,
                    department_code: str | None, submit: bool, note: str) -> DatasetView:
        """Store one already validated record in the caller's transaction."""
        department = self._writable_department(session, actor, department_code)
        dataset = self._create_one(session, actor, department.id, record,
                                   state="submitted" if submit else "draft",
                                   note=note or "created", action="dataset.create",
                                   fill_publisher=fill_own_publisher)
        return self._view(session, dataset, "current")

    @staticmethod
    def _create_one(session: Session, actor: Actor, department_id: int, record: dict[str, Any],
                    *, state: str, note: str, action: str, fill_publisher: PublisherRule,
                    duplicates: Duplicates = "refuse",
                    problems: list[Problem] | None = None,
                    deferred: Deferred | None = None) -> Dataset:
        """A batch of one through the one write path (``catalog.writes``)."""
        result = create_datasets(session, actor, [NewDataset(record, department_id,
                                                              list(problems or []))],
                                 state=state, action=action, note=note,
                                 fill_publisher=fill_publisher, duplicates=duplicates,
                                 deferred=deferred)[0]
        if isinstance(result, InvalidInput):
            raise result
        return session.get_one(Dataset, result)

    def update(self, actor: Actor, dataset_id: str, data: Any, *, submit: bool = False,
               note: str = "") -> DatasetView:
        data = self._code_follows_classification(actor, dataset_id, data)
        record = self.checked(data, actor, submit=submit)
        with self.store.transaction() as session:
            dataset = self._for_update(session, dataset_id, actor)
            department = session.get_one(Department, dataset.department_id)
            previous = self._revision(session, dataset, dataset.current_revision).data
            if "resource_code" not in record and dataset.published_revision is None and \
                    not dataset.resource_code.startswith(
                        prefix_for(code_classification(record)) + "/"):
                dataset.resource_code = reserve_codes(session, [code_classification(record)])[0]
            record.setdefault("resource_code", dataset.resource_code)
            if record["resource_code"] != dataset.resource_code:
                raise field_error("resource_code", "信息资源代码登记后不可更改。",
                                  "The resource code cannot change after registration.")
            fill_own_publisher(record, department)
            self._refuse_duplicate(session, record, exclude=dataset.id)
            changed = sorted(name for name in set(previous) | set(record)
                             if previous.get(name) != record.get(name))
            if not changed and not submit:
                return self._view(session, dataset, "current")
            state = lifecycle.next_state(dataset.state, "update")
            self._new_revision(session, dataset, actor, record, changed, note or "updated", [])
            dataset.state = lifecycle.next_state(state, "submit") if submit else state
            audit.record(session, actor, "dataset.update", "dataset", dataset.id,
                         revision=dataset.current_revision, changed=changed, state=dataset.state)
            self._emit(session, dataset)
            return self._view(session, dataset, "current")

    def submit(self, actor: Actor, dataset_id: str) -> DatasetView:
        with self.store.transaction() as session:
            dataset = self._for_update(session, dataset_id, actor)
            current = self._revision(session, dataset, dataset.current_revision).data
            if dataset.state in ("draft", "returned"):
                errors = self.submit_check(actor, dict(current))   # a draft may be incomplete
                if errors:
                    raise InvalidInput(errors, Message(
                        "草稿尚不完整，补充以下内容后才能提交审核。",
                        "The draft is not complete: fill in the following to submit it."))
            if dataset.problem_count:
                raise Conflict(Message("该信息资源仍有待完善的内容，请先补充后再提交审核。",
                                       "The dataset still needs completion; complete it first."))
            dataset.state = lifecycle.next_state(dataset.state, "submit")
            dataset.updated_at = utcnow()
            audit.record(session, actor, "dataset.submit", "dataset", dataset.id,
                         revision=dataset.current_revision)
            self._emit(session, dataset)
            return self._view(session, dataset, "current")

    def review(self, actor: Actor, dataset_id: str, action: str, reason: str = "") -> DatasetView:
        if action not in REVIEW_ACTIONS:
            raise field_error("action", "审核操作应为 publish 或 return。",
                              "The review action must be 'publish' or 'return'.")
        if action == "return" and not reason.strip():
            raise field_error("reason", "退回必须说明理由。", "A return needs a reason.")
        policy.check(actor, "dataset.review")
        with self.store.transaction() as session:
            dataset = self._locked(session, dataset_id, actor)
            if dataset.state != "submitted":
                raise Conflict(Message(f"当前状态（{dataset.state}）不在待审核状态。",
                                       f"A dataset in state '{dataset.state}' is not awaiting review."))
            state = lifecycle.next_state(dataset.state, action)
            revision = self._revision(session, dataset, dataset.current_revision)
            policy.check(actor, "dataset.review",
                         policy.Subject(dataset.department_id, revision.author_id))
            dataset.state = state
            dataset.review_note = reason.strip()
            dataset.updated_at = utcnow()
            if action == "publish":
                _publish(dataset)
            audit.record(session, actor, f"dataset.{action}", "dataset", dataset.id,
                         revision=dataset.current_revision, reason=reason.strip())
            self._emit(session, dataset)
            return self._view(session, dataset, "current")

    def withdraw(self, actor: Actor, dataset_id: str, reason: str = "") -> DatasetView:
        with self.store.transaction() as session:
            dataset = self._for_update(session, dataset_id, actor)
            if dataset.state == "withdrawn":
                raise Conflict(Message("该信息资源已撤销。", "The dataset is already withdrawn."))
            lifecycle.next_state(dataset.state, "withdraw")
            _unpublish(dataset)
            audit.record(session, actor, "dataset.withdraw", "dataset", dataset.id,
                         reason=reason.strip())
            self._emit(session, dataset)
            return self._view(session, dataset, "current")

    # -- ingest: an approved source's records publish without per-record review; kept records
    # -- with problems are 待完善 (catalog.lifecycle), a steward's completion survives re-harvest
    def create_harvested_in(self, session: Session, actor: Actor, record: dict[str, Any], *,
                            department_id: int, note: str,
                            problems: list[Problem] | None = None) -> Dataset:
        """Store one assessed harvested record as a new dataset, published (待完善 with its
        problems), in the caller's transaction: a batch of one."""
        return self._create_one(session, actor, department_id, record, state="published",
                                note=note, action="dataset.harvest_create",
                                fill_publisher=fill_harvest_publisher, duplicates="flag",
                                problems=problems)

    def update_harvested_in(self, session: Session, actor: Actor, dataset_id: str,
                            record: dict[str, Any], *, note: str,
                            problems: list[Problem] | None = None
                            ) -> tuple[str, Dataset, list[Problem]]:
        """Bring a harvested dataset up to its source's record: ("updated" | "unchanged" |
        "pending", dataset, the problems it is left with). A withdrawn dataset comes back.

        A steward's local value survives: it fills what the source leaves empty and stands
        while the source's value is what it was when the steward changed it; a value the
        source changes wins (the change is a new revision). A record whose steward's edit
        awaits review ("pending") is left as it is, and the source's record is offered again
        by the next run."""
        dataset = session.scalars(select(Dataset).where(Dataset.id == dataset_id)
                                  .with_for_update()).one()
        if dataset.state in ("draft", "submitted", "returned"):
            return "pending", dataset, []
        department = session.get_one(Department, dataset.department_id)
        current = self._revision(session, dataset, dataset.current_revision)
        record["resource_code"] = dataset.resource_code
        fill_harvest_publisher(record, department)
        base = self._last_ingested(session, dataset, actor)
        merged, local = merge_local(record, current.data, base)
        found = [p for p in (problems or []) if p.field not in local
                 and p.kind != "possible_duplicate"]
        if local:
            found = [p for p in found if not (p.kind == "missing" and p.field in merged)]
        held = title_holders(session, {(publishers.key_of(merged),
                                        rules.title_key(merged.get("title") or ""))},
                             exclude=[dataset.id])
        found += [possible_duplicate(code) for code in held.values()]
        publishers.ensure_organizations(session, [merged])
        changed = sorted(name for name in set(current.data) | set(merged)
                         if current.data.get(name) != merged.get(name))
        state = lifecycle.next_state(dataset.state, lifecycle.ingest_action(len(found)))
        if not changed and state == dataset.state and current.problems == as_dicts(found):
            return "unchanged", dataset, found
        came_back = dataset.state == "withdrawn"
        self._new_revision(session, dataset, actor, merged, changed, note, found)
        dataset.state = state
        _publish(dataset)
        audit.record(session, actor, "dataset.harvest_update", "dataset", dataset.id,
                     revision=dataset.current_revision, changed=changed, came_back=came_back,
                     kept_local=sorted(local), problems=sorted({p.field for p in found}),
                     note=note)
        self._emit(session, dataset)
        return "updated", dataset, found

    @staticmethod
    def _last_ingested(session: Session, dataset: Dataset, actor: Actor) -> dict[str, Any]:
        """The record as the source last gave it (the latest revision ``actor`` wrote)."""
        data = session.scalar(select(DatasetRevision.data).where(
            DatasetRevision.dataset_id == dataset.id, DatasetRevision.author == actor.username)
            .order_by(DatasetRevision.number.desc()).limit(1))
        return dict(data or {})

    def withdraw_harvested_in(self, session: Session, actor: Actor, dataset_id: str,
                              reason: str) -> bool:
        """Withdraw (never delete) a dataset its sources no longer list; False if already so."""
        dataset = session.scalars(select(Dataset).where(Dataset.id == dataset_id)
                                  .with_for_update()).one()
        if dataset.state == "withdrawn":
            return False
        lifecycle.next_state(dataset.state, "harvest_withdraw")
        _unpublish(dataset)
        audit.record(session, actor, "dataset.harvest_withdraw", "dataset", dataset.id,
                     reason=reason)
        self._emit(session, dataset)
        return True


    # -- reads ------------------------------------------------------------------------------
    def get(self, actor: Actor, dataset_id: str) -> DatasetView:
        with self.store.reading() as session:
            dataset = session.get(Dataset, dataset_id) if _is_uuid(dataset_id) else None
            view = view_of(actor, dataset) if dataset else None
            if dataset is None or view is None:
                raise _not_found()
            return self._view(session, dataset, view)

    def list(self, actor: Actor, *, department_code: str | None = None, state: str | None = None,
             q: str | None = None, classification: str | None = None, sort: str = "updated",
             page: int = 1, page_size: int = 20) -> Page:
        """A page of the datasets the actor may see. ``classification``: a 分类 code and every
        code under it (目录 tree); ``sort``: one of ``LIST_SORTS`` (名称 in pinyin order)."""
        query = select(Dataset).where(visible(actor, title_contains=q.strip() if q else None))
        if department_code:
            query = query.join(Department).where(Department.code == department_code)
        if state:
            query = query.where(Dataset.state == state)
        if classification:   # a code's 分类码 is its classification's: the tree is a prefix
            query = query.where(Dataset.resource_code.startswith(classification,
                                                                autoescape=True))
        with self.store.reading() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(query.order_by(*_order(actor, sort), Dataset.id)
                                   .offset((page - 1) * page_size).limit(page_size)).all()
            return Page(self._views(session, actor, rows), total, page, page_size)

    def _views(self, session: Session, actor: Actor,
               rows: Iterable[Dataset]) -> builtins.list[DatasetView]:
        """The views of a page of rows: their revisions and departments in two queries."""
        seen = [(d, v) for d in rows if (v := view_of(actor, d)) is not None]
        if not seen:
            return []
        wanted = {(d.id, _number(d, v)) for d, v in seen}
        revisions = {(r.dataset_id, r.number): r for r in session.scalars(
            select(DatasetRevision).where(tuple_(DatasetRevision.dataset_id,
                                                 DatasetRevision.number).in_(list(wanted))))}
        departments = {d.id: d for d in session.scalars(select(Department).where(
            Department.id.in_({d.department_id for d, _ in seen})))}
        return [self._view(session, d, v, revisions[(d.id, _number(d, v))],
                           departments[d.department_id]) for d, v in seen]

    def state_counts(self, actor: Actor, *, department_code: str | None = None) -> dict[str, int]:
        """Datasets the actor may see, per state of their working copy, in one grouped query:
        the figures of those who see a department's working copies (its own people,
        governance; ``catalog.visibility.may_see_department_work``)."""
        if department_code is None:
            query = select(Dataset.state, func.count()).where(visible(actor))
        else:
            query = select(Dataset.state, func.count()).join(Department).where(
                visible(actor), Department.code == department_code)
        with self.store.reading() as session:
            counts = {state: int(n) for state, n in session.execute(query.group_by(Dataset.state))}
        return {state: counts.get(state, 0) for state in STATES}

    def state_counts_by_department(self, actor: Actor) -> dict[str, dict[str, int]]:
        """``state_counts`` of every department at once (department code → state → datasets),
        in one grouped query."""
        query = select(Department.code, Dataset.state, func.count()).join(Department).where(
            visible(actor)).group_by(Department.code, Dataset.state)
        out: dict[str, dict[str, int]] = {}
        with self.store.reading() as session:
            for code, state, n in session.execute(query):
                out.setdefault(code, dict.fromkeys(STATES, 0))[state] = int(n)
        return out

    def views(self, actor: Actor, dataset_ids: Collection[str]) -> dict[str, DatasetView]:
        """The datasets of ``dataset_ids`` the actor may see (others are left out), by id."""
        wanted = [i for i in dataset_ids if _is_uuid(i)]
        if not wanted:
            return {}
        with self.store.reading() as session:
            rows = session.scalars(select(Dataset).where(Dataset.id.in_(wanted), visible(actor)))
            return {v.id: v for v in self._views(session, actor, rows)}

    def classification_counts(self, actor: Actor, *,
                              department_code: str | None = None) -> dict[str, int]:
        """Datasets the actor may see (not withdrawn) under each 分类 code of the 目录 tree —
        类 (1 digit), 项 (3), 目 (6) — counted in one grouped query on the code's 分类码."""
        prefix = func.substr(Dataset.resource_code, 1, 6)
        query = select(prefix, func.count()).where(visible(actor), Dataset.state != "withdrawn")
        if department_code:
            query = query.join(Department).where(Department.code == department_code)
        counts: dict[str, int] = {}
        with self.store.reading() as session:
            for code, n in session.execute(query.group_by(prefix)):
                for level in (code[:1], code[:3], code[:6]):
                    counts[level] = counts.get(level, 0) + int(n)
        return counts

    def revisions(self, actor: Actor, dataset_id: str) -> builtins.list[RevisionView]:
        with self.store.reading() as session:
            dataset = session.get(Dataset, dataset_id) if _is_uuid(dataset_id) else None
            view = view_of(actor, dataset) if dataset else None
            if dataset is None or view is None:
                raise _not_found()
            last = dataset.current_revision if view == "current" else dataset.published_revision
            rows = session.scalars(select(DatasetRevision).where(
                DatasetRevision.dataset_id == dataset.id, DatasetRevision.number <= (last or 0))
                .order_by(DatasetRevision.number))
            return [RevisionView(r.number, r.author, as_utc(r.created_at), list(r.changed_fields),
                                 r.note, dict(r.data)) for r in rows]

    # -- helpers ----------------------------------------------------------------------------
    def _code_follows_classification(self, actor: Actor, dataset_id: str, data: Any) -> Any:
        """A dataset never published keeps no code of its own yet: when its classification
        changes (a draft saved before its 分类 was chosen), the code it carried from the form is
        dropped, and ``update`` draws one of the new classification."""
        if not isinstance(data, dict) or not data.get("classification") or not _is_uuid(dataset_id):
            return data
        with self.store.reading() as session:
            dataset = session.get(Dataset, dataset_id)
            if dataset is None or dataset.published_revision is not None \
                    or data.get("resource_code") not in (None, "", dataset.resource_code) \
                    or not isinstance(data["classification"], str) \
                    or dataset.resource_code.startswith(prefix_for(data["classification"]) + "/"):
                return data
        return {k: v for k, v in data.items() if k != "resource_code"}

    def _writable_department(self, session: Session, actor: Actor,
                             department_code: str | None) -> Department:
        policy.check(actor, "dataset.register")
        return writable_department(session, actor, department_code, own_only=Message(
            "只能为本部门登记信息资源。", "You can only register datasets of your own department."))

    def _for_update(self, session: Session, dataset_id: str, actor: Actor) -> Dataset:
        dataset = self._locked(session, dataset_id, actor)
        policy.check(actor, "dataset.edit", policy.Subject(dataset.department_id))
        return dataset

    def _locked(self, session: Session, dataset_id: str, actor: Actor) -> Dataset:
        dataset = session.scalar(select(Dataset).where(Dataset.id == dataset_id).with_for_update()) \
            if _is_uuid(dataset_id) else None
        if dataset is None or view_of(actor, dataset) is None:
            raise _not_found()
        return dataset

    @staticmethod
    def _refuse_duplicate(session: Session, record: dict[str, Any],
                          exclude: str | None = None) -> None:
        held = title_holders(session, {(publishers.key_of(record),
                                        rules.title_key(record["title"]))},
                             exclude=[exclude] if exclude else [])
        if held:
            raise duplicate_title(next(iter(held.values())))

    def _new_revision(self, session: Session, dataset: Dataset, actor: Actor,
                      record: dict[str, Any], changed: builtins.list[str], note: str,
                      problems: builtins.list[Problem]) -> None:
        dataset.current_revision += 1
        title = str(record.get("title") or "")
        dataset.title = title[:200]
        dataset.title_key = rules.title_key(title)[:200]
        dataset.title_sort = title_sort_key(title)
        dataset.publisher_key = publishers.key_of(record)
        dataset.problem_count = len(problems)
        dataset.security_rank = record_rank(record, actor)
        dataset.updated_at = utcnow()
        session.add(DatasetRevision(dataset_id=dataset.id, number=dataset.current_revision,
                                    data=record, changed_fields=changed,
                                    problems=as_dicts(problems), author_id=actor.user_id,
                                    author=actor.username, note=note))

    @staticmethod
    def _emit(session: Session, dataset: Dataset) -> None:
        session.add(OutboxEvent(**change_event(dataset.id, dataset.state,
                                               dataset.current_revision,
                                               dataset.published_revision)))

    @staticmethod
    def _revision(session: Session, dataset: Dataset, number: int) -> DatasetRevision:
        return session.scalars(select(DatasetRevision).where(
            DatasetRevision.dataset_id == dataset.id, DatasetRevision.number == number)).one()

    def _view(self, session: Session, dataset: Dataset, view: View,
              revision: DatasetRevision | None = None,
              department: Department | None = None) -> DatasetView:
        number = dataset.current_revision if view == "current" else dataset.published_revision
        assert number is not None
        revision = revision or self._revision(session, dataset, number)
        department = department or session.get_one(Department, dataset.department_id)
        return DatasetView(
            id=dataset.id, resource_code=dataset.resource_code, state=dataset.state,
            department_code=department.code, department_name=department.name, revision=number,
            published_revision=dataset.published_revision, record=dict(revision.data),
            created_at=dataset.created_at, updated_at=dataset.updated_at,
            review_note=dataset.review_note if view == "current" else "", view=view,
            problems=list(revision.problems or []), department_id=dataset.department_id,
            author_id=revision.author_id)


def _number(dataset: Dataset, view: View) -> int:
    """The revision number ``view`` shows of ``dataset``."""
    number = dataset.current_revision if view == "current" else dataset.published_revision
    assert number is not None
    return number


LIST_SORTS = ("updated", "title", "title_desc", "code")


def _order(actor: Actor, sort: str) -> builtins.list[Any]:
    """ORDER BY of a list: newest first; by name in pinyin order (the stored sort key of the
    title the actor sees, ``catalog.sort_keys``), either way; by resource code."""
    if sort == "title":
        return [seen_title_sort(actor).asc()]
    if sort == "title_desc":
        return [seen_title_sort(actor).desc()]
    if sort == "code":
        return [Dataset.resource_code.asc()]
    return [Dataset.updated_at.desc()]


def merge_local(source: dict[str, Any], current: dict[str, Any],
                base: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The source's record with the local values that survive it, and their names.

    ``base`` is the record as the source last gave it; a field whose current value differs
    from it was set locally. A local value stands where the source gives nothing or still
    gives what it gave before; where the source's value changed, the source wins."""
    merged, local = dict(source), set()
    for name, value in current.items():
        if name == "resource_code" or value == base.get(name):
            continue
        if name not in source or source.get(name) == base.get(name):
            merged[name] = value
            local.add(name)
    return merged, local


def _publish(dataset: Dataset) -> None:
    """Make the working copy the revision everyone (within clearance) sees."""
    for name, value in published_columns(dataset.current_revision, dataset.security_rank,
                                         dataset.title).items():
        setattr(dataset, name, value)
    dataset.updated_at = utcnow()


def _unpublish(dataset: Dataset) -> None:
    """Withdraw: no public revision any more; coming back needs a new review or harvest."""
    dataset.state = "withdrawn"
    for name in published_columns(0, 0, ""):
        setattr(dataset, name, None)
    dataset.updated_at = utcnow()


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC (SQLite hands back naive datetimes that were stored as UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def _title_missing() -> FieldErrors:
    return {"title": [Message("草稿至少需要填写信息资源名称。",
                              "A draft needs at least its title.")]}


def _not_found() -> NotFound:
    return NotFound(Message("信息资源不存在或无权查看。", "No such dataset, or you may not see it."))
