"""Catalog-spreadsheet import speed: ``import_file`` end to end (read, validate, store), all
rows or none, as ``mulu dataset import`` and ``POST /api/datasets/import`` run it.

    python -m bench.import_sheet [--rows 1000,5000] [--store sqlite|postgres] [--runs 3] [--json]
    python -m bench.import_sheet --job [--rows 100000] [--store sqlite|postgres]
                                 [--mode all|keep] [--format csv|xlsx]

``--job`` runs each file through the import job path instead, as ``POST /api/imports`` and a
worker do: the file is kept (the cheap check), a job queued, claimed and run, in a fresh
interpreter each (so **peak MB** is that run's own peak resident memory, ``VmHWM``, and
**+MB** its growth over the interpreter before the job ran). While the job runs, two threads
of the same process act as other users (the embedded ``mulu serve`` runs jobs in a thread of
the web process): a reader listing datasets every 100 ms and a writer registering one dataset
every 500 ms; their latencies (p50 / max) say whether the import blocks them. The job's own
progress (phases, rows/s, the share done and the time left it showed) is printed as it runs.

The file is the CSV template (``catalog.spreadsheet``: the template's Chinese headers, labels
for controlled values) filled with the real catalog entries of ``bench/corpus.py`` as
``bench.harvest.records`` makes them (titles unique), each with three data items; every row
belongs to the importing steward's department (the entry's portal department stays its
publisher name). Each run imports into a fresh store (a new SQLite
file, or a new schema of PostgreSQL database ``test`` on 127.0.0.1:5432) and checks that every
row was stored, with its revision, audit entry and outbox event, and that the audit chain
verifies. ``parse`` is the reading alone (bytes to records) and ``+ validate`` that and the
schema and domain rules of every row (``DatasetService.validate``): what any way of storing
the rows costs on top of is the difference to the import's time.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.harvest import fresh_store, records
from catalog import audit, spreadsheet
from catalog.actors import SYSTEM, Actor
from catalog.db import AuditEntry, Dataset, DatasetRevision, OutboxEvent
from catalog.rules import title_key
from catalog.services import Services
from catalog.store import Store
from vocab.fields import FIELDS, SHARE_METHODS_BY_FORM

DEPARTMENT = "11340000MB0000001X"
DATA_ITEMS = [{"name": "统一社会信用代码", "data_type": "string"},
              {"name": "名称", "data_type": "string"}, {"name": "登记日期", "data_type": "date"}]


def sheet_rows(rows: int) -> tuple[list[str], list[list[Any]]]:
    """The template's header and ``rows`` real entries (a title repeated at its source gets a
    number: an all-or-none import refuses a file that repeats a title)."""
    header = [spreadsheet.header_label(f) for f in FIELDS]
    out = []
    seen: dict[str, int] = {}
    for record in records(rows):
        record = {k: v for k, v in record.items() if k not in ("id", "publisher_code")}
        if record.get("modified") and record["modified"] < record.get("issued", ""):
            record["modified"] = record["issued"]   # a few portal entries say otherwise
        key = title_key(record["title"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            record["title"] = f"{record['title']}（{seen[key]}）"
        method = sorted(SHARE_METHODS_BY_FORM[record["resource_form"]])[0]
        out.append(spreadsheet.render_row({**record, "data_items": DATA_ITEMS,
                                           "share_method": method}))
    return header, out


def sheet(rows: int) -> bytes:
    """The template as CSV with ``rows`` real entries filled in."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    header, body = sheet_rows(rows)
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue().encode("utf-8-sig")


def steward(services: Services) -> Actor:
    """One department and its steward (a cheap password hash: users are not what is timed)."""
    from argon2 import PasswordHasher

    from catalog.credit_code import make_credit_code
    from catalog.passwords import use_hasher

    use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    code = make_credit_code(DEPARTMENT[:17])
    services.departments.create(SYSTEM, {"code": code, "name": "安徽省数据资源管理局",
                                         "level": "province"})
    services.accounts.create_user(SYSTEM, "steward", "steward-bench-password", "steward",
                                  department_code=code)
    return services.accounts.authenticate("steward", "steward-bench-password")


