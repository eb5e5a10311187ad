"""Dataset use cases: register, update, submit, review, withdraw, read and list.

Every call takes an explicit actor, runs in one transaction, records its audit entry and its
outbox event in that transaction, and keeps every revision.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog import audit, rules
from catalog.actors import Actor
from catalog.config import Settings
from catalog.db import Dataset, DatasetRevision, Department, OutboxEvent, utcnow
from catalog.departments import writable_department
from catalog.errors import Conflict, Forbidden, InvalidInput, Message, NotFound, field_error
from catalog.messages import invalid_from_marshmallow, merge
from catalog.resource_codes import next_code
from catalog.schemas import load_record
from catalog.store import Store
from catalog.visibility import View, view_of, visible
from vocab.concepts import security_rank

STATES = ("draft", "submitted", "published", "returned", "withdrawn")
REVIEW_ACTIONS = ("publish", "return")
REGISTER_BATCH = 1000   # rows of a bulk registration stored with one statement per table


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

    def as_dict(self) -> dict[str, Any]:
        return {**self.record, "id": self.id, "resource_code": self.resource_code,
                "state": self.state if self.view == "current" else "published",
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

    # -- writes -----------------------------------------------------------------------------
    def register(self, actor: Actor, data: Any, *, department_code: str | None = None,
                 submit: bool = False, note: str = "") -> DatasetView:
        record = self.validate(data, actor)
        with self.store.transaction() as session:
            return self.register_in(session, actor, record, department_code=department_code,
                                    submit=submit, note=note)

    def register_many(self, actor: Actor, records: list[tuple[int, Any]], *,
                      department_code: str | None = None, submit: bool = False,
                      note: str = "") -> list[DatasetView]:
        """All or none: validate every (row number, record), then store them in one transaction.

        Raises InvalidInput whose keys are ``row <n>: <field>`` when any row is wrong (and
        ``department_code`` when the department is). The rows are stored in batches
        (``catalog.harvested.create_datasets``: one query per check, bulk inserts); when a
        batch meets a database error (a code a concurrent writer took), they are stored one
        at a time instead, which names the rows to fix.
        """
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
        with self.store.transaction() as session:
            department = self._writable_department(session, actor, department_code)
            state = "submitted" if submit else "draft"
            try:
                with session.begin_nested():
                    views = self._register_batches(session, actor, department, valid,
                                                   state=state, note=note or "created")
            except IntegrityError:
                views = self._register_each(session, actor, department, valid, state=state,
                                            note=note or "created")
            return views

    def _register_batches(self, session: Session, actor: Actor, department: Department,
                          rows: list[tuple[int, dict[str, Any]]], *, state: str,
                          note: str) -> list[DatasetView]:
        # imported here: catalog.harvested imports this module's refusals
        from catalog.harvested import NewDataset, create_datasets

        views: list[DatasetView] = []
        errors: dict[str, list[Message]] = {}
        for start in range(0, len(rows), REGISTER_BATCH):
            batch = [(row, dict(record)) for row, record in rows[start:start + REGISTER_BATCH]]
            at = utcnow()
            results = create_datasets(
                session, actor, [NewDataset(record, department.id) for _, record in batch],
                state=state, action="dataset.create", note=note,
                fill_publisher=self._fill_publisher, at=at)
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
                       note: str) -> list[DatasetView]:
        """The rows one at a time, each in its savepoint; every refused row is named."""
        views: list[DatasetView] = []
        errors: dict[str, list[Message]] = {}
        for row, record in rows:
            try:
                with session.begin_nested():
                    filled = dict(record)
                    self._fill_publisher(filled, department)
                    dataset = self._create(session, actor, department, filled, state=state,
                                           note=note, action="dataset.create")
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
            created_at=at, updated_at=at)

    def register_in(self, session: Session, actor: Actor, record: dict[str, Any], *,
                    department_code: str | None, submit: bool, note: str) -> DatasetView:
        """Store one already validated record in the caller's transaction."""
        department = self._writable_department(session, actor, department_code)
        self._fill_publisher(record, department)
        dataset = self._create(session, actor, department, record, state="submitted" if submit
                               else "draft", note=note or "created", action="dataset.create")
        return self._view(session, dataset, "current")

    def _create(self, session: Session, actor: Actor, department: Department,
                record: dict[str, Any], *, state: str, note: str, action: str) -> Dataset:
        """The dataset row, its first revision, its audit entry and outbox event."""
        self._refuse_duplicate(session, department, record)
        if record.get("resource_code"):
            self._refuse_taken_code(session, record["resource_code"], None)
        else:
            record["resource_code"] = next_code(session, record["classification"])
        dataset = Dataset(
            id=str(uuid.uuid4()), department_id=department.id,
            resource_code=record["resource_code"], state=state, title=record["title"],
            title_key=rules.title_key(record["title"]),
            security_rank=security_rank(record["security_level"]), current_revision=1,
            created_by=actor.user_id, review_note="")
        if state == "published":
            _publish(dataset)
        session.add(dataset)
        session.flush()
        self._add_revision(session, dataset, actor, record, sorted(record), note)
        audit.record(session, actor, action, "dataset", dataset.id, revision=1,
                     resource_code=dataset.resource_code, state=dataset.state)
        self._emit(session, dataset)
        return dataset

    def update(self, actor: Actor, dataset_id: str, data: Any, *, submit: bool = False,
               note: str = "") -> DatasetView:
        record = self.validate(data, actor)
        with self.store.transaction() as session:
            dataset = self._for_update(session, dataset_id, actor)
            department = session.get_one(Department, dataset.department_id)
            previous = self._revision(session, dataset, dataset.current_revision).data
            record.setdefault("resource_code", dataset.resource_code)
            if record["resource_code"] != dataset.resource_code:
                raise field_error("resource_code", "信息资源代码登记后不可更改。",
                                  "The resource code cannot change after registration.")
            self._fill_publisher(record, department)
            self._refuse_duplicate(session, department, record, exclude=dataset.id)
            changed = sorted(name for name in set(previous) | set(record)
                             if previous.get(name) != record.get(name))
            if not changed and not submit:
                return self._view(session, dataset, "current")
            self._new_revision(session, dataset, actor, record, changed, note or "updated")
            dataset.state = "submitted" if submit else "draft"
            audit.record(session, actor, "dataset.update", "dataset", dataset.id,
                         revision=dataset.current_revision, changed=changed, state=dataset.state)
            self._emit(session, dataset)
            return self._view(session, dataset, "current")

    def submit(self, actor: Actor, dataset_id: str) -> DatasetView:
        with self.store.transaction() as session:
            dataset = self._for_update(session, dataset_id, actor)
            if dataset.state not in ("draft", "returned"):
                raise Conflict(Message(f"当前状态（{dataset.state}）不能提交审核。",
                                       f"A dataset in state '{dataset.state}' cannot be submitted."))
            dataset.state = "submitted"
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
        if not actor.has_role("reviewer", "admin"):
            raise Forbidden(Message("只有治理审核员可以审核。", "Only governance reviewers review."))
        with self.store.transaction() as session:
            dataset = self._locked(session, dataset_id, actor)
            if dataset.state != "submitted":
                raise Conflict(Message(f"当前状态（{dataset.state}）不在待审核状态。",
                                       f"A dataset in state '{dataset.state}' is not awaiting review."))
            revision = self._revision(session, dataset, dataset.current_revision)
            if actor.department_id is not None and actor.department_id == dataset.department_id:
                raise Forbidden(Message("不能审核本部门的信息资源。",
                                        "You cannot review your own department's entries."))
            if revision.author_id is not None and revision.author_id == actor.user_id:
                raise Forbidden(Message("不能审核自己提交的内容。", "You cannot approve your own entry."))
            dataset.state = "published" if action == "publish" else "returned"
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
            _unpublish(dataset)
            audit.record(session, actor, "dataset.withdraw", "dataset", dataset.id,
                         reason=reason.strip())
            self._emit(session, dataset)
            return self._view(session, dataset, "current")

    # -- harvesting (issue 3): records of an approved source publish without per-record review --
    def create_harvested_in(self, session: Session, actor: Actor, record: dict[str, Any], *,
                            department_id: int, note: str) -> Dataset:
        """Store one validated harvested record as a new published dataset, in the caller's
        transaction (the source's approval stands in for the per-record review)."""
        department = session.get_one(Department, department_id)
        fill_harvest_publisher(record, department)
        return self._create(session, actor, department, record, state="published", note=note,
                            action="dataset.harvest_create")

    def update_harvested_in(self, session: Session, actor: Actor, dataset_id: str,
                            record: dict[str, Any], *, note: str) -> tuple[str, Dataset]:
        """Bring a harvested dataset up to its source's record and publish it: ("updated" |
        "unchanged", dataset). A withdrawn dataset is published again (it came back)."""
        dataset = session.scalars(select(Dataset).where(Dataset.id == dataset_id)
                                  .with_for_update()).one()
        department = session.get_one(Department, dataset.department_id)
        previous = self._revision(session, dataset, dataset.current_revision).data
        record["resource_code"] = dataset.resource_code
        fill_harvest_publisher(record, department)
        self._refuse_duplicate(session, department, record, exclude=dataset.id)
        changed = sorted(name for name in set(previous) | set(record)
                         if previous.get(name) != record.get(name))
        if not changed and dataset.state == "published":
            return "unchanged", dataset
        came_back = dataset.state == "withdrawn"
        if changed:
            self._new_revision(session, dataset, actor, record, changed, note)
        dataset.state = "published"
        _publish(dataset)
        audit.record(session, actor, "dataset.harvest_update", "dataset", dataset.id,
                     revision=dataset.current_revision, changed=changed, came_back=came_back,
                     note=note)
        self._emit(session, dataset)
        return "updated", dataset

    def withdraw_harvested_in(self, session: Session, actor: Actor, dataset_id: str,
                              reason: str) -> bool:
        """Withdraw (never delete) a dataset its sources no longer list; False if already so."""
        dataset = session.scalars(select(Dataset).where(Dataset.id == dataset_id)
                                  .with_for_update()).one()
        if dataset.state == "withdrawn":
            return False
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
             q: str | None = None, page: int = 1, page_size: int = 20) -> Page:
        query = select(Dataset).where(visible(actor, title_contains=q.strip() if q else None))
        if department_code:
            query = query.join(Department).where(Department.code == department_code)
        if state:
            query = query.where(Dataset.state == state)
        with self.store.reading() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(query.order_by(Dataset.updated_at.desc(), Dataset.id)
                                   .offset((page - 1) * page_size).limit(page_size)).all()
            items = []
            for dataset in rows:
                view = view_of(actor, dataset)
                if view is not None:
                    items.append(self._view(session, dataset, view))
            return Page(items, total, page, page_size)

    def revisions(self, actor: Actor, dataset_id: str) -> list[RevisionView]:
        with self.store.reading() as session:
            dataset = session.get(Dataset, dataset_id) if _is_uuid(dataset_id) else None
            view = view_of(actor, dataset) if dataset else None
            if dataset is None or view is None:
                raise _not_found()
            last = dataset.current_revision if view == "current" else dataset.published_revision
            rows = session.scalars(select(DatasetRevision).where(
                DatasetRevision.dataset_id == dataset.id, DatasetRevision.number <= (last or 0))
                .order_by(DatasetRevision.number))
            return [RevisionView(r.number, r.author, r.created_at, list(r.changed_fields), r.note,
                                 dict(r.data)) for r in rows]

    # -- helpers ----------------------------------------------------------------------------
    def _writable_department(self, session: Session, actor: Actor,
                             department_code: str | None) -> Department:
        if actor.role not in ("steward", "admin"):
            raise Forbidden(Message("只有部门数据管理员可以登记信息资源。",
                                    "Only department data stewards register datasets."))
        return writable_department(session, actor, department_code, own_only=Message(
            "只能为本部门登记信息资源。", "You can only register datasets of your own department."))

    def _for_update(self, session: Session, dataset_id: str, actor: Actor) -> Dataset:
        dataset = self._locked(session, dataset_id, actor)
        if actor.role == "admin":
            return dataset
        if actor.role != "steward" or actor.department_id != dataset.department_id:
            raise Forbidden(Message("只能修改本部门的信息资源。",
                                    "You can only change your own department's datasets."))
        return dataset

    def _locked(self, session: Session, dataset_id: str, actor: Actor) -> Dataset:
        dataset = session.scalar(select(Dataset).where(Dataset.id == dataset_id).with_for_update()) \
            if _is_uuid(dataset_id) else None
        if dataset is None or view_of(actor, dataset) is None:
            raise _not_found()
        return dataset

    @staticmethod
    def _fill_publisher(record: dict[str, Any], department: Department) -> None:
        record.setdefault("publisher_name", department.name)
        record.setdefault("publisher_code", department.code)

    @staticmethod
    def _refuse_duplicate(session: Session, department: Department, record: dict[str, Any],
                          exclude: str | None = None) -> None:
        query = select(Dataset.resource_code).where(
            Dataset.department_id == department.id, Dataset.state != "withdrawn",
            Dataset.title_key == rules.title_key(record["title"]))
        if exclude:
            query = query.where(Dataset.id != exclude)
        other = session.scalar(query)
        if other:
            raise duplicate_title(other)

    @staticmethod
    def _refuse_taken_code(session: Session, code: str, exclude: str | None) -> None:
        query = select(Dataset.id).where(Dataset.resource_code == code)
        if exclude:
            query = query.where(Dataset.id != exclude)
        if session.scalar(query):
            raise taken_code()

    def _new_revision(self, session: Session, dataset: Dataset, actor: Actor,
                      record: dict[str, Any], changed: list[str], note: str) -> None:
        dataset.current_revision += 1
        dataset.title = record["title"]
        dataset.title_key = rules.title_key(record["title"])
        dataset.security_rank = security_rank(record["security_level"])
        dataset.updated_at = utcnow()
        self._add_revision(session, dataset, actor, record, changed, note)

    @staticmethod
    def _add_revision(session: Session, dataset: Dataset, actor: Actor, record: dict[str, Any],
                      changed: list[str], note: str) -> None:
        session.add(DatasetRevision(dataset_id=dataset.id, number=dataset.current_revision,
                                    data=record, changed_fields=changed, author_id=actor.user_id,
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

    def _view(self, session: Session, dataset: Dataset, view: View) -> DatasetView:
        number = dataset.current_revision if view == "current" else dataset.published_revision
        assert number is not None
        revision = self._revision(session, dataset, number)
        department = session.get_one(Department, dataset.department_id)
        return DatasetView(
            id=dataset.id, resource_code=dataset.resource_code, state=dataset.state,
            department_code=department.code, department_name=department.name, revision=number,
            published_revision=dataset.published_revision, record=dict(revision.data),
            created_at=dataset.created_at, updated_at=dataset.updated_at,
            review_note=dataset.review_note if view == "current" else "", view=view)


def fill_harvest_publisher(record: dict[str, Any], department: Department) -> None:
    """A harvested record's unknown provider keeps its own name (and no code); none at all:
    the department."""
    if not record.get("publisher_name"):
        record["publisher_name"] = department.name
        record["publisher_code"] = department.code


def duplicate_title(other_code: str) -> InvalidInput:
    """The refusal of a title the department already registered (as ``other_code``)."""
    return field_error("title", f"本部门已登记同名信息资源（{other_code}），名称仅标点或空格不同视为重复。",
                       f"Your department already registered this title ({other_code}); names "
                       "that differ only by punctuation or spaces are duplicates.")


def taken_code() -> InvalidInput:
    """The refusal of a resource code another dataset holds."""
    return field_error("resource_code", "信息资源代码已被占用。", "This resource code is already taken.")


def published_columns(revision: int, security_rank: int, title: str) -> dict[str, Any]:
    """The dataset columns that make ``revision`` the one everyone (within clearance) sees."""
    return {"published_revision": revision, "published_security_rank": security_rank,
            "published_title": title}


def change_event(dataset_id: str, state: str, revision: int,
                 published_revision: int | None) -> dict[str, Any]:
    """The ``dataset.changed`` outbox event's columns (the indexer reads the store, not this)."""
    return {"topic": "dataset.changed", "object_id": dataset_id,
            "payload": {"id": dataset_id, "state": state, "revision": revision,
                        "published_revision": published_revision}}


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


def _not_found() -> NotFound:
    return NotFound(Message("信息资源不存在或无权查看。", "No such dataset, or you may not see it."))
