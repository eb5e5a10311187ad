"""Spreadsheet reading speed and memory: ``catalog.spreadsheet.read_sheet``, streamed.

    python -m bench.sheets [--corpus ../shared/corpus] [--rows 100000] [--skip-xlsx]

1. **The real rows**: the 13 Chinese portal exports of ``<corpus>/cn-opendata-*`` (25,239 rows),
   each written as it is — its own keys as the header, every row unchanged, repeated titles
   left repeated — as CSV (UTF-8) and as .xlsx, and read with the harvest source's policy
   (``LENIENT``). Printed with the rows, the cells handed on as unread and the titles that
   occur more than once in their file (each such row is a record of its own, ``title:…#n``).
2. **A 100,000-row catalog**: the import template (``bench.import_sheet.sheet``: the real
   entries of ``bench/corpus.py``, scaled, titles unique as the import requires) as CSV and as
   .xlsx, read with both policies.

Each reading runs in a fresh interpreter (``--measure``) that reports rows, seconds and its peak
resident memory (``ru_maxrss``) before and after reading: the growth is what reading cost, the
file itself is on disk. Nothing is kept of the rows but their count.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from catalog.rules import title_key
from catalog.spreadsheet import LENIENT, STRICT, Policy, read_sheet

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def exports(corpus: Path) -> dict[str, list[dict[str, Any]]]:
    """Every portal export: a JSON list of row objects (the mapping files are left out)."""
    found = {}
    for path in sorted(corpus.glob("cn-opendata-*/*.json")):
        rows = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            found[path.stem] = rows
    return found


def header_of(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()   # as Excel writes one: shared strings, the <dimension> first
    sheet = workbook.active
    sheet.title = "目录"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def rss_mb() -> float:
    """This interpreter's peak resident memory (``VmHWM``: unlike ``ru_maxrss`` it does not
    carry the parent's peak across exec)."""
    for text in Path("/proc/self/status").read_text().splitlines():
        if text.startswith("VmHWM:"):
            return int(text.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path, policy: Policy) -> dict[str, Any]:
    """Read one file (in this interpreter); rows, unread cells, repeated titles, time, memory."""
    import openpyxl  # noqa: F401 (imported before the baseline: not what reading costs)

    from catalog.spreadsheet.rows import SheetRow  # noqa: F401
    from vocab.concepts import scheme

    for name in ("update-cycle", "open-type", "classification", "data-type"):
        scheme(name)
    before = rss_mb()
    started = time.perf_counter()
    rows = unread = 0
    titles: Counter[str] = Counter()
    with path.open("rb") as stream, read_sheet(stream, path.name, policy=policy) as sheet:
        for row in sheet.rows:
            rows += 1
            unread += len(row.unread)
            if not row.code:
                titles[title_key(row.title)] += 1
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "unread": unread,
            "repeated_titles": sum(n - 1 for n in titles.values() if n > 1),
            "rss_before_mb": before, "rss_peak_mb": rss_mb()}


def run_measure(path: Path, policy: Policy) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.sheets", "--measure", str(path),
                          policy.value], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def line(label: str, found: dict[str, Any]) -> str:
    growth = found["rss_peak_mb"] - found["rss_before_mb"]
    return (f"{label:<34} {found['rows']:>8,} {found['seconds']:>8.2f} "
            f"{found['rows'] / found['seconds']:>9,.0f} {growth:>9.1f} {found['rss_peak_mb']:>9.1f}"
            f" {found.get('unread', 0):>8,} {found.get('repeated_titles', 0):>7,}")


HEADER = (f"{'file':<34} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'+RSS MB':>9} {'peak MB':>9}"
          f" {'unread':>8} {'repeats':>7}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--rows", type=int, default=100_000, help="the generated catalog's rows")
    parser.add_argument("--skip-xlsx", action="store_true")
    parser.add_argument("--measure", nargs=2, metavar=("FILE", "POLICY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), Policy(args.measure[1]))))
        return 0
    kinds = ("csv",) if args.skip_xlsx else ("csv", "xlsx")
    writers = {"csv": write_csv, "xlsx": write_xlsx}
    print(HEADER)
    print("-" * len(HEADER))
    with tempfile.TemporaryDirectory(prefix="mulu-bench-sheets-") as workdir:
        work = Path(workdir)
        for kind in kinds:
            total: dict[str, Any] = {"rows": 0, "seconds": 0.0, "unread": 0,
                                     "repeated_titles": 0, "rss_before_mb": 0.0, "rss_peak_mb": 0.0}
            for name, rows in exports(args.corpus).items():
                header = header_of(rows)
                path = writers[kind](work / f"{name}.{kind}", header,
                                     [[str(r[h]) if h in r else "" for h in header] for r in rows])
                found = run_measure(path, LENIENT)
                print(line(f"{name}.{kind} (lenient)", found), flush=True)
                for key in ("rows", "seconds", "unread", "repeated_titles"):
                    total[key] += found[key]
                if found["rss_peak_mb"] - found["rss_before_mb"] > \
                        total["rss_peak_mb"] - total["rss_before_mb"]:
                    total["rss_before_mb"], total["rss_peak_mb"] = \
                        found["rss_before_mb"], found["rss_peak_mb"]
            print(line(f"all real rows, {kind} (lenient)", total), flush=True)
        from bench.import_sheet import sheet

        data = sheet(args.rows)
        path = work / f"catalog-{args.rows}.csv"
        path.write_bytes(data)
        print(f"# {args.rows:,}-row catalog: {path.stat().st_size / 1024 / 1024:.1f} MB as CSV",
              flush=True)
        files = {"csv": path}
        if "xlsx" in kinds:
            with path.open(encoding="utf-8-sig", newline="") as source:
                header, *cells = list(csv.reader(source))
            files["xlsx"] = write_xlsx(work / f"catalog-{args.rows}.xlsx", header, cells)
            del cells
            print(f"# as .xlsx: {files['xlsx'].stat().st_size / 1024 / 1024:.1f} MB", flush=True)
        for kind, file in files.items():
            for policy in (STRICT, LENIENT):
                print(line(f"catalog-{args.rows}.{kind} ({policy.value})",
                           run_measure(file, policy)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