def counts(store: Store) -> dict[str, Any]:
    with store.reading() as session:
        found = {name: session.scalar(select(func.count()).select_from(model)) or 0
                 for name, model in (("datasets", Dataset), ("revisions", DatasetRevision),
                                     ("audit", AuditEntry), ("outbox", OutboxEvent))}
        found["audit_ok"] = audit.verify(session).ok
    return found


def import_once(data: bytes, rows: int, store_kind: str, workdir: Path) -> float:
    with fresh_store(store_kind, workdir) as store:
        services = Services.build(store)
        actor = steward(services)
        before = counts(store)
        started = time.perf_counter()
        result = spreadsheet.import_file(services.datasets, actor, data, "bench.csv")
        seconds = time.perf_counter() - started
        after = counts(store)
        stored = {k: after[k] - before[k] for k in ("datasets", "revisions", "audit", "outbox")}
        if result.created != rows or set(stored.values()) != {rows} or not after["audit_ok"]:
            raise SystemExit(f"import incomplete: created {result.created} of {rows}, {stored}, "
                             f"audit verifies: {after['audit_ok']}")
        return seconds


def floors(data: bytes, runs: int, workdir: Path) -> tuple[float, float]:
    """Median seconds of parsing the file, and of parsing it and validating every row."""
    parsing, checking = [], []
    with fresh_store("sqlite", workdir) as store:
        services = Services.build(store)
        actor = steward(services)
        for _ in range(runs):
            started = time.perf_counter()
            sheet_ = spreadsheet.parse(data, "bench.csv")
            parsing.append(time.perf_counter() - started)
            for _row, record in sheet_.records:
                services.datasets.validate(record, actor)
            checking.append(time.perf_counter() - started)
    return statistics.median(parsing), statistics.median(checking)


# -- the job path -------------------------------------------------------------------------------

def rss_mb() -> float:
    for text in Path("/proc/self/status").read_text().splitlines():
        if text.startswith("VmHWM:"):
            return int(text.split()[1]) / 1024
    return 0.0


class OtherUsers:
    """A reader and a writer acting while the job runs, timing each of their calls."""

    def __init__(self, services: Services, actor: Actor):
        import threading

        self.services, self.actor = services, actor
        self.reads: list[float] = []
        self.writes: list[float] = []
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._write, daemon=True)]

    def __enter__(self) -> OtherUsers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _read(self) -> None:
        while not self._stop.wait(0.1):
            started = time.perf_counter()
            self.services.datasets.list(SYSTEM, page_size=20)
            self.reads.append(time.perf_counter() - started)

    def _write(self) -> None:
        from tests.factories import record

        n = 0
        while not self._stop.wait(0.5):
            n += 1
            started = time.perf_counter()
            try:
                self.services.datasets.register(self.actor, record(title=f"同时登记的信息资源{n}"))
            except Exception as exc:  # noqa: BLE001 (a refused write is a figure too)
                self.failed.append(f"{type(exc).__name__}: {exc}"[:120])
            self.writes.append(time.perf_counter() - started)


def _latency(values: list[float]) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    return f"{ordered[len(ordered) // 2] * 1000:,.0f} / {ordered[-1] * 1000:,.0f} ms"


def job_child(path: Path, store_kind: str, mode: str) -> dict[str, Any]:
    """One import job in this interpreter: start (keep the file), claim, run, check."""
    from catalog.imports.progress import Printer

    with tempfile.TemporaryDirectory(prefix="mulu-bench-job-") as workdir, \
            fresh_store(store_kind, Path(workdir)) as store:
        services = Services.build(store)
        actor = steward(services)
        with path.open("rb") as handle:
            job = services.imports.start(actor, handle, path.name, mode=mode)
        before_mb = rss_mb()
        assert services.imports.claim() == job["id"]
        printer = Printer(sys.stderr, interval=10.0)
        phases: dict[str, list[float]] = {}

        def listen(step: Any) -> None:
            phases.setdefault(step.phase, []).append(time.perf_counter())
            printer(step)

        started = time.perf_counter()
        with OtherUsers(services, actor) as others:
            refusal = services.imports.execute(job["id"], listener=listen)
        seconds = time.perf_counter() - started
        ended = time.perf_counter()
        checked = (phases["storing"][0] - phases["checking"][0]) if "checking" in phases else 0.0
        stored = ended - phases["storing"][0] if "storing" in phases else 0.0
        view = services.imports.view(actor, job["id"])
        if refusal is not None or view["status"] != "succeeded":
            raise SystemExit(f"job {view['status']}: {view['error']} {view['problems'][:3]}")
        after = counts(store)
        return {"rows": view["counts"]["created"], "flagged": view["counts"].get("flagged", 0),
                "seconds": seconds, "rows_per_s": view["counts"]["created"] / seconds,
                "checking_s": checked, "storing_s": stored,
                "peak_mb": rss_mb(), "grew_mb": rss_mb() - before_mb,
                "audit_ok": after["audit_ok"], "datasets": after["datasets"],
                "file_mb": path.stat().st_size / 1024 / 1024,
                "reads": _latency(others.reads), "writes": _latency(others.writes),
                "writes_failed": len(others.failed), "write_errors": others.failed[:3]}


