"""/api/imports: a spreadsheet import as a background job — 202 with a status URL at once,
polled until it ends, its report, who may read it, oversized ids; the inline import keeps only
small files (on both stores)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from catalog.actors import SYSTEM
from catalog.app import create_app
from catalog.services import Services
from catalog.store import Store
from harvesters.worker import Worker
from tests.catalog.test_import_jobs import csv_file, row, titles
from tests.factories import MARKET, World, build_world

IMPORTS = "/api/imports"


@dataclass
class Env:
    app: Flask
    services: Services
    world: World
    tokens: dict[str, str]

    def call(self, method: str, url: str, role: str | None, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.app.test_client().open(url, method=method, headers=headers, **kwargs)

    def upload(self, role: str, data: bytes, name: str = "目录.csv", url: str = IMPORTS,
               **form: Any) -> TestResponse:
        return self.call("POST", url, role, data={"file": (io.BytesIO(data), name), **form},
                         content_type="multipart/form-data")

    def work(self) -> int:
        return Worker(self.services, echo=lambda _line: None).run_once()


@pytest.fixture
def env(store: Store) -> Iterator[Env]:
    app = create_app(store.settings, store=store)
    services: Services = app.extensions["mulu"]
    world = build_world(services)
    tokens = {name: services.accounts.create_token(SYSTEM, name)
              for name in ("steward", "steward_other", "staff", "staff_own", "reviewer",
                           "admin")}
    yield Env(app, services, world, tokens)


def test_post_answers_202_at_once_and_the_status_url_follows_the_job(env: Env):
    started = env.upload("steward", csv_file(titles(30)), mode="keep")
    assert started.status_code == 202, started.get_json()
    job = started.get_json()
    assert job["status"] == "queued" and job["mode"] == "keep"
    assert started.headers["Location"].endswith(job["status_url"])
    assert env.services.datasets.list(SYSTEM).total == 0          # nothing read in the request
    polled = env.call("GET", job["status_url"], "steward").get_json()
    assert polled["status"] == "queued" and polled["progress"]["percent"] == 0
    assert env.work() == 1
    done = env.call("GET", job["status_url"], "steward")
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "succeeded" and body["counts"]["created"] == 30
    assert body["progress"]["percent"] == 100 and body["progress"]["rows_per_second"] > 0
    rows = env.call("GET", f"{job['status_url']}/rows?outcome=created&page_size=10",
                    "staff_own").get_json()
    assert rows["total"] == 30 and len(rows["items"]) == 10
    assert rows["items"][0]["row"] == 2 and rows["items"][0]["resource_code"]
    listed = env.call("GET", IMPORTS, "reviewer").get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == job["id"]


def test_a_refused_file_is_a_failed_job_with_its_problems(env: Env):
    job = env.upload("steward", csv_file([row("甲"), row("乙", summary="")])).get_json()
    env.work()
    body = env.call("GET", job["status_url"], "steward").get_json()
    assert body["status"] == "failed" and body["counts"]["created"] == 0
    assert [(p["row"], p["field"], p["outcome"]) for p in body["problems"]] == \
        [(3, "description", "problem")]
    assert env.services.datasets.list(SYSTEM).total == 0


def test_other_departments_never_see_a_job_and_bad_ids_are_404(env: Env):
    job = env.upload("steward", csv_file(titles(2))).get_json()
    for role in ("steward_other", "staff"):
        assert env.call("GET", job["status_url"], role).status_code == 404
        assert env.call("GET", f"{job['status_url']}/rows", role).status_code == 404
        assert env.call("GET", IMPORTS, role).get_json()["total"] == 0
    assert env.call("GET", job["status_url"], None).status_code == 401
    for wrong in ("0", str(2 ** 31), str(2 ** 63), str(2 ** 80)):
        assert env.call("GET", f"{IMPORTS}/{wrong}", "admin").status_code == 404
        assert env.call("GET", f"{IMPORTS}/{wrong}/rows", "admin").status_code == 404
    assert env.upload("staff_own", csv_file(titles(1))).status_code == 403
    assert env.upload("steward", csv_file(titles(1)), department_code=MARKET).status_code == 403
    assert env.upload("admin", csv_file(titles(1))).status_code == 422
    assert env.upload("steward", b"", "a.csv").status_code == 422
    assert env.call("GET", f"{IMPORTS}?status=nonsense", "admin").status_code == 422


def test_the_inline_import_keeps_only_small_files(env: Env):
    small = env.services.settings.with_overrides(inline_sheet_bytes=2048)
    env.services.store.settings = small
    data = csv_file(titles(40))
    assert len(data) > 2048
    refused = env.upload("steward", data, url="/api/datasets/import")
    assert refused.status_code == 413
    assert "/api/imports" in refused.get_json()["message"]["en"]
    assert env.services.datasets.list(SYSTEM).total == 0
    assert env.upload("steward", csv_file(titles(3)), url="/api/datasets/import").status_code \
        == 201
    env.services.store.settings = small.with_overrides(inline_sheet_bytes=1024 ** 2,
                                                       inline_max_rows=10)
    over = env.upload("steward", csv_file(titles(11, "另")), url="/api/datasets/import")
    assert over.status_code == 422 and "10 rows" in over.get_json()["message"]["en"]


def test_the_openapi_documents_the_job_api(env: Env):
    spec = env.call("GET", "/api/openapi.json", None).get_json()
    post = spec["paths"][IMPORTS]["post"]
    assert "202" in post["responses"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert "ImportJob" in spec["components"]["schemas"]
    assert "progress" in spec["components"]["schemas"]["ImportJob"]["properties"]
    assert {"get"} <= set(spec["paths"][IMPORTS + "/{job_id}"])
    assert "413" in spec["paths"]["/api/datasets/import"]["post"]["responses"]


def test_a_write_that_waited_out_the_store_lock_is_503_with_retry_after(env: Env, monkeypatch):
    """SQLite has one writer: a write that waited longer than the busy timeout (an all-or-none
    import of 100,000 rows holds the lock while it stores) is told to retry, not a 500."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    def locked(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError(
            "database is locked"))

    monkeypatch.setattr(type(env.services.datasets), "register", locked)
    from tests.factories import record

    response = env.call("POST", "/api/datasets", "steward", json=record())
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "retry" in response.get_json()["message"]["en"]
