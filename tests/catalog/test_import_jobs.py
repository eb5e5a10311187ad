"""Import jobs (issue 9 §4): a spreadsheet import in the background, on both stores — the job's
lifecycle, its progress, its report, who may read it, budgets, and that an all-or-none import
that fails or crashes at any point has written nothing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from catalog import audit
from catalog import datasets as datasets_module
from catalog.actors import SYSTEM
from catalog.db import AuditEntry, Dataset, ImportJob, ImportRow, utcnow
from catalog.errors import Forbidden, InvalidInput, NotFound
from catalog.imports import files, run
from catalog.spreadsheet import importer
from harvesters.worker import Worker
from tests.factories import MARKET, World, build_world

HEADER = ["信息资源名称", "信息资源代码", "信息资源分类", "信息资源摘要", "信息资源格式", "共享类型",
          "共享方式", "开放属性", "更新周期", "密级", "关键字"]


def row(title: str, *, summary: str | None = None, level: str = "内部") -> list[str]:
    return [title, "", "101001", f"{title}。" if summary is None else summary, "数据库",
            "无条件共享", "接口", "不予开放", "每日", level, "人口"]


def csv_file(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


def titles(n: int, prefix: str = "全省第") -> list[list[str]]:
    return [row(f"{prefix}{i}号人口信息") for i in range(n)]


@pytest.fixture
def world(services):
    return build_world(services)


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 5 rows and a progress beat at every step, so a small file has many."""
    monkeypatch.setattr(datasets_module, "REGISTER_BATCH", 5)
    monkeypatch.setattr(importer, "REGISTER_BATCH", 5)
    monkeypatch.setattr(importer, "PROGRESS_ROWS", 1)
    monkeypatch.setattr(run, "BEAT_SECONDS", 0.0)


def count(world: World) -> int:
    with world.services.store.reading() as session:
        return session.scalar(select(func.count()).select_from(Dataset)) or 0


def job_row(world: World, job_id: int) -> ImportJob:
    with world.services.store.reading() as session:
        job = session.get_one(ImportJob, job_id)
        session.expunge(job)
        return job


def start(world: World, data: bytes, name: str = "目录.csv", **options: Any) -> dict[str, Any]:
    return world.services.imports.start(world.steward, io.BytesIO(data), name, **options)


def work(world: World) -> int:
    return Worker(world.services, echo=lambda _line: None).run_once()


def test_an_import_job_is_queued_then_run_by_the_worker(world: World):
    job = start(world, csv_file(titles(12)))
    assert job["status"] == "queued" and job["progress"]["share"] == 0.0
    assert job["status_url"] == f"/api/imports/{job['id']}"
    stored = files.path_of(world.services.settings.data_dir, job_row(world, job["id"]).file_ref)
    assert stored.is_file() and count(world) == 0     # kept, not read
    assert work(world) == 1
    done = world.services.imports.view(world.steward, job["id"])
    assert done["status"] == "succeeded", done["error"]
    assert done["counts"] == {"created": 12, "flagged": 0, "refused": 0}
    assert done["progress"]["share"] == 1.0 and done["progress"]["phase"] == "done"
    assert done["progress"]["rows_total"] == 12 and done["progress"]["seconds_left"] == 0.0
    assert count(world) == 12 and not stored.exists()   # the file goes once read
    report = world.services.imports.rows(world.steward, job["id"], outcome="created")
    assert report["total"] == 12
    assert [line["row"] for line in report["items"]] == list(range(2, 14))
    first = report["items"][0]
    assert world.services.datasets.get(world.steward, first["dataset_id"]).record["title"] \
        == "全省第0号人口信息"
    assert work(world) == 0


def test_progress_is_kept_in_the_store_while_the_job_runs(world: World, small_batches):
    """Every step the job reports is in the store when the listener hears it (a poller reads
    it): checking, then storing — on PostgreSQL also during the one write transaction of the
    storing phase; on SQLite that phase shows as it began until the end."""
    seen: list[tuple[str, int, int | None, float, bool]] = []
    job_id = 0

    def listen(step: importer.Step) -> None:
        stored = job_row(world, job_id)
        seen.append((stored.phase, stored.rows_done, stored.rows_total, stored.share,
                     step.locked))

    job = start(world, csv_file(titles(23)))
    job_id = job["id"]
    assert world.services.imports.claim() == job_id
    world.services.imports.execute(job_id, listener=listen)
    phases = [phase for phase, *_ in seen]
    assert phases[0] == "checking" and phases[-1] == "storing"
    checking = [s for s in seen if s[0] == "checking"]
    assert [s[1] for s in checking] == list(range(0, 24))      # one beat a row (PROGRESS_ROWS)
    assert all(0 <= s[3] <= 0.5 for s in checking)
    shares = [s[3] for s in seen]
    assert shares == sorted(shares)
    storing = [s for s in seen if s[0] == "storing"]
    assert storing[0][1:4] == (0, 23, 0.5)                     # before the transaction opens
    if world.services.settings.store_backend == "postgresql":
        assert [s[1] for s in storing] == [0, 5, 10, 15, 20, 23]
        assert storing[-1][3] == 1.0
    else:
        assert {s[1] for s in storing} == {0}                   # no second writer on SQLite
    assert job_row(world, job_id).status == "succeeded"


