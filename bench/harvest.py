"""Harvest throughput, end to end: fetch over real HTTP, map, validate, store, outbox.

    python -m bench.harvest [--records 10000] [--sheet-rows 25239] [--kinds ckan,ttl,rdfxml,csv]
                            [--store sqlite|postgres] [--runs 1] [--no-floors] [--json]

Inputs are built from the real Chinese catalog entries of ``bench/corpus.py`` (25,239 rows of
13 portals, ``../shared/corpus/cn-opendata-*``): CKAN ``package_search`` pages, one DCAT-AP 3
catalog in Turtle and in RDF/XML (written by Mulu's own profiles) — ``--records`` each — and
a CSV catalog spreadsheet of all the real rows (``--sheet-rows``) with the Chinese headers and
labels of real portal exports. They are written to a temp dir
and served by a local ``http.server`` thread; each run harvests them into a fresh store (a new
SQLite file, or a new schema of PostgreSQL database ``test`` on 127.0.0.1:5432) through
``HarvestService.run``, exactly as ``mulu harvest run`` does.

The real rows go in unchanged: titles a publisher repeats are kept (待完善, as possible
duplicates), so every listed record is stored and the figure counts what was kept.

Beside each figure: how fast rdflib alone parses the same file (the floor of an rdflib design),
and for Turtle the oxrdflib and pyoxigraph parsers too.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rdflib import Graph, URIRef

from bench import corpus
from catalog.actors import SYSTEM
from catalog.config import load_settings
from catalog.credit_code import make_credit_code
from catalog.services import Services
from catalog.store import Store
from vocab.concepts import scheme
from vocab.profiles import catalog_graph, serialize

KINDS = ("ckan", "ttl", "rdfxml", "csv")
POSTGRES_URL = os.environ.get("MULU_BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CKAN_ROWS = 1000
BASE = "https://data.ah.gov.cn/dataset/"
LIMITS = {"max_bytes": 400 * 1024 * 1024, "request_timeout": 600.0, "page_size": CKAN_ROWS,
          "job_seconds": 3600.0}
CKAN_EXTRAS = {"share_basis": "share_basis", "share_condition": "share_condition"}
GOVERNANCE = make_credit_code("11340000MB4567890")
SHARE_BASIS = "《安徽省政务数据资源管理办法》第十八条"


# ── inputs ──────────────────────────────────────────────────────────────────

def department_code(name: str) -> str:
    digits = int(hashlib.sha1(name.encode()).hexdigest(), 16) % 10**9
    return make_credit_code(f"11340000M{digits:09d}"[:17])


def records(n: int) -> list[dict[str, Any]]:
    """``n`` Mulu records of real entries (repeated with variations past 25,239), as they are:
    repeated titles stay repeated."""
    out = []
    for entry in corpus.scaled(corpus.entries(), n):
        record = corpus.record(entry)
        record["publisher_name"] = record["publisher_name"] or "未注明部门"
        record["publisher_code"] = department_code(record["publisher_name"])
        if record["share_type"] != "unconditional":
            record["share_basis"] = SHARE_BASIS
        if record["share_type"] == "conditional":
            record["share_condition"] = "仅限履行法定职责使用"
        record["id"] = entry["id"]
        out.append(record)
    return out


def ckan_package(record: dict[str, Any]) -> dict[str, Any]:
    pid = str(uuid.uuid5(uuid.NAMESPACE_URL, BASE + record["id"]))
    org = "org-" + record["publisher_code"].lower()
    return {
        "id": pid, "name": f"ds-{pid[:8]}", "title": record["title"],
        "notes": record["description"], "state": "active", "private": False,
        "metadata_created": f"{record['issued']}T08:00:00.000000",
        "metadata_modified": f"{record['modified']}T08:00:00.000000",
        "url": record["landing_page"], "license_id": "cc-by",
        "organization": {"id": org, "name": org, "title": record["publisher_name"],
                         "type": "organization", "is_organization": True},
        "tags": [{"name": k, "display_name": k} for k in record["keywords"]],
        "resources": [{"id": f"{pid}-{i}", "format": f, "url": f"{record['landing_page']}#{i}"}
                      for i, f in enumerate(record["formats"])],
        "extras": [{"key": "update_frequency", "value": record["update_cycle"]},
                   {"key": "access_rights", "value": record["open_type"]},
                   {"key": "share_type", "value": record["share_type"]},
                   {"key": "classification", "value": record["classification"]},
                   {"key": "share_basis", "value": record.get("share_basis", "")},
                   {"key": "share_condition", "value": record.get("share_condition", "")}],
    }


def dcat_files(rows: list[dict[str, Any]]) -> dict[str, bytes]:
    items = [(URIRef(BASE + r["id"]), {k: v for k, v in r.items() if k != "id"}) for r in rows]
    graph = catalog_graph(items, URIRef("https://data.ah.gov.cn/catalog"), "安徽省政务数据目录",
                          "Anhui government data catalog",
                          {"name": "安徽省数据资源管理局", "code": GOVERNANCE})
    return {"ttl": serialize(graph, "ttl")[0], "rdfxml": serialize(graph, "rdf")[0]}


SHEET_COLUMNS = (("信息资源名称", "title"), ("信息资源摘要", "description"),
                 ("数据提供方", "publisher_name"), ("信息资源分类", "classification"),
                 ("数据格式", "formats"), ("共享类型", "share_type"), ("开放属性", "open_type"),
                 ("共享条件", "share_condition"), ("共享依据", "share_basis"),
                 ("更新周期", "update_cycle"), ("密级", "security_level"), ("关键词", "keywords"),
                 ("发布日期", "issued"), ("更新日期", "modified"), ("详情页", "landing_page"))
LABELLED = {"share_type": "share-type", "open_type": "open-type", "update_cycle": "update-cycle",
            "security_level": "security-level"}


def sheet(rows: list[dict[str, Any]]) -> bytes:
    """A CSV catalog spreadsheet as portals export it: Chinese headers and labels."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header for header, _ in SHEET_COLUMNS])
    for record in rows:
        cells = []
        for _, name in SHEET_COLUMNS:
            value = record.get(name, "")
            if name in LABELLED:
                value = scheme(LABELLED[name]).get(value).label_zh
            elif isinstance(value, list):
                value = "、".join(value)
            cells.append(value)
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8-sig")


