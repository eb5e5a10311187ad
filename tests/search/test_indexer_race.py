"""Two indexers at once (a background one per ``mulu serve`` process, ``mulu index drain``):
the slower one must never write an older state of a dataset over a newer one (both stores)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from catalog.services import Services
from catalog.store import Store
from search.base import Query
from search.indexer import Indexer
from search.sqlite import SqliteSearch
from tests.factories import build_world, record


class Slow:
    """The real backend, but its first ``index`` call waits until told to go on."""

    def __init__(self, backend: SqliteSearch):
        self.backend = backend
        self.name = backend.name
        self.entered = threading.Event()
        self.go = threading.Event()
        self.calls = 0

    def index(self, docs: Sequence[dict[str, Any]]) -> None:
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            assert self.go.wait(20)
        self.backend.index(docs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


def test_a_slow_indexer_never_writes_an_older_state_over_a_newer_one(store: Store,
                                                                     tmp_path: Path) -> None:
    services = Services.build(store)
    world = build_world(services)
    backend = SqliteSearch(tmp_path / "search.db")
    slow = Slow(backend)
    dataset = services.datasets.register(world.steward, record(title="流动人口登记信息"))
    first = threading.Thread(target=Indexer(store, slow).drain)   # reads version 1, then waits
    first.start()
    assert slow.entered.wait(20)
    # the dataset changes while the first indexer holds its batch
    changed = threading.Thread(target=services.datasets.update, args=(
        world.steward, dataset.id, record(title="流动人口居住登记信息")))
    changed.start()
    second = threading.Thread(target=Indexer(store, backend).drain)
    second.start()
    time.sleep(0.5)              # without the indexers' lock the second one finishes here
    slow.go.set()
    for thread in (first, changed, second):
        thread.join(30)
        assert not thread.is_alive()
    Indexer(store, backend).drain()   # whatever is left
    hits = backend.search(Query(world.steward, "流动人口", page_size=10)).hits
    assert [h.title for h in hits] == ["流动人口居住登记信息"]
    backend.close()