def test_all_or_none_refuses_the_file_with_every_problem_and_writes_nothing(world: World):
    rows = titles(8)
    rows[3][3] = ""                                    # no 摘要
    rows[6][9] = "绝密级别"                             # no such security level
    job = start(world, csv_file(rows))
    work(world)
    done = world.services.imports.view(world.steward, job["id"])
    assert done["status"] == "failed" and "2 行有误" in done["error"]
    assert done["counts"]["problems"] == len(done["problems"]) >= 2
    assert {(p["row"], p["field"]) for p in done["problems"]} >= {(5, "description"),
                                                                   (8, "security_level")}
    assert all(p["outcome"] == "problem" for p in done["problems"])
    assert count(world) == 0
    assert world.services.imports.rows(world.steward, job["id"], outcome="created")["total"] == 0


def test_a_crash_while_storing_leaves_nothing_written(world: World, small_batches, monkeypatch):
    """All or none: the third batch's write fails after two were stored in the transaction:
    the job fails with the reason, no dataset, revision, audit entry or report row stays."""
    real = datasets_module.create_datasets
    calls = {"n": 0}

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(datasets_module, "create_datasets", crashing)
    with world.services.store.reading() as session:
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    job = start(world, csv_file(titles(14)))
    work(world)
    done = job_row(world, job["id"])
    assert done.status == "failed" and "RuntimeError: disk full" in done.error
    assert "nothing was imported" in done.error
    assert calls["n"] == 3 and count(world) == 0
    with world.services.store.reading() as session:
        assert session.scalar(select(func.count()).select_from(ImportRow)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries
        assert audit.verify(session).ok


def test_keep_and_flag_stores_batches_and_lists_refused_rows(world: World, small_batches):
    rows = titles(12)
    rows[2][3] = ""                                    # kept as 待完善
    rows[7][9] = "绝密"                                 # above the network's ceiling: refused
    job = start(world, csv_file(rows), mode="keep")
    work(world)
    done = world.services.imports.view(world.steward, job["id"])
    assert done["status"] == "succeeded", done["error"]
    assert done["counts"] == {"created": 11, "flagged": 1, "refused": 1}
    assert [(p["outcome"], p["row"], p["field"]) for p in done["problems"]] == \
        [("refused", 9, "security_level")]
    assert count(world) == 11


def test_budgets_fail_the_job_with_a_clear_line_and_nothing_written(world: World, store):
    imports = world.services.imports
    tight = store.settings.with_overrides(import_max_rows=5)
    store.settings = tight
    job = start(world, csv_file(titles(9)))
    work(world)
    done = imports.view(world.steward, job["id"])
    assert done["status"] == "failed" and "5 行上限" in done["error"] \
        and "more than 5 rows" in done["error"]
    assert count(world) == 0
    store.settings = tight.with_overrides(import_max_rows=1000, import_max_cells=40)
    job = start(world, csv_file(titles(9)))
    work(world)
    assert "cells" in imports.view(world.steward, job["id"])["error"] and count(world) == 0
    store.settings = tight.with_overrides(import_max_rows=1000, import_max_seconds=1)
    ticks = iter(range(0, 10_000, 5))
    from catalog.spreadsheet import budget

    real_meter = budget.Meter.__init__

    def slow_clock(self: Any, limits: Any = None, clock: Any = None) -> None:
        real_meter(self, limits, clock=lambda: float(next(ticks)))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(budget.Meter, "__init__", slow_clock)
        job = start(world, csv_file(titles(600)))
        work(world)
    assert "1 s limit" in imports.view(world.steward, job["id"])["error"]
    assert count(world) == 0


def test_who_may_start_and_read_an_import_job(world: World):
    imports = world.services.imports
    job = start(world, csv_file(titles(2)))
    for reader in (world.steward, world.staff_own, world.reviewer, world.admin, SYSTEM):
        assert imports.view(reader, job["id"])["id"] == job["id"]
    for stranger in (world.steward_other, world.staff):
        with pytest.raises(NotFound):
            imports.view(stranger, job["id"])
        with pytest.raises(NotFound):
            imports.rows(stranger, job["id"])
        assert imports.list(stranger)["total"] == 0
    assert imports.list(world.staff_own)["total"] == 1 and imports.list(world.admin)["total"] == 1
    for wrong in (0, -1, 2 ** 31, 2 ** 63, 2 ** 70):
        with pytest.raises(NotFound):
            imports.view(world.admin, wrong)
    with pytest.raises(Forbidden):
        imports.start(world.staff_own, io.BytesIO(csv_file(titles(1))), "a.csv")
    with pytest.raises(Forbidden):       # a steward imports for their own department only
        imports.start(world.steward, io.BytesIO(csv_file(titles(1))), "a.csv",
                      department_code=MARKET)
    with pytest.raises(InvalidInput):    # an administrator names the department
        imports.start(world.admin, io.BytesIO(csv_file(titles(1))), "a.csv")
    other = imports.start(world.admin, io.BytesIO(csv_file(titles(1, "市场"))), "a.csv",
                          department_code=MARKET)
    assert other["department_code"] == MARKET
    with pytest.raises(NotFound):
        imports.view(world.steward, other["id"])


def test_only_the_cheap_check_runs_before_a_file_is_kept(world: World):
    """Not a spreadsheet, empty, or too large: refused at once; a CSV whose rows are all wrong
    is kept (the job finds its problems)."""
    imports = world.services.imports
    for data, name in ((b"", "a.csv"), (b"PK\x03\x04broken", "a.xlsx"), (b"x", "a.xls"),
                       (b"x", "a.pdf")):
        with pytest.raises(InvalidInput) as exc:
            start(world, data, name)
        assert "file" in exc.value.errors
    root = world.services.settings.data_dir / files.SUBDIR
    assert not [p for p in root.iterdir()]            # nothing kept, no partial file
    job = start(world, b"no header here\n1,2,3\n", "a.csv")
    assert job["status"] == "queued"
    work(world)
    assert imports.view(world.steward, job["id"])["status"] == "failed"


def test_a_job_whose_worker_died_is_reaped_with_what_it_left(world: World):
    job = start(world, csv_file(titles(3)))
    assert world.services.imports.claim() == job["id"]
    with world.services.store.transaction() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job["id"]).values(
            heartbeat_at=utcnow() - timedelta(hours=1)))
    assert world.services.imports.reap() == [job["id"]]
    done = job_row(world, job["id"])
    assert done.status == "failed" and "nothing was imported" in done.error
    assert count(world) == 0