@dataclass
class Inputs:
    rows: list[dict[str, Any]]
    files: dict[str, bytes]            # path -> body
    ckan_pages: dict[int, bytes]       # start -> package_search reply
    sheet_rows: list[dict[str, Any]]   # the spreadsheet's records (all the real rows)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return self.sheet_rows if kind == "csv" else self.rows


def build_inputs(n: int, kinds: list[str], cache: Path,
                 sheet_rows: int = corpus.REAL_SIZE) -> Inputs:
    rows = records(n)
    files: dict[str, bytes] = {}
    if {"ttl", "rdfxml"} & set(kinds):
        cache.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:12]
        ttl, rdfxml = cache / f"catalog-{n}-{digest}.ttl", cache / f"catalog-{n}-{digest}.rdf"
        if not (ttl.exists() and rdfxml.exists()):
            built = dcat_files(rows)
            ttl.write_bytes(built["ttl"])
            rdfxml.write_bytes(built["rdfxml"])
        files["/catalog.ttl"], files["/catalog.rdf"] = ttl.read_bytes(), rdfxml.read_bytes()
    sheet_records: list[dict[str, Any]] = []
    if "csv" in kinds:
        sheet_records = rows if sheet_rows == n else records(sheet_rows)
        files["/catalog.csv"] = sheet(sheet_records)
    pages: dict[int, bytes] = {}
    if "ckan" in kinds:
        packages = [ckan_package(r) for r in rows]
        for start in range(0, len(packages) + 1, CKAN_ROWS):
            pages[start] = json.dumps({"help": "", "success": True, "result": {
                "count": len(packages), "results": packages[start:start + CKAN_ROWS]}},
                ensure_ascii=False).encode()
    return Inputs(rows, files, pages, sheet_records)


# ── the local server ────────────────────────────────────────────────────────

