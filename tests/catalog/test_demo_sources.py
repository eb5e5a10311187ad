"""The demo's three simulated department sources (catalog/demo/simulated.py, sources.py):
their endpoints answer like a CKAN portal and a Hydra-paged DCAT catalog, the three sources
harvest into the demo catalog with no failure on both stores, a re-run (also on a new port)
changes nothing, due sources rerun while the demo serves, and ``mulu demo`` starts, harvests
and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from sqlalchemy import func, select, update

from catalog.actors import ANONYMOUS, SYSTEM
from catalog.cli import main as cli
from catalog.db import (
    Dataset,
    DatasetRevision,
    Department,
    HarvestJob,
    HarvestProvenance,
    HarvestSource,
)
from catalog.demo import loader
from catalog.demo.simulated import SimulatedSources, definitions
from catalog.demo.sources import register_and_run
from catalog.rules import title_key
from catalog.services import Services
from harvesters.worker import BackgroundWorker
from search.service import SearchService
from vocab import namespaces as ns

SHORT_NAMES = {d["code"]: d["short_name"] for d in loader.departments()}
GAT, HEFEI = "113400000030010171", "113401000031000311"
AMR, JUSTICE = "11340000003001025U", "11340000003001033N"
# what each source holds, by the department its records belong to
EXPECTED = {"ckan": {GAT: 24, HEFEI: 4}, "dcat": {AMR: 25}, "spreadsheet": {JUSTICE: 23}}


@pytest.fixture
def simulated() -> Any:
    with SimulatedSources() as server:
        yield server


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def _action(server: SimulatedSources, name: str, query: str = "") -> tuple[int, Any]:
    status, _, body = _get(f"{server.ckan_url}/api/3/action/{name}?{query}")
    return status, json.loads(body)


# -- the data -----------------------------------------------------------------------------------


def test_titles_never_collide_with_the_demo_datasets() -> None:
    """The duplicate-title rule is per department: no source title may fold to a shipped one
    (nor to the titles the README and the browser test register)."""
    taken = Counter((entry["department"], title_key(entry["record"]["title"]))
                    for entry in loader.datasets())
    taken.update({(GAT, title_key("全省流动人口登记信息")): 1,
                  (GAT, title_key("全省居民户籍迁移登记信息")): 1})
    data = definitions()
    organizations = {o["name"]: o["department"] for o in data["ckan"]["organizations"]}
    titles = [(organizations[p["organization"]], p["title"]) for p in data["ckan"]["packages"]]
    titles += [(data["dcat"]["department"], d["title"]) for d in data["dcat"]["datasets"]]
    titles += [(data["spreadsheet"]["department"], r["资源名称"]) for r in data["spreadsheet"]["rows"]]
    keys = Counter((department, title_key(title)) for department, title in titles)
    assert [k for k, n in keys.items() if n > 1] == [], "titles repeat within the sources"
    assert [k for k in keys if k in taken] == []
    assert all("全省流动人口登记信息" not in t and "全省居民户籍迁移登记信息" not in t
               for _, t in titles)
    per_source = {kind: sum(counts.values()) for kind, counts in EXPECTED.items()}
    assert per_source == {"ckan": len(data["ckan"]["packages"]),
                          "dcat": len(data["dcat"]["datasets"]),
                          "spreadsheet": len(data["spreadsheet"]["rows"])}


# -- the endpoints ------------------------------------------------------------------------------


def test_ckan_package_search_pages_like_ckan(simulated: SimulatedSources) -> None:
    status, first = _action(simulated, "package_search",
                            "q=*:*&rows=10&start=0&sort=metadata_modified+asc,+id+asc")
    assert status == 200 and first["success"] is True
    total = first["result"]["count"]
    assert total == 28
    seen = []
    for start in range(0, total, 10):
        _, page = _action(simulated, "package_search",
                          f"rows=10&start={start}&sort=metadata_modified+asc,+id+asc")
        assert page["result"]["count"] == total
        seen += page["result"]["results"]
    assert len({p["id"] for p in seen}) == total
    modified = [p["metadata_modified"] for p in seen]
    assert modified == sorted(modified)
    package = seen[0]
    assert package["organization"]["title"] in ("安徽省公安厅", "合肥市公安局")
    assert package["resources"] and package["tags"] and package["extras"]
    assert {"key", "value"} == set(package["extras"][0])


def test_ckan_filters_show_and_errors(simulated: SimulatedSources) -> None:
    _, hefei = _action(simulated, "package_search", "fq=organization:hfsgaj")
    assert hefei["result"]["count"] == 4
    _, recent = _action(simulated, "package_search",
                        "fq=metadata_modified:[2026-11-01T00:00:00Z%20TO%20*]&rows=100")
    assert 0 < recent["result"]["count"] < 28
    assert all(p["metadata_modified"] >= "2026-11-01" for p in recent["result"]["results"])
    name = recent["result"]["results"][0]["name"]
    _, by_name = _action(simulated, "package_show", f"id={name}")
    _, by_id = _action(simulated, "package_show", f"id={by_name['result']['id']}")
    assert by_name["result"] == by_id["result"]
    status, missing = _action(simulated, "package_show", "id=no-such-dataset")
    assert status == 404 and missing["error"]["__type"] == "Not Found Error"
    status, bad = _action(simulated, "package_search", "rows=many")
    assert status == 409 and bad["success"] is False
    status, _ = _action(simulated, "package_search", "fq=owner:x")
    assert status == 409
    _, organizations = _action(simulated, "organization_list")
    assert organizations["result"] == ["ahsgat", "hfsgaj"]
    status, ckan_status = _action(simulated, "status_show")
    assert status == 200 and ckan_status["result"]["ckan_version"].startswith("2.")
    status, _, page = _get(f"{simulated.ckan_url}/dataset/{name}")
    assert status == 200 and by_name["result"]["title"] in page.decode()


def test_dcat_catalog_is_hydra_paged_turtle(simulated: SimulatedSources) -> None:
    url: str | None = simulated.dcat_url
    datasets: list[URIRef] = []
    pages = 0
    while url:
        status, content_type, body = _get(url)
        assert status == 200 and content_type.startswith("text/turtle")
        graph = Graph().parse(data=body, format="turtle")
        views = list(graph.subjects(ns.RDF.type, ns.HYDRA.PartialCollectionView))
        assert len(views) == 1
        assert [int(n) for n in graph.objects(None, ns.HYDRA.totalItems)] == [25]
        datasets += graph.subjects(ns.RDF.type, ns.DCAT.Dataset)
        following = graph.value(views[0], ns.HYDRA.next)
        url = str(following) if following is not None else None
        pages += 1
    assert pages == 3
    assert len(datasets) == len(set(datasets)) == 25
    assert all(str(d).startswith("https://amr.ah.gov.cn/") for d in datasets), \
        "dataset IRIs never depend on the simulated server's port"
    assert _get(f"{simulated.dcat_url}?page=4")[0] == 404
    assert _get(simulated.url("/nothing"))[0] == 404


# -- harvesting into the demo catalog -----------------------------------------------------------


def _placed(services: Services) -> dict[str, Counter[str]]:
    """Datasets per source type and department code, with their states."""
    with services.store.reading() as session:
        rows = session.execute(
            select(HarvestSource.type, Department.code, Dataset.state)
            .join(HarvestProvenance, HarvestProvenance.source_id == HarvestSource.id)
            .join(Dataset, Dataset.id == HarvestProvenance.dataset_id)
            .join(Department, Department.id == Dataset.department_id)).all()
    placed: dict[str, Counter[str]] = {}
    for kind, code, state in rows:
        placed.setdefault(kind, Counter())[code] += 1
        assert state == "published", _problems(services)
    return placed


def _counts(services: Services) -> tuple[int, int]:
    with services.store.reading() as session:
        return (session.scalar(select(func.count()).select_from(HarvestSource)) or 0,
                session.scalar(select(func.count()).select_from(Dataset)) or 0)


def test_three_sources_harvest_and_rerun_unchanged(services: Services) -> None:
    shipped = loader.load(services)
    with SimulatedSources() as server:
        runs = register_and_run(services, server)
        assert [r.kind for r in runs] == ["ckan", "dcat", "spreadsheet"]
        for run in runs:
            assert run.problem == "" and run.report is not None, run.problem
            assert run.report["status"] == "succeeded", run.report
            created = sum(EXPECTED[run.kind].values())
            assert run.report["counts"] == {"created": created, "updated": 0, "unchanged": 0,
                                            "withdrawn": 0, "skipped": 0, "failed": 0}
            assert run.report["listing"]["complete"] is True
        assert _placed(services) == {kind: Counter(c) for kind, c in EXPECTED.items()}
        assert _counts(services) == (3, shipped + 76)

        again = register_and_run(services, server)
        for run in again:
            assert run.report is not None and run.report["status"] == "succeeded"
            assert run.report["counts"]["unchanged"] == sum(EXPECTED[run.kind].values())
            assert run.report["counts"]["created"] == run.report["counts"]["failed"] == 0
    with SimulatedSources() as moved:  # a new start: a new port, the same sources
        last = register_and_run(services, moved)
        assert [r.report["counts"]["unchanged"] for r in last if r.report] == [28, 25, 23]
    assert _counts(services) == (3, shipped + 76)
    sources = services.harvest.list_sources(SYSTEM)
    assert {s.url for s in sources if s.type != "spreadsheet"} == {moved.ckan_url, moved.dcat_url}
    assert all(s.state == "approved" and s.schedule in ("hourly", "daily") for s in sources)
    assert {s.created_by for s in sources} == {"steward", "admin"}
    assert {s.approved_by for s in sources} == {"reviewer"}

    search = SearchService.open(services.store, sync=True)
    staff = services.accounts.get_user("staff")
    assert staff is not None
    insider = services.accounts.actor_for_user_id(staff.id)  # 内部 clearance
    try:
        for title, department, actor in (
                ("户籍人口姓氏分布统计", GAT, ANONYMOUS), ("出生登记信息", GAT, insider),
                ("企业设立登记信息", AMR, ANONYMOUS), ("律师事务所名录", JUSTICE, ANONYMOUS),
                ("合肥市户籍人口分区统计", HEFEI, ANONYMOUS)):
            result = search.search(search.query(actor, text=title))
            hits = [h for h in result.hits if h.title == title]
            assert len(hits) == 1, (title, [h.title for h in result.hits])
            assert hits[0].department_code == department and hits[0].state == "published"
    finally:
        search.close()


def test_due_sources_rerun_while_the_demo_serves(sqlite_store: Any) -> None:
    services = Services.build(sqlite_store)
    loader.load(services, limit=0)
    lines: list[str] = []
    with SimulatedSources() as server:
        register_and_run(services, server)
        with services.store.transaction() as session:
            session.execute(update(HarvestSource).values(next_run_at=HarvestSource.created_at))
        scheduled = BackgroundWorker(services, echo=lines.append, kinds=("harvest",),
                                     interval=0.05).start()
        try:
            deadline = time.monotonic() + 30
            while sum("succeeded" in line for line in lines) < 3:
                assert time.monotonic() < deadline, lines
                time.sleep(0.05)
        finally:
            scheduled.stop()
    with services.store.reading() as session:
        jobs = session.scalars(select(HarvestJob).where(HarvestJob.requested_by == "schedule")).all()
        assert len(jobs) == 3
        assert all(j.status == "succeeded" and j.counts["failed"] == 0 for j in jobs)
        assert all(j.counts["unchanged"] > 0 and j.counts["created"] == 0 for j in jobs)


# -- the command --------------------------------------------------------------------------------


def _clean_env(data_dir: Path) -> dict[str, str | None]:
    """The embedded store in ``data_dir`` whatever the caller's environment says."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("MULU_")}
    return {**env, "MULU_DATA_DIR": str(data_dir), "MULU_SECRET_KEY": "test-secret"}


