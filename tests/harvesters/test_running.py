"""Sources (register, approve), the CLI, the API, the worker and the reaper."""

from __future__ import annotations

import copy
import json
import os
import pty
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from catalog.app import create_app
from catalog.cli import main
from catalog.db import Dataset, HarvestJob, HarvestProvenance, utcnow
from catalog.errors import Conflict, Forbidden, NotFound
from harvesters import jobs
from harvesters import run as run_module
from harvesters.progress import line
from harvesters.registry import HARVESTERS
from harvesters.worker import Worker
from tests.api.conftest import ApiClient
from tests.factories import MARKET, PUBLIC_SECURITY
from tests.harvesters.conftest import (
    LOCAL_SOURCES,
    FakeCkan,
    add_source,
    cli,
    cli_world,
    full_packages,
    run,
)
from tests.harvesters.server import Reply, json_reply


def test_sources_are_approved_before_they_run(world, site):
    harvest = world.services.harvest
    ckan = FakeCkan(site, full_packages()[:2])
    source_id = add_source(world, "ckan", ckan.url, approve=False)
    with pytest.raises(Conflict):
        run(world, source_id)
    with pytest.raises(Forbidden):   # a steward may not approve
        harvest.review_source(world.steward, source_id)
    with pytest.raises(NotFound):    # another department's steward does not see it
        harvest.get_source(world.steward_other, source_id)
    with pytest.raises(Forbidden):   # stewards register for their own department only
        harvest.add_source(world.steward, {"type": "ckan", "url": ckan.url,
                                           "department_code": MARKET})
    approved = harvest.review_source(world.reviewer, source_id, "approve", "已核实")
    assert approved.state == "approved" and approved.approved_by == "reviewer"
    assert run(world, source_id)["counts"]["created"] == 2
    assert [s.id for s in harvest.list_sources(world.steward_other)] == []
    assert [s.id for s in harvest.list_sources(world.reviewer)] == [source_id]


def test_no_source_runs_twice_at_once(world, site):
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url)
    harvest = world.services.harvest
    queued = harvest.enqueue(world.steward, source_id)
    assert queued["status"] == "queued"
    with pytest.raises(Conflict):
        harvest.enqueue(world.steward, source_id)
    with pytest.raises(Conflict):
        run(world, source_id)
    ran = Worker(world.services, echo=lambda _m: None).run_once()
    assert ran == 1
    assert harvest.report(world.admin, queued["job"])["status"] == "succeeded"


def test_reaper_closes_a_job_whose_worker_died(world, site):
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url)
    store = world.services.store
    job_id = jobs.create(store, source_id, status="running", requested_by="test")
    assert jobs.reap(store) == []
    with store.transaction() as session:
        session.get_one(HarvestJob, job_id).worker = "some-other-host:1"
    later = jobs.utcnow() + jobs.STALE_AFTER + timedelta(seconds=1)
    assert jobs.reap(store, now=later) == [job_id]
    report = world.services.harvest.report(world.admin, job_id)
    assert report["status"] == "failed" and "worker died" in report["error"]
    assert run(world, source_id)["counts"]["created"] == 1