MEDIA = {".ttl": "text/turtle; charset=utf-8", ".rdf": "application/rdf+xml; charset=utf-8",
         ".csv": "text/csv; charset=utf-8"}


@contextmanager
def serving(inputs: Inputs) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            if parts.path.endswith("/package_search"):
                start = int(parse_qs(parts.query).get("start", ["0"])[0])
                body, media = inputs.ckan_pages.get(start), "application/json"
            else:
                body = inputs.files.get(parts.path)
                media = MEDIA.get(parts.path[parts.path.rfind("."):], "")
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# ── one store, one run ──────────────────────────────────────────────────────

@contextmanager
def fresh_store(kind: str, workdir: Path) -> Iterator[Store]:
    data_dir = Path(tempfile.mkdtemp(prefix="store-", dir=workdir))
    env = {"MULU_DATA_DIR": str(data_dir), "MULU_SECRET_KEY": "bench",
           "MULU_HARVEST_ALLOW_NETWORKS": "127.0.0.1/32"}  # the bench's own portal, explicitly
    schema = ""
    if kind == "postgres":
        from sqlalchemy import create_engine, text

        schema = f"mulu_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        env["MULU_DATABASE_URL"] = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    store = Store.open(load_settings(env))
    store.upgrade()
    try:
        yield store
    finally:
        store.close()
        if schema:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def world(services: Services, rows: list[dict[str, Any]]) -> tuple[Any, Any, Any]:
    """The departments the rows name, a governance office, and admin, steward and reviewer."""
    from argon2 import PasswordHasher

    from catalog.accounts import AccountService
    from catalog.passwords import use_hasher

    use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    names = dict.fromkeys(r["publisher_name"] for r in rows)
    names.setdefault("安徽省数据资源管理局")
    for name in names:
        code = GOVERNANCE if name == "安徽省数据资源管理局" else department_code(name)
        services.departments.create(SYSTEM, {"code": code, "name": name[:100],
                                             "level": "province"})
    first = department_code(next(iter(names)))
    accounts: AccountService = services.accounts
    for user, role, code in (("admin", "admin", None), ("steward", "steward", first),
                             ("reviewer", "reviewer", GOVERNANCE)):
        accounts.create_user(SYSTEM, user, f"{user}-bench-password", role, department_code=code)
    actors = [accounts.authenticate(u, f"{u}-bench-password")
              for u in ("admin", "steward", "reviewer")]
    return actors[0], actors[1], actors[2]


SOURCES = {"ckan": ("ckan", "/api/3/action"), "ttl": ("dcat", "/catalog.ttl"),
           "rdfxml": ("dcat", "/catalog.rdf"), "csv": ("spreadsheet", "/catalog.csv")}


def harvest_once(kind: str, inputs: Inputs, url: str, store_kind: str,
                 workdir: Path) -> tuple[float, float, dict[str, Any]]:
    """Wall and CPU seconds of one harvest into a fresh store, and its report. CPU time is
    the whole process's (the serving thread too): on a shared machine it moves far less than
    wall time, so a pairing with another tool is fairer on CPU."""
    with fresh_store(store_kind, workdir) as store:
        services = Services.build(store)
        admin, steward, reviewer = world(services, inputs.of(kind))
        type_, path = SOURCES[kind]
        view = services.harvest.add_source(steward, {
            "type": type_, "url": url + path, "config": {"limits": LIMITS, "extras": CKAN_EXTRAS},
            "name": f"bench {kind}"})
        services.harvest.review_source(reviewer, view.id, "approve", "bench")
        started, cpu = time.perf_counter(), time.process_time()
        result = services.harvest.run(admin, view.id)
        return time.perf_counter() - started, time.process_time() - cpu, result


# ── parse-only floors ───────────────────────────────────────────────────────

