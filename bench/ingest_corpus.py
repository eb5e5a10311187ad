"""Lossless ingest of the real corpus (issue 9 §4): how many rows are kept, how fast, how much memory.

    python -m bench.ingest_corpus [--paths harvest,import] [--stores sqlite,postgres]
                                  [--catalogs real,big] [--rows N] [--big-rows 100000]
                                  [--format csv|xlsx] [--corpus DIR] [--json FILE]
                                  [--profile] [--smoke]

Inputs, written to a temp dir first (in a subprocess of their own):

- **real**: the 13 Chinese portal exports of ``<corpus>/cn-opendata-*`` (25,239 rows), each
  written as it is, one file per export — its own keys as the header, every cell's text
  unchanged, repeated titles left repeated (``bench.sheets.exports``, as the reader tests do).
- **big**: one 100,000-row catalog file built from the same real rows: every export's cells that
  the spreadsheet reader reads (``map_lenient``: of two headers for one field the better-ranked,
  as a harvest reads it) under the template's header of their field, in the field table's order;
  the cells the reader ignores (industry, data volume) are left out. The 25,239 rows
  come as they are, then again with the provider prefixed by another province (copy 1
  ``江苏省``, copy 2 ``浙江省``, copy 3 ``山东省`` — e.g. ``江苏省福州市城乡建设局``), so that
  each copy is another publisher's records, until ``--big-rows`` rows (copy 3 is cut short).
  Titles and every other cell are unchanged.

Paths, each on each store (a fresh SQLite file, or a fresh schema of PostgreSQL database
``test`` on 127.0.0.1:5432, ``MULU_BENCH_POSTGRES_URL``, dropped afterwards):

- **harvest**: every file a spreadsheet harvest source of the steward's department (registered,
  approved, then ``HarvestService.run``, as ``mulu harvest run`` does), one source per file;
- **import**: every file through ``catalog.spreadsheet.import_file(..., keep=True)`` (keep and
  flag, as ``mulu dataset import --keep``), by the same steward.

Each case runs in a fresh interpreter; its peak memory is the peak resident set size of that
process (``ru_maxrss`` of the child, read with ``os.wait4`` — what ``getrusage(RUSAGE_CHILDREN)``
gives for a single child). The process's own ``VmHWM`` after setting up (imports, store, users)
is shown too: the difference is what ingesting cost. Rows/s counts the rows in over the wall time
of the ingest calls alone (not the set-up, not the counting afterwards). What was stored is
counted in the store afterwards: datasets, those 待完善 (state ``incomplete``) grouped by
problem (``kind field`` of the current revision's problems, as job reports group them), and the
refused rows with their reasons.

``--smoke``: 300 real rows (spread over the 13 exports) and a 1,000-row big catalog, SQLite
only — a quick check that everything runs (``tests/bench/test_ingest_corpus.py`` runs it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.harvest import GOVERNANCE, department_code, fresh_store
from bench.sheets import CORPUS, exports, header_of, rss_mb, write_csv, write_xlsx

PATHS = ("harvest", "import")
STORES = ("sqlite", "postgres")
CATALOGS = ("real", "big")
REGIONS = ("江苏省", "浙江省", "山东省")   # the provider's prefix of copies 1, 2, 3 of the big one
BIG_ROWS = 100_000
SMOKE_ROWS, SMOKE_BIG_ROWS = 300, 1_000   # the big one: under 4 copies
STEWARD = department_code("安徽省大数据中心")
KEEP_TARGET = 99.9   # issue 9, "Done means": ≥ 99.9 % of the real rows kept
# a harvest source reads a local file of at most Limits.max_bytes (20 MB by default); the big
# catalog is given the deployment's spreadsheet limit instead (see the README)
SOURCE_LIMITS = {"job_seconds": 4 * 3600.0}


# ── inputs ──────────────────────────────────────────────────────────────────

@dataclass
class Table:
    name: str
    header: list[str]
    rows: list[list[str]]


def real_tables(corpus: Path, limit: int | None = None) -> list[Table]:
    """The 13 exports as they are: each its own header and its rows' cells as text; with
    ``limit``, that many rows in all, shared out by the exports' sizes (at least one each)."""
    found = exports(corpus)
    total = sum(len(rows) for rows in found.values())
    tables = []
    for name, rows in found.items():
        if limit is not None:
            rows = rows[:max(1, math.floor(limit * len(rows) / total))]
        header = header_of(rows)
        tables.append(Table(name, header, [[str(r[h]) if h in r else "" for h in header]
                                           for r in rows]))
    return tables