def write_file(rows: int, kind: str, workdir: Path) -> Path:
    header, body = sheet_rows(rows)
    path = workdir / f"catalog-{rows}.{kind}"
    if kind == "csv":
        path.write_bytes(sheet(rows))
        return path
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    main_sheet = workbook.create_sheet("信息资源目录")
    main_sheet.append(header)
    for values in body:
        main_sheet.append(values)
    workbook.save(path)
    return path


def run_jobs(sizes: list[int], store_kind: str, mode: str, kind: str) -> int:
    import subprocess

    lines = [f"store: {store_kind}, mode: {mode}, file: {kind}",
             f"{'rows':>8} {'file MB':>8} {'seconds':>8} {'rows/s':>7} {'peak MB':>8} "
             f"{'+MB':>6}  reads p50/max   writes p50/max   writes refused"]
    with tempfile.TemporaryDirectory(prefix="mulu-bench-import-") as workdir:
        for n in sizes:
            path = write_file(n, kind, Path(workdir))
            out = subprocess.run([sys.executable, "-m", "bench.import_sheet", "--job-child",
                                  str(path), "--store", store_kind, "--mode", mode],
                                 check=True, stdout=subprocess.PIPE, text=True)
            found = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps(found, ensure_ascii=False))
            lines.append(f"{found['rows']:>8,} {found['file_mb']:>8.1f} {found['seconds']:>8.1f} "
                         f"{found['rows_per_s']:>7,.0f} {found['peak_mb']:>8.1f} "
                         f"{found['grew_mb']:>6.1f}  {found['reads']:<15}  {found['writes']:<15}  "
                         f"{found['writes_failed']}")
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1000,5000", help="comma-separated row counts")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=3, help="runs per size; the median is shown")
    parser.add_argument("--json", action="store_true", help="also print one JSON line a size")
    parser.add_argument("--job", action="store_true", help="through the import job path")
    parser.add_argument("--mode", choices=("all", "keep"), default="all")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--job-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job_child:
        print(json.dumps(job_child(Path(args.job_child), args.store, args.mode)))
        return 0
    sizes = [int(n) for n in args.rows.split(",") if n.strip()]
    if any(n < 1 for n in sizes):
        parser.error("row counts must be at least 1")
    if args.job:
        return run_jobs(sizes, args.store, args.mode, args.format)
    header = f"{'rows':>6} {'seconds':>8} {'rows/s':>8} {'parse s':>8} {'+ validate s':>13}  runs"
    lines = [header, "-" * len(header)]
    with tempfile.TemporaryDirectory(prefix="mulu-bench-import-") as workdir:
        for n in sizes:
            data = sheet(n)
            times = []
            for _ in range(args.runs):
                times.append(import_once(data, n, args.store, Path(workdir)))
                print(f"  {n} rows: {times[-1]:.2f} s", file=sys.stderr)
            seconds = statistics.median(times)
            parsing, checking = floors(data, args.runs, Path(workdir))
            lines.append(f"{n:>6,} {seconds:>8.2f} {n / seconds:>8,.0f} {parsing:>8.2f} "
                         f"{checking:>13.2f}  " + ", ".join(f"{t:.2f}" for t in times))
            if args.json:
                print(json.dumps({"rows": n, "store": args.store, "seconds": times,
                                  "median": seconds, "parse": parsing, "validate": checking}))
    print(f"store: {args.store}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