def test_a_worker_told_to_stop_abandons_the_import_and_writes_nothing(world: World,
                                                                      small_batches):
    job = start(world, csv_file(titles(20)))
    assert world.services.imports.claim() == job["id"]
    runs: list[Any] = []

    def started(this: Any) -> None:
        runs.append(this)

    def stop_midway(step: importer.Step) -> None:
        if step.phase == "storing" and step.rows >= 10:
            runs[0].deadline.stop("SIGTERM")

    world.services.imports.execute(job["id"], listener=stop_midway, started=started)
    done = job_row(world, job["id"])
    assert done.status == "failed" and "SIGTERM" in done.error
    assert count(world) == 0


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # the CLI opens the embedded store
def test_the_cli_runs_the_job_here_with_progress_lines(world: World, tmp_path):
    from click.testing import CliRunner

    from catalog.cli import main
    from tests.factories import PUBLIC_SECURITY

    path = tmp_path / "目录.csv"
    path.write_bytes(csv_file(titles(7)))
    data_dir = str(world.services.settings.data_dir)
    runner = CliRunner()
    env = {"MULU_DATABASE_URL": world.services.settings.database_url}
    result = runner.invoke(main, ["dataset", "import", str(path), "--department",
                                  PUBLIC_SECURITY, "--data-dir", data_dir], env=env)
    assert result.exit_code == 0, result.output
    assert "导入中 / importing" in result.output and "checking" in result.output
    assert "imported 7 datasets (drafts)" in result.output and "import job 1" in result.output
    assert count(world) == 7
    path.write_bytes(csv_file([row("全省第0号人口信息"), row("无摘要", summary="")]))
    refused = runner.invoke(main, ["dataset", "import", str(path), "--department",
                                   PUBLIC_SECURITY, "--data-dir", data_dir, "--quiet"], env=env)
    assert refused.exit_code == 2 and "row 3: description" in refused.output
    assert count(world) == 7
    assert world.services.imports.view(SYSTEM, 2)["status"] == "failed"


