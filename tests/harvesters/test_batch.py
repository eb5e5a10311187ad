"""Batched storing of harvested records (``catalog.writes``, ``RecordStore.store_new``):
several batches in one job, duplicates refused record by record, a failed batch stored one
record at a time, new and known records kept in listing order — each checked in the store."""

from __future__ import annotations

from typing import Any

from rdflib import URIRef
from sqlalchemy import func, select

from catalog import audit
from catalog.db import AuditEntry, Dataset, DatasetRevision, HarvestProvenance, OutboxEvent
from harvesters import records as harvest_records
from harvesters.run import BATCH_RECORDS
from tests.factories import record
from tests.harvesters.conftest import add_source, datasets, run
from tests.harvesters.server import Reply
from vocab.profiles import catalog_graph, serialize

BASE = "https://data.example.gov.cn/dataset/"
TTL = "text/turtle; charset=utf-8"


def catalog(records: list[tuple[str, dict[str, Any]]]) -> bytes:
    graph = catalog_graph([(URIRef(BASE + key), value) for key, value in records],
                          URIRef("https://data.example.gov.cn/catalog"), "测试目录", "Test catalog",
                          None)
    return serialize(graph, "ttl")[0]


def numbered(count: int, start: int = 0) -> list[tuple[str, dict[str, Any]]]:
    return [(f"ds-{n}", record(title=f"全省常住人口基本信息第{n}批", resource_code=None))
            for n in range(start, start + count)]


def serve(site, body: bytes) -> str:
    site.route("/catalog.ttl", Reply(body, content_type=TTL))
    return site.url("/catalog.ttl")


def count(world, query) -> int:
    with world.services.store.reading() as session:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def test_a_catalog_of_several_batches_is_stored_whole(world, site):
    total = 2 * BATCH_RECORDS + 57
    result = run(world, add_source(world, "dcat", serve(site, catalog(numbered(total)))))
    assert result["counts"]["created"] == total and result["status"] == "succeeded", result
    stored = datasets(world)
    assert len(stored) == total
    assert {d.state for d in stored.values()} == {"published"}
    assert len({d.resource_code for d in stored.values()}) == total
    assert all(d.resource_code.startswith("101001/") for d in stored.values())
    with world.services.store.reading() as session:
        revisions = dict(session.execute(select(DatasetRevision.dataset_id, DatasetRevision.data)
                                         .where(DatasetRevision.number == 1)).all())
        for remote_id, dataset in stored.items():
            data = revisions[dataset.id]
            assert data["resource_code"] == dataset.resource_code
            assert data["title"] == dataset.title == dataset.published_title
            assert data["source_identifier"] == remote_id
            assert data["data_items"][0]["name"] == "姓名"
            assert dataset.published_revision == dataset.current_revision == 1
        events = session.execute(select(OutboxEvent.object_id, OutboxEvent.payload)).all()
        assert {e[0] for e in events} == {d.id for d in stored.values()}
        assert all(e[1]["state"] == "published" and e[1]["published_revision"] == 1
                   for e in events)
        entries = session.scalars(select(AuditEntry.object_id).where(
            AuditEntry.action == "dataset.harvest_create")).all()
        assert sorted(entries) == sorted(d.id for d in stored.values())
        assert audit.verify(session).ok
    assert count(world, select(HarvestProvenance).where(HarvestProvenance.is_primary)) == total


