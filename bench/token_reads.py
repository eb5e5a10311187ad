"""Token-authenticated search under write load (issue 14 item 10).

    .venv/bin/python -m bench.token_reads [--store sqlite|postgres] [--seconds 20] [--json]

Mulu served by waitress (8 threads) on loopback over a fresh store with 300 real catalog
entries (``bench.harvest.records``) published and indexed; 4 writer threads each keep changing
a dataset of their own (``PUT /api/datasets/<id>`` with a bearer token, as fast as they are
answered) while one reader alternates ``GET /api/search?q=…`` with a bearer token and without
one, for ``--seconds``. Two modes: ``once a minute`` (a token's ``last_used_at`` written at most
once a minute: today) and ``every use`` (written on every request, as before issue 14 —
``catalog.login_sessions.touch_due`` patched to always say yes). p50/p95/p99 per caller.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.harvest import fresh_store, records, world
from bench.noida import _free_port
from catalog import login_sessions
from catalog.actors import SYSTEM
from catalog.app import create_app
from catalog.errors import MuluError
from catalog.services import Services

WRITERS = 4
ENTRIES = 300
QUERIES = ("户籍", "企业", "人口", "信用", "医院", "学校", "交通", "环境")


def percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 1)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def call(port: int, method: str, path: str, token: str | None = None,
         body: dict[str, Any] | None = None) -> tuple[int, float]:
    """One request on a fresh connection; (status, milliseconds)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


@contextmanager
def served(services: Services) -> Iterator[int]:
    from waitress.server import create_server

    from catalog.api.search import search_service

    app = create_app(services.settings, store=services.store)
    search = search_service(app)
    search.indexer.rebuild()
    background = search.start_background()
    port = _free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.close()
        background.stop()


def run(store_kind: str, seconds: float, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with fresh_store(store_kind, workdir) as store:
        services = Services.build(store)
        rows = records(ENTRIES + WRITERS)
        _admin, steward, reviewer = world(services, rows)
        own: list[tuple[str, dict[str, Any]]] = []
        for row in rows:
            record = {k: v for k, v in row.items() if k not in ("id", "publisher_code")}
            try:
                view = services.datasets.register(steward, record, submit=True)
                services.datasets.review(reviewer, view.id, "publish")
            except MuluError:
                continue  # an entry the form refuses is no matter here
            own.append((view.id, record))
        writer_token = services.accounts.create_token(SYSTEM, "steward", "bench-writer")
        reader_token = services.accounts.create_token(SYSTEM, "admin", "bench-reader")
        original = login_sessions.touch_due
        with served(services) as port:
            for mode in ("once a minute", "every use"):
                if mode == "every use":
                    login_sessions.touch_due = lambda _last, _now: True  # type: ignore[assignment]
                try:
                    results[mode] = _measure(port, seconds, writer_token, reader_token,
                                             own[:WRITERS])
                finally:
                    login_sessions.touch_due = original  # type: ignore[assignment]
                log(f"{store_kind} {mode}: {results[mode]}")
    return results


def _measure(port: int, seconds: float, writer_token: str, reader_token: str,
             targets: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    stop = threading.Event()
    writes: list[int] = []

    def write(dataset_id: str, record: dict[str, Any]) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            status, _ms = call(port, "PUT", f"/api/datasets/{dataset_id}", writer_token,
                               {**record, "description": f"{record['description']}（第{n}次修改）"})
            writes.append(status)

    threads = [threading.Thread(target=write, args=target) for target in targets]
    for thread in threads:
        thread.start()
    timings: dict[str, list[float]] = {"token": [], "anonymous": []}
    ends = time.monotonic() + seconds
    i = 0
    while time.monotonic() < ends:
        query = QUERIES[i % len(QUERIES)]
        for caller, token in (("token", reader_token), ("anonymous", None)):
            status, ms = call(port, "GET", f"/api/search?q={_quote(query)}", token)
            assert status == 200, status
            timings[caller].append(ms)
        i += 1
    stop.set()
    for thread in threads:
        thread.join()
    failed = [s for s in writes if s != 200]
    return {"writes": len(writes), "failed_writes": len(failed),
            **{caller: {"n": len(ms), **percentiles(ms)} for caller, ms in timings.items()}}


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgres"), action="append")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mulu-token-bench-") as workdir:
        found = {kind: run(kind, args.seconds, Path(workdir))
                 for kind in args.store or ["sqlite", "postgres"]}
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for kind, modes in found.items():
        for mode, result in modes.items():
            for caller in ("token", "anonymous"):
                p = result[caller]
                print(f"{kind:8} {mode:14} {caller:9} n={p['n']:4} p50={p['p50']:7.1f} ms "
                      f"p95={p['p95']:7.1f} ms p99={p['p99']:7.1f} ms   "
                      f"writes={result['writes']} failed={result['failed_writes']}")


if __name__ == "__main__":
    main()
