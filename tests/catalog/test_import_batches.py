"""The all-or-none import stores its rows in batches (``catalog.writes.create_datasets``):
the same refusals as one row at a time, on both stores, with revisions, audit entries and
outbox events for every row."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from catalog import audit
from catalog import datasets as harvested  # the service calls the one write path by this name
from catalog.actors import SYSTEM
from catalog.bulk import insert_rows
from catalog.datasets import REGISTER_BATCH, DatasetService
from catalog.db import AuditEntry, CodeSequence, Dataset, DatasetRevision, OutboxEvent
from catalog.errors import InvalidInput
from catalog.resource_codes import prefix_for
from catalog.spreadsheet import import_file
from tests.factories import PUBLIC_SECURITY, World, build_world, record
from vocab.concepts import scheme

HEADER = ["信息资源名称", "信息资源代码", "信息资源分类", "信息资源摘要", "信息资源格式", "共享类型",
          "共享方式", "开放属性", "更新周期", "密级", "关键字"]
CLASSIFICATIONS = list(scheme("classification").concepts)


def row(title: str, *, code: str = "", classification: str = "101001") -> list[str]:
    return [title, code, classification, f"{title}。", "数据库", "无条件共享", "接口", "不予开放",
            "每日", "内部", "人口"]


def csv_file(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


def counts(world: World) -> dict[str, int]:
    with world.services.store.reading() as session:
        return {name: session.scalar(select(func.count()).select_from(model)) or 0
                for name, model in (("datasets", Dataset), ("revisions", DatasetRevision),
                                    ("audit", AuditEntry), ("outbox", OutboxEvent))}


def audit_verifies(world: World) -> bool:
    with world.services.store.reading() as session:
        return audit.verify(session).ok


def messages(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {key: " ".join(m.zh for m in found) for key, found in exc.value.errors.items()}


@pytest.fixture
def world(services):
    return build_world(services)


@pytest.fixture
def batched(monkeypatch):
    """The rows must be refused or stored by the batch, not by the one-at-a-time fallback."""
    def alone(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the batch fell back to storing rows one at a time")

    monkeypatch.setattr(DatasetService, "_register_each", alone)


def test_a_thousand_rows_of_many_classifications(world: World, batched: None):
    """More rows than one batch, over every classification: each row a dataset with its
    revision, audit entry and outbox event; codes from the sequences, none twice."""
    rows = [row(f"全省第{n}号信息资源", classification=CLASSIFICATIONS[n % len(CLASSIFICATIONS)])
            for n in range(REGISTER_BATCH + 200)]
    datasets = world.services.datasets
    existing = datasets.register(world.steward, record(title="已有的常住人口信息"))
    before = counts(world)
    result = import_file(datasets, world.steward, csv_file(rows), "目录.csv", submit=True)
    assert result.created == len(rows)
    assert [item.row for item in result.items] == list(range(2, len(rows) + 2))
    assert {k: v - before[k] for k, v in counts(world).items()} == dict.fromkeys(before, len(rows))
    assert audit_verifies(world)
    codes = [item.resource_code for item in result.items]
    assert len(set(codes)) == len(codes) and existing.resource_code not in codes
    by_prefix: dict[str, list[int]] = {}
    for code, values in zip(codes, rows, strict=True):
        prefix, number = code.split("/")
        assert prefix == prefix_for(values[2])
        by_prefix.setdefault(prefix, []).append(int(number))
    assert by_prefix["101001"][0] == 2          # after the dataset registered before
    assert all(numbers == sorted(numbers) and len(numbers) == len(set(numbers))
               for numbers in by_prefix.values())
    with world.services.store.reading() as session:
        sequences = dict(session.execute(select(CodeSequence.prefix, CodeSequence.last)).all())
        assert all(sequences[p] == max(n) for p, n in by_prefix.items())
        actions = set(session.scalars(select(AuditEntry.action)
                                      .where(AuditEntry.object_id.in_(
                                          [i.id for i in result.items[:50]]))))
    assert actions == {"dataset.create"}
    last = datasets.get(world.steward, result.items[-1].id)
    assert last.state == "submitted" and last.published_revision is None
    assert last.record["publisher_code"] == PUBLIC_SECURITY
    assert last.record["resource_code"] == result.items[-1].resource_code
    assert [r.note for r in datasets.revisions(world.steward, last.id)] == ["spreadsheet import"]
    # the new datasets are drafts awaiting review: nobody outside the department sees them
    assert datasets.list(world.staff, q="全省第").total == 0


def test_one_bad_row_past_the_first_batch_stores_nothing(world: World, batched: None):
    datasets = world.services.datasets
    datasets.register(world.steward, record(title="全省第1100号信息资源"))
    rows = [row(f"全省第{n}号信息资源") for n in range(REGISTER_BATCH + 200)]
    before = counts(world)
    with pytest.raises(InvalidInput) as exc:
        import_file(datasets, world.steward, csv_file(rows), "目录.csv")
    assert list(exc.value.errors) == ["row 1102: title"]
    assert "101001/000001" in messages(exc)["row 1102: title"]
    assert "1 行有误" in exc.value.message.zh
    assert counts(world) == before
    assert audit_verifies(world)
    with world.services.store.reading() as session:   # the reserved codes went back too
        assert session.scalar(select(CodeSequence.last)
                              .where(CodeSequence.prefix == "101001")) == 1


def test_titles_repeated_in_the_rows_and_registered_before(world: World, batched: None):
    """``register_many`` itself (the reader refuses a repeated title earlier): a later row
    repeating an earlier one names that row's new code; a title already registered names
    the registered dataset's code."""
    datasets = world.services.datasets
    registered = datasets.register(world.steward, record(title="全省户籍人口信息"))
    rows = [(2, record(title="全省流动人口信息")), (3, record(title="全省流动人口信息。")),
            (4, record(title="全省户籍 人口信息")), (5, record(title="全省出生人口信息"))]
    before = counts(world)
    with pytest.raises(InvalidInput) as exc:
        datasets.register_many(world.steward, rows)
    found = messages(exc)
    assert list(found) == ["row 3: title", "row 4: title"]
    assert "101001/000002" in found["row 3: title"]        # what row 2 would have been given
    assert registered.resource_code in found["row 4: title"]
    assert counts(world) == before
    # another department may use the same titles
    views = datasets.register_many(world.steward_other, [(2, record(title="全省户籍人口信息"))])
    assert views[0].department_code != registered.department_code


