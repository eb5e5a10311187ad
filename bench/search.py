"""Search speed: index build time and query latency per backend and size, and Datasette.

    .venv/bin/python -m bench.search                       # 25,000 / 100,000 / 250,000
    .venv/bin/python -m bench.search --sizes 100000 --datasette-venv /tmp/dsvenv
    .venv/bin/python -m bench.search client mulu --port P --size N   # one HTTP client pass

Entries: the 25,239 real ones (bench/relevance/corpus.jsonl.gz), scaled to 100,000 and 250,000
by bench.corpus.scaled. Each size is indexed through search.documents (the indexer's serializer;
"analysis" time) into each backend ("build" time). The query: each of the 55 relevance queries
as a signed-in staff member (内部 clearance; a fifth of the entries are 内部), 20 hits with
highlights and the counts of all 9 facets (≥ the 6 asked), plus the same with two facet
filters selected; 1 warm-up pass, then ``--passes`` timed passes; p50 and p95 per backend.

Elasticsearch is the noida-db stand-in, timed at 25,000 entries or fewer only, on the first
``--es-queries`` queries: DESIGN §9 — it is no measure of Elasticsearch's speed.

Datasette (in its own venv: datasette, sqlite-utils, rjieba) serves the same rows from an FTS5
table over rjieba-segmented text; both servers answer the same query texts over HTTP on
loopback: Datasette with ``_search`` and 4 ``_facet`` columns, Mulu's ``GET /api/search`` (9
facets, highlights, visibility filter, anonymous caller) under waitress.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import corpus
from bench.noida import _free_port, elasticsearch
from bench.relevance.rules import RULES
from catalog.actors import Actor
from search.base import Query, SearchBackend

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [r.query for r in RULES]
FILTERS = {"open_type": ("open",), "update_cycle": ("annual",)}
DATASETTE_FACETS = ("department", "classification", "open_type", "update_cycle")
STAFF = Actor(None, "bench-staff", "staff", 1, "internal")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def percentiles(ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(ms)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    return {"p50": round(at(0.50), 1), "p95": round(at(0.95), 1), "max": round(ordered[-1], 1),
            "n": len(ordered)}


# -- documents ---------------------------------------------------------------------------------
def documents(size: int, work: Path) -> tuple[list[dict[str, Any]], float]:
    """The index documents of ``size`` entries (cached in ``work``) and the analysis seconds."""
    cache = work / f"docs-{size}.pickle"
    if cache.exists():
        with cache.open("rb") as f:
            docs, seconds = pickle.load(f)  # noqa: S301 — our own cache file
        return docs, seconds
    items = corpus.scaled(corpus.entries(), size)
    started = time.perf_counter()
    docs = list(corpus.documents(items, internal_share=0.2))
    seconds = time.perf_counter() - started
    with cache.open("wb") as f:
        pickle.dump((docs, seconds), f, protocol=pickle.HIGHEST_PROTOCOL)
    return docs, seconds


# -- in-process timings -------------------------------------------------------------------------
def time_queries(backend: SearchBackend, texts: Sequence[str], passes: int,
                 filters: dict[str, tuple[str, ...]] | None = None) -> list[float]:
    timings: list[float] = []
    for number in range(passes + 1):
        for text in texts:
            started = time.perf_counter()
            backend.search(Query(STAFF, text, filters=filters or {}, page_size=20))
            if number:  # pass 0 warms up
                timings.append((time.perf_counter() - started) * 1000)
    return timings


def sqlite_figures(docs: list[dict[str, Any]], work: Path, size: int,
                   passes: int) -> dict[str, Any]:
    from search.sqlite import SqliteSearch

    path = work / f"search-{size}.db"
    for leftover in work.glob(f"search-{size}.db*"):
        leftover.unlink()
    backend = SqliteSearch(path)
    started = time.perf_counter()
    backend.rebuild(docs)
    build = time.perf_counter() - started
    out = {"build_s": round(build, 1), "size_mb": round(path.stat().st_size / 1e6, 1),
           "text": percentiles(time_queries(backend, QUERIES, passes)),
           "text+2 filters": percentiles(time_queries(backend, QUERIES, passes, FILTERS))}
    backend.close()
    return out


def elastic_figures(docs: list[dict[str, Any]], es_url: str | None,
                    queries: int) -> dict[str, Any]:
    from search.elastic import ElasticSearch

    with elasticsearch(es_url) as url:
        backend = ElasticSearch(url, alias="mulu-speed", timeout=600)
        started = time.perf_counter()
        backend.rebuild(docs)
        build = time.perf_counter() - started
        timings = time_queries(backend, QUERIES[:queries], 1)
        backend.close()
    return {"build_s": round(build, 1), "text": percentiles(timings)}


# -- over HTTP ------------------------------------------------------------------------------------
def _wait(port: int, path: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"nothing answered on port {port}")


@contextmanager
def server(command: list[str], port: int, ready: str, env: dict[str, str] | None = None,
           ) -> Iterator[None]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **(env or {})})
    try:
        _wait(port, ready)
        yield
    finally:
        process.terminate()
        process.wait(30)


def mulu_path(text: str) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": text, "page_size": 20})


def datasette_path(text: str) -> str:
    import rjieba

    words = " ".join(w for w in rjieba.cut(text) if w.strip())
    query = [("_search", words), *(("_facet", f) for f in DATASETTE_FACETS), ("_size", "20"),
             ("_shape", "objects")]
    return "/bench/datasets.json?" + urllib.parse.urlencode(query)


def http_timings(port: int, paths: Sequence[str], passes: int,
                 check: Callable[[dict[str, Any]], None] | None = None) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    timings: list[float] = []
    for number in range(passes + 1):
        for path in paths:
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
            if check:
                check(json.loads(body))
            if number:
                timings.append(elapsed)
    connection.close()
    return timings


def _no_facet_timeouts(body: dict[str, Any]) -> None:
    if body.get("facets_timed_out"):
        raise RuntimeError(f"Datasette facets timed out: {body['facets_timed_out']}")


def export_rows(docs: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for doc in docs:
            facets = doc["facets"]
            out.write(json.dumps({
                "id": doc["dataset_id"], "title": doc["title"], "description": doc["description"],
                "keywords": doc["keywords"], "department": doc["department_name"],
                "classification": facets["classification"][0],
                "open_type": facets["open_type"][0], "update_cycle": facets["update_cycle"][0],
                "modified": doc["modified"]}, ensure_ascii=False) + "\n")


def datasette_figures(docs: list[dict[str, Any]], work: Path, size: int, venv: Path,
                      passes: int) -> dict[str, Any]:
    rows, db = work / f"rows-{size}.jsonl", work / "bench.db"
    export_rows(docs, rows)
    built = subprocess.run([str(venv / "bin" / "python"), str(ROOT / "bench" / "datasette_db.py"),
                            str(rows), str(db)], check=True, capture_output=True, text=True)
    build = json.loads(built.stdout.strip().splitlines()[-1])
    port = _free_port()
    command = [str(venv / "bin" / "datasette"), "serve", str(db), "--port", str(port),
               "--setting", "suggest_facets", "off", "--setting", "facet_time_limit_ms", "10000",
               "--setting", "sql_time_limit_ms", "10000", "--setting", "num_sql_threads", "3"]
    with server(command, port, "/bench.json"):
        timings = http_timings(port, [datasette_path(q) for q in QUERIES], passes,
                               _no_facet_timeouts)
    return {"build_s": build["seconds"], "http": percentiles(timings), "port": port}


def mulu_figures(work: Path, size: int, passes: int) -> dict[str, Any]:
    data = work / f"mulu-{size}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    mulu = str(Path(sys.executable).parent / "mulu")
    env = {"MULU_SEARCH_URL": "", "MULU_DATA_DIR": str(data)}
    subprocess.run([mulu, "db", "upgrade", "--data-dir", str(data)], check=True,
                   capture_output=True, env={**os.environ, **env})
    for leftover in data.glob("search.db*"):
        leftover.unlink()
    shutil.copy(work / f"search-{size}.db", data / "search.db")
    port = _free_port()
    command = [mulu, "serve", "--data-dir", str(data), "--port", str(port), "--threads", "4"]
    with server(command, port, "/api/search?q=x", env):
        timings = http_timings(port, [mulu_path(q) for q in QUERIES], passes)
    return {"http": percentiles(timings), "port": port}


# -- the whole run -------------------------------------------------------------------------------
def run(sizes: Sequence[int], work: Path, passes: int, es_url: str | None, es_max: int,
        es_queries: int, venv: Path | None) -> dict[str, Any]:
    results: dict[str, Any] = {"queries": len(QUERIES), "passes": passes}
    for size in sizes:
        log(f"== {size} entries")
        docs, analysis_s = documents(size, work)
        figures: dict[str, Any] = {"analysis_s": round(analysis_s, 1)}
        figures["sqlite"] = sqlite_figures(docs, work, size, passes)
        log(f"   sqlite {figures['sqlite']}")
        if size <= es_max:
            figures["elastic"] = elastic_figures(docs, es_url, es_queries)
            log(f"   elastic {figures['elastic']}")
        if venv is not None:
            figures["mulu_http"] = mulu_figures(work, size, passes)
            log(f"   mulu over http {figures['mulu_http']}")
            figures["datasette"] = datasette_figures(docs, work, size, venv, passes)
            log(f"   datasette {figures['datasette']}")
        results[str(size)] = figures
    return results


def client(kind: str, port: int, passes: int) -> None:
    """One whole client run (for whole-process timing): every query ``passes`` times. Both
    kinds build both lists of paths, so each process pays the same start-up (rjieba included)."""
    both = {"mulu": [mulu_path(q) for q in QUERIES], "datasette": [datasette_path(q) for q in QUERIES]}
    paths = both[kind]
    print(json.dumps(percentiles(http_timings(port, paths, passes))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=("run", "client"))
    parser.add_argument("kind", nargs="?", choices=("mulu", "datasette"))
    parser.add_argument("--sizes", default="25239,100000,250000")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mulu-bench")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--es-url", default=None)
    parser.add_argument("--es-max", type=int, default=25239)
    parser.add_argument("--es-queries", type=int, default=10)
    parser.add_argument("--datasette-venv", type=Path, default=None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the figures (JSON) here")
    args = parser.parse_args()
    if args.command == "client":
        client(args.kind, args.port, args.passes)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    results = run([int(s) for s in args.sizes.split(",")], args.work, args.passes, args.es_url,
                  args.es_max, args.es_queries, args.datasette_venv)
    text = json.dumps(results, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
