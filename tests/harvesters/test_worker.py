"""Several workers and schedules: no source ever runs twice at once, due sources run on time,
the reaper closes dead workers' jobs and a stopped worker leaves nothing half-open."""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.exc import IntegrityError

from catalog.db import HarvestJob, HarvestSource, utcnow
from catalog.store import Store
from harvesters import jobs
from harvesters.worker import Worker
from tests.factories import World
from tests.harvesters.conftest import LOCAL_SOURCES, FakeCkan, add_source, full_packages
from tests.harvesters.server import Reply, Site, json_reply

MULU = [sys.executable, "-c", "from catalog.cli import main; main()"]


class Clock:
    """A settable clock for ``Worker(clock=…)`` and ``jobs.*(now=…)``."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def quiet(_message: str) -> None:
    return None


class SlowCkan(FakeCkan):
    """A CKAN portal under /<name>/ whose every package_search page takes ``page_delay`` s."""

    def __init__(self, site: Site, name: str, packages: list[dict[str, Any]], page_delay: float):
        super().__init__(site, packages, prefix=f"/{name}/api/action")
        self.name, self.page_delay = name, page_delay
        self.page_hook = self.slow_page

    @property
    def url(self) -> str:
        return self.site.url(f"/{self.name}")

    def slow_page(self, start: int, rows: int) -> Reply:
        reply = json_reply({"help": "", "success": True, "result": {
            "count": len(self.packages), "results": self.packages[start:start + rows]}})
        reply.delay = self.page_delay
        return reply


def jobs_of(store: Store, source_id: int | None = None) -> list[HarvestJob]:
    with store.reading() as session:
        query = select(HarvestJob).order_by(HarvestJob.id)
        if source_id is not None:
            query = query.where(HarvestJob.source_id == source_id)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def set_next_run(store: Store, source_id: int, moment: datetime | None) -> None:
    with store.transaction() as session:
        session.execute(update(HarvestSource).where(HarvestSource.id == source_id)
                        .values(next_run_at=moment))


def worker_env(store: Store, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "MULU_DATABASE_URL": store.settings.database_url,
           "MULU_DATA_DIR": str(tmp_path / "worker-data"), "MULU_SECRET_KEY": "test",
           "MULU_HARVEST_ALLOW_NETWORKS": ",".join(LOCAL_SOURCES)}
    env.pop("MULU_SEARCH_URL", None)
    return env


# -- several worker processes ---------------------------------------------------------------

def test_four_worker_processes_run_every_due_source_exactly_once(world: World, site: Site,
                                                                 tmp_path: Path) -> None:
    """Four real ``mulu worker --once`` processes against eight due sources whose listings are
    slow enough that the workers overlap: each source runs once, spread over the workers."""
    packages = full_packages()
    sources = {}
    for index in range(8):
        url = SlowCkan(site, f"s{index}", packages[2 * index:2 * index + 2], 0.4).url
        sources[add_source(world, "ckan", url, limits={"page_size": 1}, schedule="hourly")] = index
    store = world.services.store
    env = worker_env(store, tmp_path)
    started = time.monotonic()
    workers = [subprocess.Popen([*MULU, "worker", "--once"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(4)]
    outputs = [w.communicate(timeout=180) for w in workers]
    elapsed = time.monotonic() - started
    for process, (out, err) in zip(workers, outputs, strict=True):
        assert process.returncode == 0, err
        assert "worker stopped" in out

    ran = jobs_of(store)
    assert Counter(j.source_id for j in ran) == Counter(dict.fromkeys(sources, 1)), \
        [(j.id, j.source_id, j.status, j.worker) for j in ran]
    for job in ran:
        assert job.status == "succeeded", (job.id, job.error)
        assert job.counts["created"] == 2 and job.requested_by == "schedule"
    for source_id, index in sources.items():  # one listing per source: 2 pages, fetched once
        pages = [h for h in site.hits if h.path == f"/s{index}/api/action/package_search"]
        assert len(pages) == 2, (source_id, [h.query for h in pages])
        one = jobs_of(store, source_id)
        spans = sorted((j.started_at, j.finished_at) for j in one)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    by_worker = Counter(j.worker for j in ran)
    assert len(by_worker) > 1, by_worker
    assert all(w.rpartition(":")[0] == socket.gethostname() for w in by_worker)
    # the workers really ran side by side: some jobs of different workers overlapped in time
    overlapping = [(a.id, b.id) for a in ran for b in ran if a.id < b.id and a.worker != b.worker
                   and a.started_at < b.finished_at and b.started_at < a.finished_at]
    assert overlapping
    busy = sum(((j.finished_at - j.started_at).total_seconds() for j in ran), 0.0)
    print(f"\n4 workers, 8 sources: {elapsed:.1f} s wall, {busy:.1f} s of jobs, "
          f"{len(overlapping)} overlapping pairs, {dict(by_worker)}")


def test_concurrent_enqueue_due_queues_each_source_once(world: World, site: Site) -> None:
    ckan = FakeCkan(site, full_packages()[:1])
    ids = [add_source(world, "ckan", ckan.url, schedule="hourly") for _ in range(10)]
    store = world.services.store
    now = utcnow() + timedelta(seconds=1)
    barrier = threading.Barrier(4)
    queued: list[int] = []
    failures: list[BaseException] = []

    def enqueue() -> None:
        try:
            barrier.wait()
            queued.extend(jobs.enqueue_due(store, now=now))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)

    threads = [threading.Thread(target=enqueue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(queued) == len(set(queued)) == 10
    assert sorted(j.source_id for j in jobs_of(store)) == sorted(ids)
    with store.reading() as session:
        for source in session.scalars(select(HarvestSource)):
            assert jobs._aware(source.next_run_at) == now + timedelta(hours=1)


def test_a_worker_with_a_stale_view_of_due_sources_queues_nothing(world: World, site: Site) -> None:
    """Worker B read the source as due; meanwhile worker A queued and ran it. B decides again
    under the row lock, finds it no longer due and queues no second run."""
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url,
                           schedule="hourly")
    store = world.services.store
    now = utcnow() + timedelta(seconds=1)
    assert Worker(world.services, echo=quiet, clock=Clock(now)).run_once() == 1
    assert jobs.enqueue_if_due(store, source_id, now) is None
    assert len(jobs_of(store, source_id)) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"], indirect=True)  # row locks; SQLite serializes
def test_enqueue_skips_a_source_another_worker_is_deciding(world: World, site: Site) -> None:
    store = world.services.store
    assert store.settings.store_backend == "postgresql"
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url,
                           schedule="hourly")
    now = utcnow() + timedelta(seconds=1)
    other = create_engine(store.settings.database_url)
    with other.begin() as connection:
        connection.execute(text("SELECT id FROM harvest_sources WHERE id = :id FOR UPDATE"),
                           {"id": source_id})
        started = time.monotonic()
        assert jobs.enqueue_due(store, now=now) == []
        assert time.monotonic() - started < 5  # skipped, not waited for
    other.dispose()
    assert len(jobs.enqueue_due(store, now=now)) == 1


def test_the_store_refuses_a_second_active_job_of_a_source(world: World, site: Site) -> None:
    """The partial unique index exists on both stores: whatever code path inserts jobs."""
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url)
    store = world.services.store
    for first, second in (("queued", "running"), ("running", "running"), ("queued", "queued")):
        with pytest.raises(IntegrityError), store.transaction() as session:
            session.add(HarvestJob(source_id=source_id, status=first, counts={}, summary={}))
            session.flush()
            session.add(HarvestJob(source_id=source_id, status=second, counts={}, summary={}))
            session.flush()
    with store.transaction() as session:  # finished jobs do not count
        for status in ("succeeded", "failed", "partial", "queued"):
            session.add(HarvestJob(source_id=source_id, status=status, counts={}, summary={}))
    assert len(jobs_of(store, source_id)) == 4


# -- claiming -------------------------------------------------------------------------------

def test_a_job_is_claimed_once_even_without_row_locks(world: World, site: Site) -> None:
    ckan = FakeCkan(site, full_packages()[:1])
    store = world.services.store
    job_ids = [world.services.harvest.enqueue(world.steward, add_source(world, "ckan", ckan.url))
               ["job"] for _ in range(6)]
    with store.transaction() as session:  # the conditional update, as a lock-free store sees it
        assert jobs.take(session, job_ids[0], utcnow()) is True
        assert jobs.take(session, job_ids[0], utcnow()) is False
    claimed: list[int | None] = []
    barrier = threading.Barrier(4)

    def claim_all() -> None:
        barrier.wait()
        while (job_id := jobs.claim(store)) is not None:
            claimed.append(job_id)

    threads = [threading.Thread(target=claim_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == job_ids[1:]
    assert {j.status for j in jobs_of(store)} == {"running"}


# -- schedules on an injected clock ---------------------------------------------------------

def test_an_hourly_source_runs_again_an_hour_after_its_last_run(world: World, site: Site) -> None:
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url,
                           schedule="hourly")
    clock = Clock(utcnow() + timedelta(seconds=1))
    worker = Worker(world.services, echo=quiet, clock=clock)
    assert worker.run_once() == 1  # due once approved
    [first] = jobs_of(world.services.store, source_id)
    assert first.status == "succeeded" and first.requested_by == "schedule"
    ended = jobs._aware(first.finished_at)
    clock.now = ended + timedelta(minutes=59)
    assert worker.run_once() == 0
    clock.now = ended + timedelta(minutes=60)
    assert worker.run_once() == 1
    assert [j.status for j in jobs_of(world.services.store, source_id)] == ["succeeded"] * 2
    assert worker.run_once() == 0  # the same instant again: already ran


def test_manual_pending_and_rejected_sources_are_never_run_by_a_worker(world: World,
                                                                        site: Site) -> None:
    url = FakeCkan(site, full_packages()[:1]).url
    manual = add_source(world, "ckan", url, schedule="manual")
    pending = add_source(world, "ckan", url, schedule="hourly", approve=False)
    rejected = add_source(world, "ckan", url, schedule="hourly", approve=False)
    world.services.harvest.review_source(world.reviewer, rejected, "reject", "地址不是本部门的")
    store = world.services.store
    long_ago = utcnow() - timedelta(days=30)
    for source_id in (manual, pending, rejected):  # even with a run time in the past
        set_next_run(store, source_id, long_ago)
    clock = Clock(utcnow())
    worker = Worker(world.services, echo=quiet, clock=clock)
    for days in (0, 1, 8, 400):
        clock.now = utcnow() + timedelta(days=days)
        assert jobs.enqueue_due(store, now=clock.now) == []
        assert worker.run_once() == 0
    assert jobs_of(store) == []


def test_a_daily_source_waits_a_day_and_a_dry_run_does_not_move_it(world: World,
                                                                    site: Site) -> None:
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url,
                           schedule="daily")
    store = world.services.store
    world.services.harvest.run(world.admin, source_id, dry_run=True, sleep=lambda _s: None)
    now = utcnow() + timedelta(seconds=1)
    [job_id] = jobs.enqueue_due(store, now=now)  # a dry run is no scheduled run
    assert Worker(world.services, echo=quiet, clock=Clock(now)).run_once() == 1
    [_, run] = jobs_of(store, source_id)
    ended = jobs._aware(run.finished_at)
    assert run.id == job_id
    assert jobs.enqueue_due(store, now=ended + timedelta(hours=23, minutes=59)) == []
    assert len(jobs.enqueue_due(store, now=ended + timedelta(days=1))) == 1


# -- the reaper -----------------------------------------------------------------------------

def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_reaper_closes_a_dead_workers_job_and_the_next_due_run_proceeds(
        world: World, site: Site) -> None:
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url,
                           schedule="hourly")
    store = world.services.store
    job_id = jobs.create(store, source_id, status="running", requested_by="schedule")
    with store.transaction() as session:
        session.get_one(HarvestJob, job_id).worker = f"{socket.gethostname()}:{_dead_pid()}"
    said: list[str] = []
    clock = Clock(utcnow() + timedelta(seconds=1))
    assert Worker(world.services, echo=said.append, clock=clock).run_once() == 1
    assert f"reaped job {job_id} (its worker died)" in said
    dead, rerun = jobs_of(store, source_id)
    assert dead.id == job_id and dead.status == "failed"
    assert "is gone" in dead.error and "worker died" in dead.error
    assert "is gone" in dead.summary["reaped"]
    assert rerun.status == "succeeded" and rerun.counts["created"] == 1


def test_the_reaper_closes_a_silent_job_of_another_host_on_the_workers_clock(
        world: World, site: Site) -> None:
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url)
    store = world.services.store
    job_id = jobs.create(store, source_id, status="running", requested_by="steward")
    with store.transaction() as session:
        session.get_one(HarvestJob, job_id).worker = "another-host:4242"
    clock = Clock(utcnow() + jobs.STALE_AFTER - timedelta(minutes=1))
    worker = Worker(world.services, echo=quiet, clock=clock)
    worker.run_once()
    assert jobs_of(store, source_id)[0].status == "running"  # it may still be alive
    clock.now += timedelta(minutes=2)
    worker.run_once()
    [job] = jobs_of(store, source_id)
    assert job.status == "failed" and "no heartbeat since" in job.error


# -- stopping a worker ----------------------------------------------------------------------

def _start_worker(store: Store, tmp_path: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*MULU, "worker", "--poll", "0.2", *options],
                            env=worker_env(store, tmp_path), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_running(store: Store, process: subprocess.Popen[str], seconds: float = 60) -> HarvestJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        running = [j for j in jobs_of(store)
                   if j.status == "running" and j.counts.get("created", 0) >= 1]
        if running:
            return running[0]
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"no job started: {process.communicate()}")


def _slow_source(world: World, site: Site, name: str, pages: int,
                 page_delay: float) -> tuple[int, SlowCkan]:
    ckan = SlowCkan(site, name, copy.deepcopy(full_packages()[:pages]), page_delay)
    return add_source(world, "ckan", ckan.url, limits={"page_size": 1}, schedule="hourly"), ckan


def test_a_stopped_worker_takes_no_job(world: World, site: Site) -> None:
    ckan = FakeCkan(site, full_packages()[:1])
    for _ in range(2):
        world.services.harvest.enqueue(world.steward, add_source(world, "ckan", ckan.url))
    worker = Worker(world.services, echo=quiet)
    worker.stop()
    assert worker.run_once() == 0
    assert [j.status for j in jobs_of(world.services.store)] == ["queued", "queued"]


def test_sigterm_lets_the_current_job_finish_and_takes_no_other(world: World, site: Site,
                                                                tmp_path: Path) -> None:
    first, _ = _slow_source(world, site, "a", pages=4, page_delay=0.4)
    second, _ = _slow_source(world, site, "b", pages=4, page_delay=0.4)
    store = world.services.store
    worker = _start_worker(store, tmp_path, "--grace", "60")
    running = _wait_running(store, worker)
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "SIGTERM: finishing job" in out and out.rstrip().endswith("worker stopped")
    assert "Traceback" not in err
    done = {j.source_id: j for j in jobs_of(store)}
    assert done[running.source_id].status == "succeeded"
    assert done[running.source_id].counts["created"] == 4
    other = second if running.source_id == first else first
    assert done[other].status == "queued"  # left for the next worker


@pytest.mark.parametrize("stop", ["grace", "second-signal", "no-grace"])
def test_a_stopped_worker_abandons_its_job_cleanly(world: World, site: Site, tmp_path: Path,
                                                   stop: str) -> None:
    source_id, ckan = _slow_source(world, site, "slow", pages=17, page_delay=0.5)
    store = world.services.store
    grace = {"grace": "0.5", "second-signal": "120", "no-grace": "0"}[stop]
    worker = _start_worker(store, tmp_path, "--grace", grace)
    _wait_running(store, worker)
    started = time.monotonic()
    worker.send_signal(signal.SIGINT)
    if stop == "second-signal":
        time.sleep(0.3)
        worker.send_signal(signal.SIGINT)
    out, err = worker.communicate(timeout=60)
    stopped_in = time.monotonic() - started
    assert worker.returncode == 0, err
    assert "Traceback" not in err and "abandoned" in out, (out, err)
    assert stopped_in < 6, stopped_in  # the whole listing would take 8.5 s
    [job] = jobs_of(store, source_id)
    assert job.status == "failed" and job.finished_at is not None
    assert "the worker was stopped" in job.error and "abandoned" in job.summary
    assert 1 <= job.counts.get("created", 0) < 17  # what was stored before is kept
    # the next run starts from there, and nothing is left locked or half-open
    ckan.page_delay = 0
    rerun = world.services.harvest.run(world.admin, source_id, sleep=lambda _s: None)
    assert rerun["status"] == "succeeded"
    assert rerun["counts"]["created"] + rerun["counts"]["unchanged"] == 17


def test_a_stopped_job_ends_at_its_next_safe_point_in_process(world: World, site: Site) -> None:
    """Stopping never raises into running code: the job's deadline is stopped and the job loop
    ends the job itself, storing what it had (both stores; no signals involved)."""
    source_id, ckan = _slow_source(world, site, "stoppable", pages=17, page_delay=0.3)
    job_id = world.services.harvest.enqueue(world.admin, source_id)["job"]
    assert jobs.claim(world.services.store) == job_id
    timers: list[threading.Timer] = []

    def started(run: Any) -> None:
        timers.append(threading.Timer(1.0, run.deadline.stop, ["told to stop by the test"]))
        timers[0].start()

    began = time.monotonic()
    report = world.services.harvest.execute(job_id, started=started)
    assert time.monotonic() - began < 3.5          # the whole listing takes 5 s
    assert report["status"] == "failed" and "job.stopped" in report["errors"]
    assert "told to stop by the test" in report["error"]
    assert 1 <= report["counts"]["created"] < 17
    [job] = jobs_of(world.services.store, source_id)
    assert job.summary["abandoned"] == "told to stop by the test"
    ckan.page_delay = 0
    rerun = world.services.harvest.run(world.admin, source_id, sleep=lambda _s: None)
    assert rerun["status"] == "succeeded"
    assert rerun["counts"]["created"] + rerun["counts"]["unchanged"] == 17