def test_a_small_file_of_blank_rows_cannot_hold_a_request(world: World, store):
    """Issue 14: what a request reads of a spreadsheet (the inline import, a harvest source's
    upload check) is held to the inline budget; cells count blank ones too."""
    from catalog.spreadsheet import Budget, Meter, import_file
    from harvesters.uploads import SpreadsheetUpload

    store.settings = store.settings.with_overrides(inline_max_cells=2000)
    data = csv_file([[""] * len(HEADER)] * 300 + [row("空行之后的信息资源")])
    with pytest.raises(InvalidInput) as exc:
        import_file(world.services.datasets, world.steward, data, "a.csv",
                    meter=Meter(Budget.inline(store.settings)))
    assert "2,000 cells" in exc.value.message.en
    with pytest.raises(InvalidInput) as exc:
        world.services.harvest.add_source(world.steward, {"type": "spreadsheet"},
                                          upload=SpreadsheetUpload(data, "a.csv"))
    assert "2,000 cells" in exc.value.message.en
    assert count(world) == 0 and world.services.harvest.list_sources(world.steward) == []
    job = start(world, data)                          # a job has the larger budget
    work(world)
    assert world.services.imports.view(world.steward, job["id"])["counts"]["created"] == 1


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_rows_total_is_estimated_while_reading(world: World, monkeypatch, kind: str):
    """Before the rows are counted, the total is estimated from how far through the file the
    reading is (a workbook's <dimension>, a CSV's bytes): within a fifth of the truth from
    early on; exact once known."""
    monkeypatch.setattr(importer, "PROGRESS_ROWS", 20)
    rows = titles(6000 if kind == "csv" else 120)
    if kind == "csv":
        data = csv_file(rows)
        assert len(data) > 2.5 * 256 * 1024          # blocks of the reader
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        workbook.active.append(HEADER)
        for values in rows:
            workbook.active.append(values)
        out = io.BytesIO()
        workbook.save(out)
        data = out.getvalue()
    steps: list[importer.Step] = []
    job = start(world, data, f"目录.{kind}")
    assert world.services.imports.claim() == job["id"]
    world.services.imports.execute(job["id"], listener=steps.append)
    checking = [s for s in steps if s.phase == "checking" and s.total]
    late = [s for s in checking if s.rows >= len(rows) // 2]
    assert late and all(abs(s.total - len(rows)) <= len(rows) / 5 for s in late), \
        [(s.rows, s.total) for s in late[:: max(1, len(late) // 10)]]
    assert [s.total for s in steps if s.phase == "storing"][-1] == len(rows)


@pytest.mark.parametrize("store", ["postgres"], indirect=True)  # SQLite has one writer
def test_other_writers_are_not_held_up_while_an_import_stores(world: World, small_batches):
    """PostgreSQL: while an all-or-none import stores its batches in one transaction, another
    department registers a dataset of the same classification at once (the import reserves its
    codes in short transactions and appends its audit entries at the end); the chain verifies.
    SQLite has one writer: there the import holds it while it stores (bench/README-sheets.md)."""
    import threading

    from tests.factories import record

    done: list[str] = []

    def register() -> None:
        view = world.services.datasets.register(world.steward_other,
                                                record(title="同时登记的信息资源"))
        done.append(view.resource_code)

    def meanwhile(step: importer.Step) -> None:
        if step.locked and step.rows == 10 and not done:
            writer = threading.Thread(target=register)
            writer.start()
            writer.join(8)
            assert not writer.is_alive(), "the other writer waited for the import"

    job = start(world, csv_file(titles(20)))
    assert world.services.imports.claim() == job["id"]
    world.services.imports.execute(job["id"], listener=meanwhile)
    assert job_row(world, job["id"]).status == "succeeded", job_row(world, job["id"]).error
    codes = [line["resource_code"] for line in world.services.imports.lines(
        world.steward, job["id"], "created")]
    assert len(done) == 1 and done[0] not in codes and len(set(codes)) == 20
    assert count(world) == 21
    with world.services.store.reading() as session:
        assert audit.verify(session).ok


def test_the_budgets_are_settings():
    from catalog.config import ConfigError, load_settings

    settings = load_settings({"MULU_IMPORT_MAX_ROWS": "150000", "MULU_IMPORT_MAX_SECONDS": "60",
                              "MULU_INLINE_SHEET_BYTES": "1048576"})
    assert (settings.import_max_rows, settings.import_max_seconds,
            settings.inline_sheet_bytes) == (150_000, 60, 1024 ** 2)
    defaults = load_settings({})
    assert defaults.import_max_rows >= 100_000 and defaults.import_max_cells >= 100_000 * 40
    for name, value in (("MULU_IMPORT_MAX_ROWS", "0"), ("MULU_IMPORT_MAX_CELLS", "many"),
                        ("MULU_INLINE_IMPORT_SECONDS", "-1")):
        with pytest.raises(ConfigError):
            load_settings({name: value})