def big_table(tables: list[Table], size: int) -> Table:
    """One catalog of ``size`` rows: the real rows, then copies under other provinces'
    providers (see the module's docstring)."""
    from catalog.spreadsheet.headers import header_columns, main_sheet_columns, map_lenient

    columns, rank = header_columns()
    read = [map_lenient(t.header, columns, rank).mapping for t in tables]  # index -> column
    headers = {name: names[0] for name, names in main_sheet_columns()}
    names = [name for name in headers if any(name in m.values() for m in read)]
    header = [headers[n] for n in names]
    place = {n: i for i, n in enumerate(names)}
    publisher = place.get("publisher_name")
    rows: list[list[str]] = []
    copy = 0
    while len(rows) < size:
        for table, mapping in zip(tables, read, strict=True):
            for cells in table.rows:
                if len(rows) >= size:
                    break
                out = [""] * len(names)
                for index, name in mapping.items():
                    out[place[name]] = cells[index] if index < len(cells) else ""
                if copy and publisher is not None:
                    out[publisher] = REGIONS[(copy - 1) % len(REGIONS)] + out[publisher]
                rows.append(out)
        copy += 1
    return Table(f"catalog-{size}", header, rows)


def write(table: Table, directory: Path, fmt: str) -> Path:
    path = directory / f"{table.name}.{fmt}"
    (write_xlsx if fmt == "xlsx" else write_csv)(path, table.header, table.rows)
    return path