def test_dedup_across_a_ckan_portal_and_a_dcat_catalog(world, site):
    """The CKAN package's ``uri`` extra is the DCAT dataset's IRI: one dataset, two provenances."""
    packages = copy.deepcopy(full_packages()[:1])
    packages[0]["extras"] = [{"key": "uri", "value": site.url("/dataset/1")}]
    ckan = FakeCkan(site, packages)
    turtle = f"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<{site.url("/dataset/1")}> a dcat:Dataset ; dct:title "Purchase Card Transactions"@en ;
  dct:description "The same dataset, published in a DCAT catalog."@en ."""
    site.route("/catalog.ttl", Reply(turtle.encode(), content_type="text/turtle"))
    run(world, add_source(world, "ckan", ckan.url))
    result = run(world, add_source(world, "dcat", site.url("/catalog.ttl")))
    assert result["counts"]["unchanged"] == 1 and result["counts"]["created"] == 0
    with world.services.store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Dataset)) == 1
        assert session.scalar(select(func.count()).select_from(HarvestProvenance)) == 2
        dataset_id = session.scalar(select(Dataset.id))
    # both provenances are shown to readers of the dataset, the primary (first) source first;
    # the sources' addresses only to those who may see the sources
    shown = world.services.harvest.provenance(world.steward, dataset_id)
    assert [(p["source_type"], p["primary"]) for p in shown] == [("ckan", True), ("dcat", False)]
    assert shown[0]["remote_id"] == packages[0]["id"] and shown[1]["remote_id"].endswith("/dataset/1")
    assert shown[0]["source_url"] == ckan.url and all(p["listed"] for p in shown)
    others = world.services.harvest.provenance(world.staff, dataset_id)
    assert [p["source_url"] for p in others] == [None, None]
    assert [p["remote_id"] for p in others] == [p["remote_id"] for p in shown]


def test_cli_add_approve_run_list_report(data_dir, site):
    cli_world(data_dir)
    ckan = FakeCkan(site, full_packages())
    d = ("--data-dir", str(data_dir))
    source = cli("harvest", "add", *d, "--type", "ckan", "--url", ckan.url,
                  "--department", PUBLIC_SECURITY, "--default", "share_type=无条件共享",
                  "--map-org", f"birmingham-city-council={MARKET}").strip()
    assert source.isdigit()
    failed = CliRunner().invoke(main, ["harvest", "run", *d, source])
    assert failed.exit_code == 2 and "not approved" in failed.output
    assert "approved" in cli("harvest", "approve", *d, source)
    text = cli("harvest", "run", *d, source)
    assert "created 17" in text and "listing complete" in text
    again = json.loads(cli("harvest", "run", *d, source, "--json"))
    assert again["counts"]["unchanged"] == 17 and again["status"] == "succeeded"
    assert "job 2 succeeded" in cli("harvest", "list", *d)
    assert "unchanged 17" in cli("harvest", "report", *d, str(again["job"]))


def test_cli_run_exits_0_when_the_job_ran_whatever_its_outcome(data_dir, site):
    cli_world(data_dir)
    site.route("/api/action/package_search", Reply(b"down", 500, "text/plain"))
    d = ("--data-dir", str(data_dir))
    source = cli("harvest", "add", *d, "--type", "ckan", "--url", site.url("/"),
                  "--department", PUBLIC_SECURITY, "--config",
                  json.dumps({"limits": {"retries": 0}})).strip()
    cli("harvest", "approve", *d, source)
    report = json.loads(cli("harvest", "run", *d, source, "--json"))
    assert report["status"] == "failed" and "http.5xx" in report["errors"]


def test_api_sources_jobs_and_reports(world, site):
    app = create_app(world.services.settings, store=world.services.store)
    services = app.extensions["mulu"]
    tokens = {name: services.accounts.create_token(world.admin, name, "t")
              for name in ("steward", "reviewer", "staff")}
    steward, reviewer, staff = (ApiClient(app, tokens[n]) for n in ("steward", "reviewer", "staff"))
    packages = copy.deepcopy(full_packages())
    packages[0]["notes"] = ""
    FakeCkan(site, packages)
    created = steward.post("/api/harvest/sources", json={
        "type": "ckan", "url": site.url("/"), "config": {"limits": {"retries": 0}}})
    assert created.status_code == 201, created.json
    source_id = created.json["id"]
    assert created.json["state"] == "pending"
    assert reviewer.post(f"/api/harvest/sources/{source_id}/review",
                         json={"action": "approve"}).json["state"] == "approved"
    queued = steward.post(f"/api/harvest/sources/{source_id}/jobs", json={})
    assert queued.status_code == 202 and queued.json["status"] == "queued"
    Worker(services, echo=lambda _m: None).run_once()
    report = steward.get(f"/api/harvest/jobs/{queued.json['job']}").json
    assert report["counts"]["created"] == 17 and report["counts"]["failed"] == 0
    assert report["kept_with_problems"] == {"count": 1,
                                            "by_problem": {"missing description": 1}}
    items = steward.get(f"/api/harvest/jobs/{queued.json['job']}/items",
                        query_string={"outcome": "created"}).json
    kept = next(i for i in items["items"] if i["remote_id"] == packages[0]["id"])
    assert packages[0]["id"] in kept["raw"] and "待完善" in kept["reason"]
    assert staff.get(f"/api/harvest/jobs/{queued.json['job']}").status_code == 404
    listed = steward.get(f"/api/harvest/sources/{source_id}/jobs").json
    assert listed[0]["status"] == "succeeded"
    shown = steward.get(f"/api/datasets/{kept['dataset_id']}").json
    assert shown["source_identifier"] == packages[0]["id"] and shown["state"] == "incomplete"
    assert [p["field"] for p in shown["problems"]] == ["description"]
    assert steward.post("/api/harvest/sources", json={"type": "ckan", "url": "/etc/passwd"}) \
        .status_code == 422


MULU = [sys.executable, "-c", "from catalog.cli import main; main()"]


def test_killed_worker_and_a_rerun_with_correct_counts(tmp_path, site):
    """SIGKILL a `mulu harvest run` mid-job; the next run reaps the dead job and ends with
    every record stored once."""
    data_dir = tmp_path / "data"
    cli_world(data_dir)
    packages = copy.deepcopy(full_packages())
    ckan = FakeCkan(site, packages)
    for package in packages:
        package.pop("resources")  # bare entries: one slow package_show each
    full = {p["id"]: p for p in copy.deepcopy(full_packages())}
    site.route("/api/action/package_show", lambda r: (time.sleep(0.3), json_reply(
        {"success": True, "result": full[r.query["id"]]}))[1])
    d = ["--data-dir", str(data_dir)]
    env = {**os.environ, "MULU_SECRET_KEY": "test",
           "MULU_HARVEST_ALLOW_NETWORKS": ",".join(LOCAL_SOURCES)}
    env.pop("MULU_DATABASE_URL", None)
    source = subprocess.run([*MULU, "harvest", "add", *d, "--type",
                             "ckan", "--url", ckan.url, "--department", PUBLIC_SECURITY],
                            capture_output=True, text=True, env=env, check=True).stdout.strip()
    subprocess.run([*MULU, "harvest", "approve", *d, source],
                   env=env, check=True, capture_output=True)
    worker = subprocess.Popen([*MULU, "harvest", "run", *d, source],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        shows = [h for h in site.hits if h.path.endswith("package_show")]
        if len(shows) >= 8:
            break
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    rerun = subprocess.run([*MULU, "harvest", "run", *d, source,
                            "--json"], capture_output=True, text=True, env=env)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    counts = report["counts"]
    assert counts["created"] + counts["unchanged"] == 17 and counts["failed"] == 0
    assert counts["unchanged"] >= 1
    first = json.loads(subprocess.run(
        [*MULU, "harvest", "report", *d, "1", "--json"],
        capture_output=True, text=True, env=env, check=True).stdout)
    assert first["status"] == "failed" and "worker" in first["error"]
    import sqlite3

    with sqlite3.connect(data_dir / "mulu.db") as connection:
        assert connection.execute("SELECT COUNT(*) FROM datasets").fetchone()[0] == 17
        assert connection.execute("SELECT COUNT(DISTINCT dataset_id) FROM harvest_provenance"
                                  ).fetchone()[0] == 17


def test_an_idle_job_still_sends_heartbeats(world, site, monkeypatch):
    """Slow pages with no records in between must not make a live job look dead to a reaper
    on another machine: the flush before each request beats at least every HEARTBEAT_SECONDS."""
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url)
    store = world.services.store
    job_id = jobs.create(store, source_id, status="running", requested_by="test")
    old = utcnow() - timedelta(minutes=9)
    with store.transaction() as session:
        session.get_one(HarvestJob, job_id).heartbeat_at = old
    job = run_module.JobRun(store, world.services.datasets, job_id, HARVESTERS)
    job.flush()                                   # nothing pending, beat not yet due
    with store.reading() as session:
        assert jobs._aware(session.get_one(HarvestJob, job_id).heartbeat_at) == old
    monkeypatch.setattr(run_module, "HEARTBEAT_SECONDS", 0.0)
    job.flush()                                   # still nothing pending, but the beat is due
    with store.reading() as session:
        assert jobs._aware(session.get_one(HarvestJob, job_id).heartbeat_at) > old + timedelta(minutes=8)
    assert jobs.reap(store, now=utcnow() + timedelta(minutes=2)) == []


def test_progress_line_shows_a_bar_when_the_source_says_how_many():
    counts = {"created": 30, "unchanged": 10, "failed": 2}
    bar = line(counts, 168, elapsed=2.0)
    assert "42/168" in bar and "25%" in bar and "[######" in bar and "fai 2" in bar
    assert "21/s" in bar and "~6 s left" in bar
    assert "42 records" in line(counts, None, elapsed=2.0)


def test_cli_run_draws_a_progress_bar_on_a_terminal(data_dir, site):
    cli_world(data_dir)
    ckan = FakeCkan(site, full_packages())
    d = ("--data-dir", str(data_dir))
    source = cli("harvest", "add", *d, "--type", "ckan", "--url", ckan.url,
                  "--department", PUBLIC_SECURITY, "--default", "share_type=无条件共享").strip()
    cli("harvest", "approve", *d, source)
    env = {**os.environ, "MULU_SECRET_KEY": "test",
           "MULU_HARVEST_ALLOW_NETWORKS": ",".join(LOCAL_SOURCES)}
    env.pop("MULU_DATABASE_URL", None)
    master, slave = pty.openpty()
    with os.fdopen(master, "rb", buffering=0) as terminal:
        done = subprocess.run([*MULU, "harvest", "run", *d, source], env=env, stderr=slave,
                              stdout=subprocess.PIPE, timeout=120)
        os.close(slave)
        drawn = b""
        while True:
            try:
                chunk = terminal.read(65536)
            except OSError:      # the pty's other end is closed: all read
                break
            if not chunk:
                break
            drawn += chunk
    assert done.returncode == 0 and b"created 17" in done.stdout
    text = drawn.decode("utf-8", "replace")
    assert "/17" in text and "harvesting [" in text, text