def test_mulu_demo_harvests_the_sources_once(tmp_path: Path) -> None:
    runner = CliRunner()
    env = _clean_env(tmp_path / "demo")
    args = ["demo", "--no-serve", "--data-dir", str(tmp_path / "demo"), "--sources-port", "0"]
    first = runner.invoke(cli, args, env=env)
    assert first.exit_code == 0, first.output
    for name in ("安徽省公安厅人口数据开放平台（CKAN）", "安徽省市场监督管理局数据目录（DCAT）",
                 "安徽省司法厅政务信息资源目录（电子表格）"):
        assert name in first.output
    assert first.output.count("succeeded") == 3 and first.output.count("failed 0") == 3
    for created in ("created 28", "created 25", "created 23"):
        assert created in first.output

    second = runner.invoke(cli, args, env=env)
    assert second.exit_code == 0, second.output
    assert "demo data already in" in second.output
    for unchanged in ("unchanged 28", "unchanged 25", "unchanged 23"):
        assert unchanged in second.output
    listed = runner.invoke(cli, ["harvest", "list", "--data-dir", str(tmp_path / "demo")], env=env)
    assert listed.exit_code == 0 and len(listed.output.strip().splitlines()) == 3

    skipped = runner.invoke(cli, [*args[:4], "--no-sources"], env=env)
    assert skipped.exit_code == 0 and "simulated department sources" not in skipped.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_mulu_demo_serves_with_its_sources_and_stops_cleanly(tmp_path: Path) -> None:
    port, sources_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MULU_")}
    log_path = tmp_path / "demo.log"
    command = [sys.executable, "-c", "from catalog.cli import main; main()", "demo",
               "--port", str(port), "--sources-port", str(sources_port),
               "--data-dir", str(tmp_path / "demo")]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log_path.read_text(errors="replace")
            try:
                if _get(f"http://127.0.0.1:{port}/api/health")[0] == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
        output = log_path.read_text()
        assert output.count("succeeded") == 3 and output.count("failed 0") == 3, output
        status, _, body = _get(f"http://127.0.0.1:{sources_port}/")
        assert status == 200 and json.loads(body)["ckan"].endswith("/gat")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log_path.read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    with pytest.raises(OSError):
        _get(f"http://127.0.0.1:{sources_port}/")



def _problems(services: Services) -> list[tuple[str, list[dict[str, str]]]]:
    """The first datasets kept with problems, for an assertion's message."""
    with services.store.reading() as session:
        return [(title, problems) for title, problems in session.execute(
            select(Dataset.title, DatasetRevision.problems)
            .join(DatasetRevision, DatasetRevision.dataset_id == Dataset.id)
            .where(Dataset.problem_count > 0).limit(5))]
