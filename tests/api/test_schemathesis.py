"""The API contract: schemathesis runs every operation of ``/api/openapi.json`` as each role.

For each caller (anonymous, staff, steward, reviewer, admin) a fresh SQLite store with the API
fixtures' world (users, departments, datasets in every state) is built and its spec loaded from
the app itself; every operation gets a bounded number of generated requests (valid and invalid
ones, a fixed seed, no example database: the same cases on every run) and each answer must

- not be a server error (``not_a_server_error``),
- have a status code the operation documents (``status_code_conformance``),
- have the content type it documents (``content_type_conformance``),
- have a body that conforms to the documented schema (``response_schema_conformance``),
- carry the headers it documents (``response_headers_conformance``: ``Retry-After``, …).

State-changing operations run too: the store is thrown away afterwards. No operation is
excluded.
"""

from __future__ import annotations

import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from catalog.app import create_app
from catalog.db import Notification, Organization
from catalog.store import Store
from tests.api.conftest import ApiWorld, build_api_world
from tests.api.test_authorization import _import
from tests.conftest import make_settings
from tests.sharing.helpers import payload

CALLERS = ("anonymous", "staff", "steward", "reviewer", "admin")
MAX_EXAMPLES = 12   # generated requests per operation and caller (plus schemathesis' examples)
SEED = 20261203

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]

CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True,
                   "database": "none"},
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
})



def _spec() -> dict[str, Any]:
    """The spec as the app serves it (it does not depend on the store's content)."""
    directory = Path(tempfile.mkdtemp(prefix="mulu-spec-"))
    settings = make_settings(directory).with_overrides(
        database_url=f"sqlite:///{directory / 'mulu.db'}")
    store = Store.open(settings)
    try:
        response = create_app(settings, store=store).test_client().get("/api/openapi.json")
        assert response.status_code == 200
        return response.get_json()
    finally:
        store.close()
        shutil.rmtree(directory, ignore_errors=True)


schema = schemathesis.openapi.from_dict(_spec(), config=CONFIG)


@pytest.fixture(params=CALLERS)
def caller(request: pytest.FixtureRequest) -> str:
    return request.param


@dataclass
class ContractWorld:
    """The API fixtures' world plus one object of every kind a path can name."""

    api: ApiWorld
    objects: dict[str, list[str]]   # path parameter -> ids of real objects


def build_contract_world(store: Store) -> ContractWorld:
    api = build_api_world(store)
    services, w = api.services, api.world
    source = services.harvest.add_source(
        w.steward, {"type": "dcat", "url": "http://harvest.example.gov.cn/contract.ttl"})
    services.harvest.review_source(w.reviewer, source.id, "approve")
    pending = services.harvest.add_source(
        w.steward, {"type": "dcat", "url": "http://harvest.example.gov.cn/pending.ttl"})
    harvest_job = services.harvest.enqueue(w.steward, source.id)["job"]
    upload = _import("steward", {})["data"]["file"]
    import_job = services.imports.start(w.steward, upload[0], upload[1])["id"]
    sharing = services.sharing
    asked = sharing.file(w.staff, payload(api.published, target_system="合同测试系统"))
    granted = sharing.file(w.staff, payload(api.published, target_system="合同测试系统二"))
    sharing.decide(w.steward, granted["id"], {"action": "approve"})
    grant = sharing.decide(w.reviewer, granted["id"], {"action": "approve_target"})["grant"]
    with store.reading() as session:
        notifications = [str(n) for n in session.scalars(select(Notification.id).order_by(Notification.id))]
        organizations = [str(o) for o in session.scalars(select(Organization.id).order_by(Organization.id))]
    objects = {
        "dataset_id": [api.published, api.public, api.submitted, api.draft],
        "source_id": [str(source.id), str(pending.id)],
        "job_id": [str(harvest_job), str(import_job)],
        "request_id": [asked["id"], granted["id"]],
        "grant_id": [grant["id"]],
        "notification_id": notifications,
        "organization_id": organizations,
        "username": ["staff", "steward", "reviewer"],
        "year": ["2026", "2027"],
    }
    return ContractWorld(api, {name: ids for name, ids in objects.items() if ids})


def name_real_objects(case: schemathesis.Case, objects: dict[str, list[str]]) -> None:
    """Two generated cases in three name a real object in each path parameter (chosen from
    the generated value, so the same cases run every time); the rest keep what was generated
    (mostly objects that do not exist, and invalid values)."""
    for name, value in list((case.path_parameters or {}).items()):
        ids = objects.get(name)
        pick = zlib.crc32(repr(value).encode("utf-8"))
        if ids and pick % 3:
            case.path_parameters[name] = ids[pick % len(ids)]


@pytest.fixture
def contract_world(sqlite_store: Store) -> ContractWorld:
    return build_contract_world(sqlite_store)


@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@schema.parametrize()
def test_contract(case: schemathesis.Case, caller: str, contract_world: ContractWorld) -> None:
    api = contract_world.api
    name_real_objects(case, contract_world.objects)
    token = api.tokens.get(caller)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    case.call_and_validate(app=api.app, headers=headers, checks=CHECKS)


def test_every_error_is_documented_with_the_one_error_body() -> None:
    """No catch-all ``default``: each operation names its error statuses, every one of them
    with the real error body (code, status, a bilingual message, field errors)."""
    spec = _spec()
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "message", "status"]
    assert spec["components"]["schemas"]["Message"]["required"] == ["en", "zh"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            assert "default" not in responses, (method, path)
            assert {"401", "429", "503"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"413", "415", "422"} <= set(responses), (method, path)
            for code, response in responses.items():
                if int(code) >= 400 and path != "/api/health":
                    assert response == {"$ref": f"#/components/responses/Error{code}"}, \
                        (method, path, code)
