"""The indexer on both backends: the index follows the store through the outbox, a backend
failure delays and loses nothing, a rebuild swaps in with no moment of empty results."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from catalog.actors import Actor
from catalog.cli import main
from catalog.db import Department, OutboxEvent
from catalog.services import Services
from catalog.store import Store
from search.base import Query, SearchBackend, SearchUnavailable
from search.elastic import ElasticSearch
from search.indexer import BackgroundIndexer, Indexer
from tests.factories import World, build_world, record
from tests.search.catalog import Reference
from tests.search.conftest import BACKENDS, EXTERNAL_ES, NoidaServer, open_store


@dataclass
class Fresh:
    store: Store
    services: Services
    world: World
    backend: SearchBackend
    indexer: Indexer

    def expected_versions(self) -> dict[str, str]:
        return {d["doc_id"]: d["version"] for d in Reference.of(self.store).docs}

    def titles(self, actor: Actor, text: str = "") -> list[str]:
        return [h.title for h in self.backend.search(Query(actor, text, page_size=100)).hits]

    def register(self, title: str, *, publish: bool = False, **changes: Any) -> str:
        w = self.world
        view = self.services.datasets.register(w.steward, record(title=title, **changes),
                                               submit=publish)
        if publish:
            self.services.datasets.review(w.reviewer, view.id, "publish")
        return view.id


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path,
          make_backend: Callable[[str], SearchBackend]) -> Iterator[Fresh]:
    store = open_store(tmp_path / "store", sqlite_template)
    services = Services.build(store)
    backend = make_backend(request.param)
    yield Fresh(store, services, build_world(services), backend, Indexer(store, backend))
    store.close()


def pending(store: Store) -> int:
    with store.reading() as session:
        return len(session.scalars(select(OutboxEvent.id)
                                   .where(OutboxEvent.processed_at.is_(None))).all())


def test_index_follows_register_publish_update_withdraw(fresh: Fresh) -> None:
    w, datasets = fresh.world, fresh.services.datasets
    draft = fresh.register("户籍人口基本信息")
    assert fresh.indexer.drain() == 1 and pending(fresh.store) == 0
    assert fresh.titles(w.staff_own, "户口") == ["户籍人口基本信息"]
    assert fresh.titles(w.staff, "户口") == []

    datasets.submit(w.steward, draft)
    datasets.review(w.reviewer, draft, "publish")
    fresh.indexer.drain()
    assert fresh.titles(w.staff, "户口") == ["户籍人口基本信息"]
    assert fresh.backend.versions() == fresh.expected_versions()

    datasets.update(w.steward, draft, record(title="户籍人口基本信息（二版）"), submit=True)
    fresh.indexer.drain()
    assert fresh.titles(w.staff, "户籍") == ["户籍人口基本信息"]  # the published revision
    assert fresh.titles(w.staff_own, "户籍") == ["户籍人口基本信息（二版）"]
    assert fresh.backend.versions() == fresh.expected_versions()

    datasets.withdraw(w.steward, draft, "停止提供")
    fresh.indexer.drain()
    assert fresh.titles(w.staff, "户籍") == []
    assert fresh.titles(w.staff_own, "户籍") == ["户籍人口基本信息（二版）"]  # as catalog.visibility
    assert fresh.backend.versions() == fresh.expected_versions()
    assert fresh.backend.count() == 1 and pending(fresh.store) == 0


class Flaky:
    """A backend whose writes fail while ``down`` (an Elasticsearch outage, simulated)."""

    def __init__(self, backend: SearchBackend):
        self.backend = backend
        self.down = True
        self.name = backend.name

    def _check(self) -> None:
        if self.down:
            raise SearchUnavailable("down for the test")

    def index(self, docs: Sequence[dict[str, Any]]) -> None:
        self._check()
        self.backend.index(docs)

    def delete(self, doc_ids: Sequence[str]) -> None:
        self._check()
        self.backend.delete(doc_ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


def test_a_failing_backend_marks_nothing_and_catches_up(fresh: Fresh) -> None:
    flaky = Flaky(fresh.backend)
    indexer = Indexer(fresh.store, flaky, batch_size=2)  # type: ignore[arg-type]
    for i in range(5):
        fresh.register(f"企业登记信息{i}", publish=i % 2 == 0)
    before = pending(fresh.store)
    with pytest.raises(SearchUnavailable):
        indexer.drain()
    assert pending(fresh.store) == before and fresh.backend.count() == 0
    flaky.down = False
    assert indexer.drain() == before
    assert fresh.backend.versions() == fresh.expected_versions()


def test_background_indexer_backs_off_and_recovers(fresh: Fresh) -> None:
    flaky = Flaky(fresh.backend)
    worker = BackgroundIndexer(Indexer(fresh.store, flaky), interval=0.05,  # type: ignore[arg-type]
                               max_backoff=0.2).start()
    try:
        fresh.register("道路运输许可", publish=True)
        time.sleep(0.3)
        assert pending(fresh.store) > 0
        flaky.down = False
        deadline = time.monotonic() + 10
        while pending(fresh.store) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fresh.backend.versions() == fresh.expected_versions()
    finally:
        worker.stop()


def test_rebuild_has_no_moment_without_results(fresh: Fresh) -> None:
    for i in range(40):
        fresh.register(f"排污许可证数据{i}", publish=True, security_level="public")
    fresh.indexer.drain()
    expected = len(fresh.titles(fresh.world.staff))
    assert expected == 40
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_loop() -> None:
        while not stop.is_set():
            try:
                seen.append(fresh.backend.search(Query(fresh.world.staff, "许可", page_size=5,
                                                       facets=False)).total)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        for _ in range(3):
            assert fresh.indexer.rebuild() == 80  # published: working copy + published revision
    finally:
        stop.set()
        thread.join(30)
    assert not errors, errors
    assert len(seen) > 3 and set(seen) == {expected}
    assert fresh.backend.versions() == fresh.expected_versions()


def test_rebuild_then_drain_equals_the_store(fresh: Fresh) -> None:
    fresh.register("学校基本信息", publish=True)
    fresh.indexer.rebuild()
    fresh.register("医疗机构执业信息")  # pending after the rebuild
    fresh.indexer.drain()
    assert fresh.backend.versions() == fresh.expected_versions()
    assert pending(fresh.store) == 0


def test_department_change_reindexes_its_datasets(fresh: Fresh) -> None:
    fresh.register("公共资源交易", publish=True)
    fresh.indexer.drain()
    with fresh.store.transaction() as session:
        department = session.scalar(select(Department).where(Department.id ==
                                                             fresh.world.steward.department_id))
        assert department is not None
        session.execute(update(Department).where(Department.id == department.id)
                        .values(name="安徽省公安厅（新）"))
        session.add(OutboxEvent(topic="department.changed", object_id=department.code,
                                payload={}))
    fresh.indexer.drain()
    hits = fresh.backend.search(Query(fresh.world.staff, "公共资源")).hits
    assert [h.department_name for h in hits] == ["安徽省公安厅（新）"]


@pytest.mark.elastic
def test_elasticsearch_outage_loses_nothing(tmp_path: Path, sqlite_template: Path,
                                            noida: NoidaServer | None,
                                            make_backend: Callable[[str], SearchBackend]) -> None:
    """Stop the server mid-stream, keep writing, start it again: the index equals the store."""
    if noida is None or EXTERNAL_ES:
        pytest.skip("needs the noida-db stand-in started by this test session")
    store = open_store(tmp_path / "store", sqlite_template)
    services = Services.build(store)
    fresh = Fresh(store, services, build_world(services), make_backend("elastic"), None)  # type: ignore[arg-type]
    assert isinstance(fresh.backend, ElasticSearch)
    fresh.indexer = Indexer(store, fresh.backend)
    for i in range(3):
        fresh.register(f"食品生产许可{i}", publish=True)
    fresh.indexer.drain()
    noida.stop_elasticsearch()
    try:
        for i in range(3, 6):
            fresh.register(f"食品生产许可{i}", publish=i % 2 == 0)
            with pytest.raises(SearchUnavailable):
                fresh.indexer.drain()
        assert pending(store) > 0
    finally:
        noida.start_elasticsearch()
    fresh.indexer.drain()
    assert pending(store) == 0
    assert fresh.backend.versions() == fresh.expected_versions()
    assert len(fresh.titles(fresh.world.staff, "食品")) == 4  # 0, 1, 2 and 4 are published
    store.close()


def test_cli_index_drain_and_rebuild(tmp_path: Path, sqlite_template: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MULU_DATABASE_URL", "MULU_SEARCH_URL", "MULU_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MULU_NETWORK", "intranet")
    data = tmp_path / "data"
    store = open_store(data, sqlite_template)
    services = Services.build(store)
    world = build_world(services)
    view = services.datasets.register(world.steward, record(), submit=True)
    services.datasets.review(world.reviewer, view.id, "publish")
    runner = CliRunner()
    drained = runner.invoke(main, ["index", "drain", "--data-dir", str(data)])
    assert drained.exit_code == 0, drained.output
    assert "indexed 2 changes (sqlite, 2 documents)" in drained.output
    rebuilt = runner.invoke(main, ["index", "rebuild", "--data-dir", str(data)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "search index rebuilt: 2 documents (sqlite)" in rebuilt.output
    assert (data / "search.db").exists()
    store.close()


@pytest.mark.elastic
def test_a_vanished_index_is_unavailable_then_recreated(make_backend: Callable[[str], SearchBackend],
                                                        tmp_path: Path, sqlite_template: Path) -> None:
    backend = make_backend("elastic")
    assert isinstance(backend, ElasticSearch)
    backend.count()
    for name in list(backend.client.indices.get_alias(name=backend.alias)):
        backend.client.indices.delete(index=name)
    store = open_store(tmp_path / "store", sqlite_template)
    world = build_world(Services.build(store))
    with pytest.raises(SearchUnavailable):
        backend.search(Query(world.staff))
    assert backend.count() == 0  # the alias is back, over a new empty index
    store.close()