def test_duplicate_titles_of_one_publisher_are_kept_and_flagged(world, site):
    """Within one publisher a repeated title (other identifier at the source) is kept as 待完善
    with a possible-duplicate problem naming the other record, in the catalog and in the batch;
    another publisher's equal title is a record of its own, not flagged."""
    taken = world.services.datasets.register(world.steward, record(title="全省流动人口登记信息"))
    rows = [("a", record(title="全省流动人口登记信息", resource_code=None)),
            ("b", record(title="全省暂住人口信息", resource_code=None)),
            ("c", record(title="全省 暂住人口信息。", resource_code=None)),   # same title key
            ("d", record(title="全省出生人口信息", resource_code=None)),
            ("e", record(title="全省出生人口信息", resource_code=None,
                         publisher_name="某市卫生健康委员会", publisher_code=None))]
    result = run(world, add_source(world, "dcat", serve(site, catalog(rows))))
    assert result["counts"]["created"] == 5 and result["counts"]["failed"] == 0, result
    assert result["kept_with_problems"] == {
        "count": 2, "by_problem": {"possible_duplicate title": 2}}, result
    stored = datasets(world)
    flagged = {key: world.services.datasets.get(world.admin, stored[BASE + key].id)
               for key in "abcde"}
    assert {k for k, v in flagged.items() if v.state == "incomplete"} == {"a", "c"}
    assert taken.resource_code in flagged["a"].problems[0]["value"]
    assert flagged["c"].problems[0]["value"] == flagged["b"].resource_code
    assert flagged["c"].problems[0]["kind"] == "possible_duplicate"
    assert flagged["e"].record["publisher_name"] == "某市卫生健康委员会"
    assert not flagged["e"].problems and not flagged["d"].problems


def test_a_failing_batch_is_stored_one_record_at_a_time(world, site, monkeypatch):
    """A batch insert that fails (say a code a concurrent writer took) is rolled back to its
    savepoint and its records stored alone: nothing lost, nothing twice."""
    real = harvest_records.create_datasets
    calls = {"n": 0}

    def failing_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        result = real(*args, **kwargs)
        if calls["n"] == 1:
            raise RuntimeError("the batch insert failed after writing")
        return result

    monkeypatch.setattr(harvest_records, "create_datasets", failing_once)
    total = BATCH_RECORDS + 20
    result = run(world, add_source(world, "dcat", serve(site, catalog(numbered(total)))))
    assert calls["n"] >= 2
    assert result["counts"]["created"] == total and result["counts"]["failed"] == 0, result
    assert count(world, select(Dataset)) == total
    assert count(world, select(OutboxEvent)) == total
    with world.services.store.reading() as session:
        assert audit.verify(session).ok
        assert len(set(session.scalars(select(Dataset.resource_code)))) == total


def test_new_and_known_records_are_stored_in_listing_order(world, site):
    """A renamed record frees its old title for a new record listed after it in the same
    batch, as one-at-a-time storing would."""
    first = [("a", record(title="全省户籍人口信息", resource_code=None, modified="2024-06-30")),
             ("b", record(title="全省死亡人口信息", resource_code=None))]
    source = add_source(world, "dcat", serve(site, catalog(first)))
    assert run(world, source)["counts"]["created"] == 2
    second = [("a", record(title="全省户籍人口信息（2025年版）", resource_code=None,
                           modified="2025-01-31")),
              ("g", record(title="全省户籍人口信息", resource_code=None)),
              ("b", record(title="全省死亡人口信息", resource_code=None)),
              ("h", record(title="全省迁入人口信息", resource_code=None))]
    serve(site, catalog(second))
    result = run(world, source)
    counts = result["counts"]
    assert (counts["updated"], counts["created"], counts["unchanged"], counts["failed"]) == \
        (1, 2, 1, 0), result
    stored = datasets(world)
    assert stored[BASE + "a"].title == "全省户籍人口信息（2025年版）"
    assert stored[BASE + "a"].current_revision == 2
    assert stored[BASE + "g"].title == "全省户籍人口信息"
    with world.services.store.reading() as session:
        assert audit.verify(session).ok


def test_a_dry_run_stores_nothing(world, site):
    result = run(world, add_source(world, "dcat", serve(site, catalog(numbered(30)))),
                 dry_run=True)
    assert result["counts"]["created"] == 30
    assert count(world, select(Dataset)) == 0
    assert count(world, select(HarvestProvenance)) == 0