def prepare(corpus: Path, directory: Path, *, rows: int | None, big_rows: int, fmt: str,
            catalogs: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Write the input files; the manifest says, per catalog, each file and its rows."""
    tables = real_tables(corpus, rows)
    manifest: dict[str, list[dict[str, Any]]] = {}
    if "real" in catalogs:
        (directory / "real").mkdir(exist_ok=True)
        manifest["real"] = [{"path": str(write(t, directory / "real", fmt)), "rows": len(t.rows)}
                            for t in tables]
    if "big" in catalogs:
        big = big_table(tables, big_rows)
        manifest["big"] = [{"path": str(write(big, directory, fmt)), "rows": len(big.rows)}]
    return manifest


# ── one case, in its own interpreter ───────────────────────────────────────

@dataclass
class Outcome:
    path: str
    store: str
    catalog: str
    files: int
    rows_in: int
    stored: int = 0
    kept_incomplete: int = 0
    by_problem: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    refused_reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    setup_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    file_mb: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.rows_in / self.seconds if self.seconds else 0.0

    @property
    def kept_share(self) -> float:
        return 100.0 * self.stored / self.rows_in if self.rows_in else 0.0


def bench_world(services: Any) -> tuple[Any, Any, Any]:
    """The steward's department (it registers the sources and imports the files), the
    provincial data bureau (its reviewer approves them) and an administrator; cheap password
    hashes (users are not timed)."""
    from argon2 import PasswordHasher

    from catalog.actors import SYSTEM
    from catalog.passwords import use_hasher

    use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    for code, name in ((GOVERNANCE, "安徽省数据资源管理局"), (STEWARD, "安徽省大数据中心")):
        services.departments.create(SYSTEM, {"code": code, "name": name, "level": "province"})
    actors = []
    users: tuple[tuple[str, str, str | None, str], ...] = (
        ("admin", "admin", None, "confidential"), ("steward", "steward", STEWARD, "internal"),
        ("reviewer", "reviewer", GOVERNANCE, "internal"))
    for user, role, department, clearance in users:
        services.accounts.create_user(SYSTEM, user, f"{user}-bench-password", role,
                                      department_code=department, clearance=clearance)
        actors.append(services.accounts.authenticate(user, f"{user}-bench-password"))
    return actors[0], actors[1], actors[2]


def harvest_files(services: Any, actors: tuple[Any, Any, Any], files: list[Path],
                  max_bytes: int) -> tuple[float, Counter[str], list[str]]:
    """Each file a spreadsheet source, run once; seconds of the runs, refusals, notes."""
    admin, steward, reviewer = actors
    refused: Counter[str] = Counter()
    notes: list[str] = []
    seconds = 0.0
    flagged = 0
    for path in files:
        view = services.harvest.add_source(steward, {
            "type": "spreadsheet", "url": str(path), "name": path.stem,
            "config": {"limits": {**SOURCE_LIMITS, "max_bytes": max_bytes}}}, allow_file=True)
        services.harvest.review_source(reviewer, view.id, "approve", "bench")
        started = time.perf_counter()
        report = services.harvest.run(admin, view.id)
        seconds += time.perf_counter() - started
        flagged += report["kept_with_problems"]["count"]
        if report["status"] != "succeeded" or report["error"]:
            notes.append(f"{path.name}: job {report['status']} {report['error'] or ''}".strip())
        for error_type, group in report["errors"].items():
            for example in group["examples"][:1]:
                refused[f"{error_type}: {example['reason']}"[:160]] += group["count"]
    notes.append(f"job reports: {flagged:,} kept with problems")
    return seconds, refused, notes


def import_files(services: Any, steward: Any, files: list[Path]) -> tuple[float, Counter[str],
                                                                           list[str]]:
    """Each file through the keep-and-flag import; seconds of the imports, refusals, notes."""
    from catalog.errors import InvalidInput
    from catalog.spreadsheet import import_file

    refused: Counter[str] = Counter()
    notes: list[str] = []
    seconds = 0.0
    for path in files:
        started = time.perf_counter()
        try:
            with path.open("rb") as stream:
                result = import_file(services.datasets, steward, stream, path.name, keep=True)
        except InvalidInput as exc:   # the whole file refused: every row of it
            seconds += time.perf_counter() - started
            notes.append(f"{path.name}: refused whole: {exc.message.en} {exc.errors}"[:300])
            continue
        seconds += time.perf_counter() - started
        for problem in result.refused:
            refused[f"{problem.field}: {problem.message.en}"[:160]] += 1
    return seconds, refused, notes


def stored_counts(store: Any) -> tuple[int, int, Counter[str]]:
    """Datasets in the store, those 待完善, and their problems (``kind field``) counted once a
    record, from each one's current revision."""
    from sqlalchemy import func, select

    from catalog.db import Dataset, DatasetRevision

    problems: Counter[str] = Counter()
    with store.reading() as session:
        stored = session.scalar(select(func.count()).select_from(Dataset)) or 0
        incomplete = session.scalar(select(func.count()).select_from(Dataset)
                                    .where(Dataset.state == "incomplete")) or 0
        found = session.execute(
            select(DatasetRevision.problems).join(Dataset, (Dataset.id == DatasetRevision.dataset_id)
                                                  & (Dataset.current_revision
                                                     == DatasetRevision.number))
            .where(Dataset.problem_count > 0).execution_options(yield_per=2000))
        for (listed,) in found:
            problems.update({f"{p['kind']} {str(p['field']).split('.', 1)[0]}" for p in listed})
    return stored, incomplete, problems


def run_case(path_kind: str, store_kind: str, catalog: str, manifest: list[dict[str, Any]],
             workdir: Path, profile: Path | None) -> Outcome:
    from catalog.services import Services

    files = [Path(f["path"]) for f in manifest]
    outcome = Outcome(path_kind, store_kind, catalog, len(files), sum(f["rows"] for f in manifest),
                      file_mb=sum(p.stat().st_size for p in files) / 1024 / 1024)
    with fresh_store(store_kind, workdir) as store:
        services = Services.build(store)
        actors = bench_world(services)
        outcome.setup_rss_mb = rss_mb()
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        if path_kind == "harvest":
            seconds, refused, notes = harvest_files(services, actors, files,
                                                    store.settings.max_sheet_bytes)
        else:
            seconds, refused, notes = import_files(services, actors[1], files)
        if profiler and profile:
            profiler.disable()
            profiler.dump_stats(profile)
        outcome.seconds, outcome.notes = seconds, notes
        outcome.refused_reasons = dict(refused.most_common())
        outcome.stored, outcome.kept_incomplete, problems = stored_counts(store)
        outcome.by_problem = dict(problems.most_common())
        outcome.refused = outcome.rows_in - outcome.stored
        if outcome.refused != sum(refused.values()):
            notes.append(f"rows in − stored = {outcome.refused:,}; refusals reported: "
                         f"{sum(refused.values()):,}")
    outcome.peak_rss_mb = rss_mb()
    return outcome


def spawn(args: list[str]) -> tuple[str, float]:
    """Run ``python -m bench.ingest_corpus ARGS`` in a fresh interpreter; its stdout, and its
    peak resident memory in MB (``ru_maxrss`` of that child, from ``os.wait4``)."""
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen([sys.executable, "-m", "bench.ingest_corpus", *args],
                                   stdout=out, cwd=Path(__file__).resolve().parents[1])
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if process.returncode:
        raise SystemExit(f"bench case {args} failed (exit {process.returncode})")
    return text, usage.ru_maxrss / 1024


# ── the report ──────────────────────────────────────────────────────────────

HEADER = (f"{'path':<8} {'store':<8} {'catalog':<7} {'rows in':>8} {'stored':>8} {'kept %':>7} "
          f"{'待完善':>7} {'refused':>7} {'seconds':>8} {'rows/s':>7} {'set-up MB':>9} "
          f"{'peak MB':>8}")


def line(o: Outcome) -> str:
    return (f"{o.path:<8} {o.store:<8} {o.catalog:<7} {o.rows_in:>8,} {o.stored:>8,} "
            f"{o.kept_share:>7.2f} {o.kept_incomplete:>8,} {o.refused:>7,} {o.seconds:>8.1f} "
            f"{o.rate:>7,.0f} {o.setup_rss_mb:>9.0f} {o.peak_rss_mb:>8.0f}")


def details(o: Outcome) -> Iterator[str]:
    yield (f"{o.path} · {o.store} · {o.catalog}: kept {o.stored:,} of {o.rows_in:,} rows "
           f"({o.kept_share:.2f} %, target ≥ {KEEP_TARGET} %: "
           f"{'met' if o.kept_share >= KEEP_TARGET else 'NOT met'}); "
           f"{o.kept_incomplete:,} of them 待完善; refused {o.refused:,}; {o.files} file(s), "
           f"{o.file_mb:.1f} MB")
    for problem, count in o.by_problem.items():
        yield f"    待完善 · {problem}: {count:,}"
    for reason, count in o.refused_reasons.items():
        yield f"    refused · {reason}: {count:,}"
    for note in o.notes:
        yield f"    note · {note}"


def print_profile(path: Path, top: int = 25) -> None:
    text = io.StringIO()
    pstats.Stats(str(path), stream=text).sort_stats("cumulative").print_stats(top)
    print(text.getvalue(), file=sys.stderr)
    text = io.StringIO()
    pstats.Stats(str(path), stream=text).sort_stats("tottime").print_stats(top)
    print(text.getvalue(), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", default=",".join(PATHS), help=f"of {', '.join(PATHS)}")
    parser.add_argument("--stores", default=",".join(STORES), help=f"of {', '.join(STORES)}")
    parser.add_argument("--catalogs", default=",".join(CATALOGS),
                        help="real (the 13 exports, one file each), big (one file)")
    parser.add_argument("--rows", type=int, help="real rows to use, shared out over the exports "
                        "(default: all 25,239)")
    parser.add_argument("--big-rows", type=int, default=BIG_ROWS, help="rows of the big catalog")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="the directory holding cn-opendata-*/")
    parser.add_argument("--json", type=Path, help="append one JSON line a case to this file")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile each case's ingest; print the top entries to stderr")
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE_ROWS} real rows, a {SMOKE_BIG_ROWS:,}-row big catalog, "
                        "SQLite only")
    parser.add_argument("--case", nargs=6, help=argparse.SUPPRESS,
                        metavar=("PATH", "STORE", "CATALOG", "MANIFEST", "WORKDIR", "PROFILE"))
    parser.add_argument("--prepare", nargs=1, help=argparse.SUPPRESS, metavar="WORKDIR")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rows, args.big_rows, args.stores = SMOKE_ROWS, SMOKE_BIG_ROWS, "sqlite"
    paths, stores, catalogs = (_choices(parser, name, getattr(args, name), known) for name, known
                               in (("paths", PATHS), ("stores", STORES), ("catalogs", CATALOGS)))
    if args.case:   # the child: one case, its outcome as JSON on stdout
        path_kind, store_kind, catalog, manifest, workdir, profile = args.case
        outcome = run_case(path_kind, store_kind, catalog, json.loads(Path(manifest).read_text()),
                           Path(workdir), Path(profile) if profile != "-" else None)
        print(json.dumps(asdict(outcome), ensure_ascii=False))
        return 0
    if args.prepare:
        manifest = prepare(args.corpus, Path(args.prepare[0]), rows=args.rows,
                           big_rows=args.big_rows, fmt=args.format, catalogs=catalogs)
        print(json.dumps(manifest))
        return 0
    if args.rows is not None and args.rows < 13 or args.big_rows < 1:
        parser.error("--rows must be at least 13 (one a file), --big-rows at least 1")
    if not any(args.corpus.glob("cn-opendata-*/*.json")):
        parser.error(f"--corpus: no cn-opendata-*/*.json under {args.corpus}")
    return _run_all(args, paths, stores, catalogs)


