"""API fixtures: the Flask app over the parametrized store, a world of users, one bearer token
per role and datasets of 省公安厅 in each interesting state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.test import TestResponse

from catalog.actors import SYSTEM
from catalog.app import create_app
from catalog.db import Base, Dataset
from catalog.services import Services
from catalog.store import Store
from tests.factories import World, build_world, record

# every caller of the matrix: anonymous plus one user of each role (see tests.factories.World)
ROLES: tuple[str, ...] = ("anonymous", "staff", "staff_own", "steward", "steward_other",
                          "reviewer", "admin")

TRACEBACK_MARKERS = ("Traceback", 'File "', '.py"')


class ApiClient:
    """A test client that sends ``Authorization: Bearer <token>`` (none for anonymous)."""

    def __init__(self, app: Flask, token: str | None):
        self._client: FlaskClient = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def open(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self._client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("DELETE", path, **kwargs)


@dataclass
class ApiWorld:
    app: Flask
    services: Services
    world: World
    tokens: dict[str, str]
    published: str          # 省公安厅, published, internal level
    public: str             # 省公安厅, published, public level (anonymous may see it)
    submitted: str          # 省公安厅, awaiting review
    draft: str              # 省公安厅, draft
    clients: dict[str, ApiClient] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        return self.services.store

    def client(self, role: str) -> ApiClient:
        if role not in self.clients:
            self.clients[role] = ApiClient(self.app, self.tokens.get(role))
        return self.clients[role]

    def snapshot(self) -> dict[str, Any]:
        return store_snapshot(self.store)


def store_snapshot(store: Store) -> dict[str, Any]:
    """Row counts of every table and the full content of the rows that matter."""
    counts: dict[str, int] = {}
    with store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = connection.execute(
                text(f"SELECT COUNT(*) FROM {table.name}")).scalar_one()
        datasets = [tuple(row) for row in connection.execute(
            select(Dataset.__table__).order_by(Dataset.id))]
        head = connection.execute(text("SELECT last_hash FROM audit_head")).scalar_one()
        revisions = connection.execute(text(
            "SELECT dataset_id, number FROM dataset_revisions ORDER BY dataset_id, number")).all()
        users = connection.execute(text(
            "SELECT username, password_hash, role, department_id FROM users ORDER BY id")).all()
        departments = connection.execute(text(
            "SELECT code, name, level FROM departments ORDER BY id")).all()
    return {"counts": counts, "datasets": datasets, "audit_head": head,
            "revisions": [tuple(r) for r in revisions], "users": [tuple(u) for u in users],
            "departments": [tuple(d) for d in departments]}


PUBLIC_RECORD = record(
    title="省公安厅户籍业务办理网点", title_en="Household registration service points",
    description="全省公安机关户籍业务办理网点名称、地址、电话和办公时间。",
    resource_form="spreadsheet", share_type="unconditional", share_condition=None,
    share_basis=None, share_method="file", open_type="open", security_level="public",
    data_items=[{"name": "网点名称", "data_type": "string"},
                {"name": "地址", "data_type": "string"}])


@pytest.fixture
def api_world(store: Store) -> Iterator[ApiWorld]:
    yield build_api_world(store)


def build_api_world(store: Store) -> ApiWorld:
    """The app over ``store`` with the world of users, a token per role and four datasets."""
    app = create_app(store.settings, store=store)
    app.config["MULU_SEARCH_SYNC"] = True  # the index drains the outbox before each search
    services: Services = app.extensions["mulu"]
    world = build_world(services)
    tokens = {username: services.accounts.create_token(SYSTEM, username, "tests")
              for username in ROLES if username != "anonymous"}
    datasets = services.datasets
    published = datasets.register(world.steward, record(), submit=True)
    datasets.review(world.reviewer, published.id, "publish")
    public = datasets.register(world.steward, PUBLIC_RECORD, submit=True)
    datasets.review(world.reviewer, public.id, "publish")
    submitted = datasets.register(world.steward, record(title="全省流动人口登记信息"), submit=True)
    draft = datasets.register(world.steward, record(title="全省暂住人口登记信息"))
    return ApiWorld(app, services, world, tokens, published.id, public.id, submitted.id, draft.id)


def body_of(response: TestResponse) -> Any:
    """The JSON body; fails the test when it is not JSON."""
    assert response.mimetype == "application/json", (response.status, response.data[:300])
    return json.loads(response.get_data(as_text=True))


def assert_no_traceback(response: TestResponse) -> None:
    raw = response.get_data().decode("utf-8", errors="replace")
    for marker in TRACEBACK_MARKERS:
        assert marker not in raw, f"{marker!r} in the response: {raw[:500]}"
