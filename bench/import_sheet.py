"""Catalog-spreadsheet import speed: ``import_file`` end to end (read, validate, store), all
rows or none, as ``mulu dataset import`` and ``POST /api/datasets/import`` run it.

    python -m bench.import_sheet [--rows 1000,5000] [--store sqlite|postgres] [--runs 3] [--json]

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
from catalog.services import Services
from catalog.store import Store
from vocab.fields import FIELDS, SHARE_METHODS_BY_FORM

DEPARTMENT = "11340000MB0000001X"
DATA_ITEMS = [{"name": "统一社会信用代码", "data_type": "string"},
              {"name": "名称", "data_type": "string"}, {"name": "登记日期", "data_type": "date"}]


def sheet(rows: int) -> bytes:
    """The template as CSV with ``rows`` real entries filled in."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([spreadsheet.header_label(f) for f in FIELDS])
    for record in records(rows):
        record = {k: v for k, v in record.items() if k not in ("id", "publisher_code")}
        if record.get("modified") and record["modified"] < record.get("issued", ""):
            record["modified"] = record["issued"]   # a few portal entries say otherwise
        method = sorted(SHARE_METHODS_BY_FORM[record["resource_form"]])[0]
        writer.writerow(spreadsheet.render_row({**record, "data_items": DATA_ITEMS,
                                                "share_method": method}))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1000,5000", help="comma-separated row counts")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=3, help="runs per size; the median is shown")
    parser.add_argument("--json", action="store_true", help="also print one JSON line a size")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.rows.split(",") if n.strip()]
    if any(n < 1 for n in sizes):
        parser.error("row counts must be at least 1")
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