def _choices(parser: argparse.ArgumentParser, name: str, given: str,
             known: tuple[str, ...]) -> list[str]:
    chosen = [c.strip() for c in given.split(",") if c.strip()]
    if not chosen or set(chosen) - set(known):
        parser.error(f"--{name}: choose from {', '.join(known)}")
    return chosen


def _run_all(args: argparse.Namespace, paths: list[str], stores: list[str],
             catalogs: list[str]) -> int:
    common = ["--corpus", str(args.corpus), "--format", args.format,
              "--big-rows", str(args.big_rows), "--catalogs", ",".join(catalogs)]
    if args.rows is not None:
        common += ["--rows", str(args.rows)]
    outcomes = []
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')} · load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} · {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="mulu-bench-ingest-") as workdir:
        work = Path(workdir)
        started = time.perf_counter()
        text, _ = spawn(["--prepare", workdir, *common])
        manifest = json.loads(text)
        print(f"# inputs written in {time.perf_counter() - started:.1f} s: " + "; ".join(
            f"{name}: {len(files)} {args.format} file(s), {sum(f['rows'] for f in files):,} rows, "
            f"{sum(Path(f['path']).stat().st_size for f in files) / 1024 / 1024:.1f} MB"
            for name, files in manifest.items()), flush=True)
        for catalog in catalogs:
            (work / f"{catalog}.json").write_text(json.dumps(manifest[catalog]))
            for store in stores:
                for path_kind in paths:
                    profile = work / f"{path_kind}-{store}-{catalog}.prof" if args.profile else None
                    print(f"# {path_kind} · {store} · {catalog} …", file=sys.stderr, flush=True)
                    text, peak = spawn(["--case", path_kind, store, catalog,
                                        str(work / f"{catalog}.json"), workdir,
                                        str(profile) if profile else "-"])
                    outcome = Outcome(**json.loads(text.strip().splitlines()[-1]))
                    outcome.peak_rss_mb = peak   # the child's ru_maxrss (its own VmHWM agrees)
                    outcomes.append(outcome)
                    print(line(outcome), file=sys.stderr, flush=True)
                    if profile:
                        print_profile(profile)
                    if args.json:
                        with args.json.open("a", encoding="utf-8") as out:
                            out.write(json.dumps(asdict(outcome) | {"rows_per_s": outcome.rate},
                                                 ensure_ascii=False) + "\n")
    print(HEADER)
    print("-" * len(HEADER))
    for outcome in outcomes:
        print(line(outcome))
    print()
    for outcome in outcomes:
        print("\n".join(details(outcome)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
