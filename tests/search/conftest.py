"""Search fixtures: the Elasticsearch stand-in (noida-db), a backend of each kind, and one
catalog of varied datasets shared (read-only) by the contract tests of both backends."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catalog.services import Services
from catalog.store import Store
from search.base import SearchBackend
from search.elastic import ElasticSearch
from search.indexer import Indexer
from search.sqlite import SqliteSearch
from tests.conftest import IN_CI, make_settings
from tests.search.catalog import Catalog, build_catalog

BACKENDS = ["sqlite", pytest.param("elastic", marks=pytest.mark.elastic)]
EXTERNAL_ES = os.environ.get("MULU_TEST_ELASTICSEARCH_URL", "").strip()


def _noida() -> str | None:
    beside = Path(sys.executable).parent / "noida-db"
    return str(beside) if beside.exists() else shutil.which("noida-db")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
            return bool(response.status == 200)
    except OSError:
        return False


class NoidaServer:
    """The noida-db Elasticsearch stand-in, started for this test session."""

    def __init__(self, exe: str, data_dir: Path, port: int):
        self.exe, self.data_dir, self.port = exe, data_dir, port
        self.url = f"http://127.0.0.1:{port}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([self.exe, *args, "--data-dir", str(self.data_dir)], check=True,
                       capture_output=True, timeout=timeout)

    def up(self) -> None:
        self._run("up", "--only", "elasticsearch", "--elasticsearch-port", str(self.port))
        self.wait()

    def wait(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not _answers(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"noida-db did not answer on {self.url} within {seconds} s")
            time.sleep(0.1)

    def stop_elasticsearch(self) -> None:
        self._run("stop", "elasticsearch")
        deadline = time.monotonic() + 30
        while _answers(self.url) and time.monotonic() < deadline:
            time.sleep(0.1)

    def start_elasticsearch(self) -> None:
        self._run("start", "elasticsearch")
        self.wait()

    def down(self) -> None:
        self._run("down")


@pytest.fixture(scope="session")
def noida(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NoidaServer | None]:
    """The stand-in server; None when MULU_TEST_ELASTICSEARCH_URL names a real one."""
    if EXTERNAL_ES:
        yield None
        return
    exe = _noida()
    if exe is None:
        reason = "noida-db (the Elasticsearch stand-in, pip install noida-db) is not installed"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    server = NoidaServer(exe, tmp_path_factory.mktemp("noida"), _free_port())
    server.up()
    yield server
    server.down()


@pytest.fixture(scope="session")
def es_url(noida: NoidaServer | None) -> str:
    return EXTERNAL_ES or (noida.url if noida else "")


def drop_alias(backend: ElasticSearch) -> None:
    client = backend.client.options(ignore_status=404)
    for name in list(client.indices.get_alias(name=backend.alias) or {}):
        if name.startswith(backend.alias):
            client.indices.delete(index=name)


def new_backend(kind: str, request: pytest.FixtureRequest, directory: Path) -> SearchBackend:
    """A fresh, empty backend of ``kind``, dropped when the requesting scope ends."""
    if kind == "sqlite":
        sqlite = SqliteSearch(directory / f"search-{uuid.uuid4().hex[:8]}.db")
        request.addfinalizer(sqlite.close)
        return sqlite
    url = request.getfixturevalue("es_url")
    elastic = ElasticSearch(url, alias=f"mulu-test-{uuid.uuid4().hex[:10]}")

    def finish() -> None:
        drop_alias(elastic)
        elastic.close()

    request.addfinalizer(finish)
    return elastic


@pytest.fixture
def make_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], SearchBackend]:
    return lambda kind: new_backend(kind, request, tmp_path)


def open_store(directory: Path, template: Path) -> Store:
    """A fresh SQLite store on the 政务内网 (intranet: records up to 机密 may be registered)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "mulu.db"
    shutil.copy(template, path)
    return Store.open(make_settings(directory).with_overrides(
        database_url=f"sqlite:///{path}", network="intranet"))


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Catalog]:
    """The shared catalog: read only — tests that write build their own store."""
    store = open_store(tmp_path_factory.mktemp("catalog"), sqlite_template)
    yield build_catalog(Services.build(store))
    store.close()


@pytest.fixture(scope="module", params=BACKENDS)
def indexed(request: pytest.FixtureRequest, catalog: Catalog,
            tmp_path_factory: pytest.TempPathFactory) -> SearchBackend:
    """A backend holding the shared catalog (drained from its outbox once per module)."""
    backend = new_backend(request.param, request, tmp_path_factory.mktemp("index"))
    # draining the shared store would mark its events processed: write its documents instead
    backend.index(list(Indexer(catalog.store, backend).documents_in_store()))
    return backend
