"""Harvester fixtures: a real HTTP server on 127.0.0.1, a world of departments and users, and
helpers to register, approve and run a source with short limits."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from catalog.cli import main
from catalog.db import Dataset, HarvestProvenance
from catalog.services import Services
from catalog.store import Store
from harvesters.addresses import AddressGuard
from tests.conftest import make_settings
from tests.factories import World, build_world
from tests.harvesters.server import FIXTURES, Reply, Request, Site, json_reply

# tests/harvesters/server.py listens on 127.0.0.1: these tests allow it explicitly, as a
# deployment allows its 政务外网 ranges (the default refuses loopback)
LOCAL_SOURCES = ("127.0.0.1/32",)
LOCAL_GUARD = AddressGuard(tuple(ipaddress.ip_network(n) for n in LOCAL_SOURCES))

FAST = {"request_timeout": 3.0, "connect_timeout": 1.0, "retries": 1, "backoff": 0.01,
        "job_seconds": 30.0}


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.stop()


@pytest.fixture
def services(store: Store) -> Services:
    store.settings = store.settings.with_overrides(harvest_allow_networks=LOCAL_SOURCES)
    return Services.build(store)


@pytest.fixture
def world(services: Services) -> World:
    return build_world(services)


def add_source(w: World, type_: str, url: str, config: dict[str, Any] | None = None, *,
               limits: dict[str, Any] | None = None, approve: bool = True,
               **options: Any) -> int:
    config = dict(config or {})
    config["limits"] = {**FAST, **(limits or {})}
    view = w.services.harvest.add_source(
        w.steward, {"type": type_, "url": url, "config": config, **options},
        allow_file=True)
    if approve:
        w.services.harvest.review_source(w.reviewer, view.id, "approve", "ok")
    return view.id


def run(w: World, source_id: int, **options: Any) -> dict[str, Any]:
    return w.services.harvest.run(w.admin, source_id, sleep=lambda _s: None, **options)


def datasets(w: World) -> dict[str, Dataset]:
    """Every dataset by its source identifier."""
    with w.services.store.reading() as session:
        rows = session.execute(select(Dataset, HarvestProvenance.remote_id).join(
            HarvestProvenance, HarvestProvenance.dataset_id == Dataset.id)).all()
        session.expunge_all()
        return {remote_id: dataset for dataset, remote_id in rows}


def count_datasets(w: World) -> int:
    with w.services.store.reading() as session:
        return session.scalar(select(func.count()).select_from(Dataset)) or 0


def load_json(relative: str) -> Any:
    text = (FIXTURES / relative).read_text(encoding="utf-8")
    return json.loads("\n".join(line for line in text.splitlines()
                                if not line.lstrip().startswith("//")))


def full_packages() -> list[dict[str, Any]]:
    """Real full package dicts of several CKAN portals and versions."""
    packages = list(load_json("ckan/birmingham_package_search.json")["result"]["results"])
    packages += load_json("ckan/envidat_package_search.json")["result"]["results"]
    for name in ("datagovuk_package_show_update.json", "datagovuk_package_show_create.json",
                 "datagovuk_package_show_inspire.json", "datagovuk_2015_package_show.json",
                 "transportdata_be_package_show.json"):
        packages.append(load_json(f"ckan/{name}")["result"])
    return packages


class FakeCkan:
    """package_search (start/rows paging over ``packages``) and package_show on a Site."""

    def __init__(self, site: Site, packages: list[dict[str, Any]], prefix: str = "/api/action"):
        self.site, self.packages, self.prefix = site, packages, prefix
        self.page_hook: Any = None
        site.route(f"{prefix}/package_search", self.search)
        site.route(f"{prefix}/package_show", self.show)

    @property
    def url(self) -> str:
        return self.site.url("/")

    def search(self, request: Request) -> Reply:
        start, rows = int(request.query.get("start", 0)), int(request.query.get("rows", 10))
        if self.page_hook is not None:
            hooked = self.page_hook(start, rows)
            if hooked is not None:
                return hooked
        return json_reply({"help": "", "success": True, "result": {
            "count": len(self.packages), "results": self.packages[start:start + rows]}})

    def show(self, request: Request) -> Reply:
        for package in self.packages:
            if package.get("id") == request.query.get("id"):
                return json_reply({"help": "", "success": True, "result": package})
        return json_reply({"success": False, "error": {"__type": "Not Found Error",
                                                       "message": "Not found"}}, 404)


# -- the command line --------------------------------------------------------------------------

@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded data dir for CLI tests (fill it with ``cli_world``)."""
    monkeypatch.setenv("MULU_SECRET_KEY", "test")
    monkeypatch.setenv("MULU_HARVEST_ALLOW_NETWORKS", ",".join(LOCAL_SOURCES))
    monkeypatch.delenv("MULU_DATABASE_URL", raising=False)
    return tmp_path / "data"


def cli_world(data_dir: Path) -> None:
    """The test world (departments, users) in a migrated SQLite store in ``data_dir``."""
    settings = make_settings(data_dir.parent).with_overrides(
        data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'mulu.db'}")
    store = Store.open(settings)
    store.upgrade()
    build_world(Services.build(store))
    store.close()


def cli(*args: str, code: int = 0) -> str:
    """Run ``mulu ARGS`` in-process; assert its exit code; return what it printed."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.output