def _timed(work: Callable[[], Any], runs: int) -> float:
    """The median of ``runs`` timings of ``work``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def floors(kind: str, inputs: Inputs, runs: int = 1) -> dict[str, float]:
    """Seconds each parser alone takes over the same file (median of ``runs``)."""
    if kind not in ("ttl", "rdfxml"):
        return {}
    body = inputs.files["/catalog.ttl" if kind == "ttl" else "/catalog.rdf"]
    found = {"rdflib": _timed(lambda: Graph().parse(data=body, format="turtle" if kind == "ttl"
                                                    else "xml"), runs)}
    try:
        import pyoxigraph

        fmt = pyoxigraph.RdfFormat.TURTLE if kind == "ttl" else pyoxigraph.RdfFormat.RDF_XML
        found["pyoxigraph"] = _timed(lambda: list(pyoxigraph.parse(body, format=fmt)), runs)
        if kind == "ttl":
            # oxrdflib's parser into rdflib's own graph (how the 1,488/s reads), and
            # into oxrdflib's Oxigraph store (the triples stay in Rust until asked for)
            found["oxrdflib"] = _timed(lambda: Graph().parse(data=body, format="ox-turtle"),
                                       runs)
            found["oxrdflib-store"] = _timed(lambda: Graph(store="Oxigraph").parse(
                data=body, format="ox-turtle"), runs)
    except ImportError:
        pass
    return found


# ── the table ───────────────────────────────────────────────────────────────

def rate(n: int, seconds: float | None) -> str:
    return f"{n / seconds:,.0f}" if seconds else "—"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000,
                        help="datasets of the CKAN and DCAT sources")
    parser.add_argument("--sheet-rows", type=int, default=corpus.REAL_SIZE,
                        help="rows of the spreadsheet (default: all the real ones)")
    parser.add_argument("--kinds", default="ckan,ttl,rdfxml,csv",
                        help=f"comma-separated, of {', '.join(KINDS)}")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=1, help="runs per kind; the median is shown")
    parser.add_argument("--no-floors", action="store_true", help="skip the parse-only timings")
    parser.add_argument("--json", action="store_true", help="also print one JSON line a kind")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        parser.error(f"unknown kinds {unknown}; known: {', '.join(KINDS)}")
    cache = Path(tempfile.gettempdir()) / "mulu-bench-harvest"
    print(f"building inputs for {args.records:,} records …", file=sys.stderr)
    inputs = build_inputs(args.records, kinds, cache, args.sheet_rows)
    header = (f"{'kind':<8} {'records':>8} {'seconds':>8} {'rec/s e2e':>10} "
              f"{'CPU s':>6} {'rec/s CPU':>10} "
              f"{'rdflib parse':>13} {'oxrdflib':>9} {'ox store':>9} {'pyoxigraph':>11}  outcomes")
    lines = [header, "-" * len(header)]
    with tempfile.TemporaryDirectory(prefix="mulu-bench-") as workdir, serving(inputs) as url:
        for kind in kinds:
            n = len(inputs.of(kind))
            times, cpus, result = [], [], {}
            for _ in range(args.runs):
                seconds, cpu, result = harvest_once(kind, inputs, url, args.store,
                                                    Path(workdir))
                times.append(seconds)
                cpus.append(cpu)
                print(f"  {kind}: {seconds:.2f} s ({cpu:.2f} s CPU) {result['counts']}",
                      file=sys.stderr)
            seconds, cpu = statistics.median(times), statistics.median(cpus)
            parsed = {} if args.no_floors else floors(kind, inputs, args.runs)
            counts = {k: v for k, v in result["counts"].items() if v}
            lines.append(f"{kind:<8} {n:>8,} {seconds:>8.2f} {rate(n, seconds):>10} "
                         f"{cpu:>6.2f} {rate(n, cpu):>10} "
                         f"{rate(n, parsed.get('rdflib')):>13} "
                         f"{rate(n, parsed.get('oxrdflib')):>9} "
                         f"{rate(n, parsed.get('oxrdflib-store')):>9} "
                         f"{rate(n, parsed.get('pyoxigraph')):>11}  {result['status']} "
                         f"{counts}")
            if args.json:
                print(json.dumps({"kind": kind, "records": n, "store": args.store,
                                  "seconds": times, "median": seconds,
                                  "cpu_seconds": cpus, "cpu_median": cpu, "counts": counts,
                                  "status": result["status"],
                                  "floors": {k: n / v for k, v in parsed.items()}}))
    print(f"store: {args.store}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