def test_a_taken_resource_code_is_the_rows_error(world: World, batched: None):
    datasets = world.services.datasets
    taken = datasets.register(world.steward, record(title="全省户籍人口信息"))
    before = counts(world)
    with pytest.raises(InvalidInput) as exc:
        import_file(datasets, world.steward, csv_file([
            row("全省流动人口信息", code="101001/000007"),
            row("全省出生人口信息", code=taken.resource_code),
            row("全省死亡人口信息")]), "目录.csv")
    assert list(exc.value.errors) == ["row 3: resource_code"]
    assert "已被占用" in messages(exc)["row 3: resource_code"]
    assert counts(world) == before
    # a code given twice to register_many: the second row is refused as with a stored one
    with pytest.raises(InvalidInput) as twice:
        datasets.register_many(world.steward, [
            (2, record(title="全省流动人口信息", resource_code="101001/000007")),
            (3, record(title="全省出生人口信息", resource_code="101001/000007"))])
    assert list(twice.value.errors) == ["row 3: resource_code"]
    assert counts(world) == before


def test_codes_given_in_the_file_are_not_handed_out_to_other_rows(world: World, batched: None):
    datasets = world.services.datasets
    result = import_file(datasets, world.steward, csv_file([
        row("全省流动人口信息"), row("全省出生人口信息", code="101001/000002"),
        row("全省死亡人口信息")]), "目录.csv")
    assert [i.resource_code for i in result.items] == \
        ["101001/000001", "101001/000002", "101001/000003"]
    assert audit_verifies(world)


def test_an_administrator_names_an_existing_department_once(world: World, batched: None):
    datasets = world.services.datasets
    rows = [(2, record(title="全省流动人口信息")), (3, record(title="全省出生人口信息"))]
    with pytest.raises(InvalidInput) as exc:
        datasets.register_many(SYSTEM, rows, department_code="913400001234567890")
    assert list(exc.value.errors) == ["department_code"]
    views = datasets.register_many(world.admin, rows, department_code=PUBLIC_SECURITY)
    assert [v.state for v in views] == ["draft", "draft"]
    stored = datasets.get(world.admin, views[1].id)
    assert stored.as_dict() == views[1].as_dict()


def test_a_batch_refused_by_the_database_is_stored_row_by_row(world: World, monkeypatch):
    """A unique violation in the batch (a code a concurrent writer took) rolls the batch back
    to its savepoint and stores the rows one at a time: all of them, once each."""
    real = harvested.create_datasets
    calls = {"n": 0}

    def failing_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += len(args[2]) > 1    # batches; a row stored alone is a batch of one
        result = real(*args, **kwargs)
        if calls["n"] == 1 and len(args[2]) > 1:
            raise IntegrityError("INSERT INTO datasets", None, Exception("taken meanwhile"))
        return result

    monkeypatch.setattr(harvested, "create_datasets", failing_once)
    rows = [row(f"全省第{n}号信息资源") for n in range(30)]
    before = counts(world)
    result = import_file(world.services.datasets, world.steward, csv_file(rows), "目录.csv")
    assert calls["n"] == 1 and result.created == 30
    assert {k: v - before[k] for k, v in counts(world).items()} == dict.fromkeys(before, 30)
    assert [i.resource_code for i in result.items] == [f"101001/{n:06d}" for n in range(1, 31)]
    assert audit_verifies(world)


def test_a_row_refused_when_stored_alone_is_that_rows_error(world: World, monkeypatch):
    """When the batch fails, the rows stored one at a time are refused as before: each
    refused row is named, and nothing is stored."""
    datasets = world.services.datasets
    datasets.register(world.steward, record(title="全省第3号信息资源"))

    real = harvested.create_datasets

    def refused(*args: Any, **kwargs: Any) -> Any:
        if len(args[2]) > 1:   # the batch; each row alone is a batch of one
            raise IntegrityError("INSERT INTO datasets", None, Exception("taken meanwhile"))
        return real(*args, **kwargs)

    monkeypatch.setattr(harvested, "create_datasets", refused)
    before = counts(world)
    with pytest.raises(InvalidInput) as exc:
        import_file(datasets, world.steward,
                    csv_file([row(f"全省第{n}号信息资源") for n in range(5)]), "目录.csv")
    assert list(exc.value.errors) == ["row 5: title"]
    assert counts(world) == before


def test_a_refused_bulk_insert_raises_sqlalchemys_integrity_error(world: World):
    """COPY on PostgreSQL goes around SQLAlchemy: its refusal is still an IntegrityError, the
    error the import falls back on."""
    taken = world.services.datasets.register(world.steward, record(title="全省户籍人口信息"))
    with world.services.store.reading() as session:
        row = {column: value for column, value in session.execute(
            select(Dataset.__table__).where(Dataset.id == taken.id)).mappings().one().items()}
    with pytest.raises(IntegrityError), world.services.store.transaction() as session:
        insert_rows(session, Dataset, [{**row, "id": "another"}])
