"""GET /api/search and /api/search/suggest: JSON shape, filters, paging, and 400s (never 500s)
for malformed queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from catalog.actors import SYSTEM
from catalog.app import create_app
from catalog.services import Services
from search.base import SearchUnavailable
from tests.factories import MARKET, PUBLIC_SECURITY, World, build_world, record
from tests.search.catalog import unconditional
from tests.search.conftest import open_store


@dataclass
class Api:
    app: Flask
    world: World
    tokens: dict[str, str]

    def get(self, path: str, who: str = "staff", **query: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}
        return self.app.test_client().get(path, query_string=query, headers=headers)

    def json(self, path: str, who: str = "staff", status: int = 200, **query: Any) -> Any:
        response = self.get(path, who, **query)
        assert response.mimetype == "application/json", response.data[:300]
        raw = response.get_data(as_text=True)
        assert "Traceback" not in raw
        assert response.status_code == status, raw[:500]
        return json.loads(raw)


@pytest.fixture
def api(tmp_path: Path, sqlite_template: Path) -> Iterator[Api]:
    store = open_store(tmp_path / "store", sqlite_template)
    app = create_app(store.settings, store=store)
    app.config["MULU_SEARCH_SYNC"] = True
    services: Services = app.extensions["mulu"]
    world = build_world(services)
    datasets = services.datasets
    for title, level, publish in (("户籍人口基本信息", "internal", True),
                                  ("户籍业务办理网点", "public", True),
                                  ("户籍核查工作底稿", "internal", False)):
        view = datasets.register(world.steward, unconditional(
            title=title, security_level=level, source_identifier=f"src-{title}"), submit=publish)
        if publish:
            datasets.review(world.reviewer, view.id, "publish")
    tokens = {name: services.accounts.create_token(SYSTEM, name, "tests")
              for name in ("staff", "staff_own", "admin")}
    yield Api(app, world, tokens)
    store.close()


def test_search_answers_json(api: Api) -> None:
    body = api.json("/api/search", q="户口", page_size=10)
    assert body["total"] == 2 and body["next_cursor"] is None
    hit = next(h for h in body["hits"] if h["title"] == "户籍人口基本信息")
    assert set(hit) >= {"id", "source_identifier", "resource_code", "title", "department",
                        "highlights"}
    assert hit["source_identifier"] == "src-户籍人口基本信息"
    assert hit["department"] == "安徽省公安厅" and hit["department_code"] == PUBLIC_SECURITY
    assert hit["highlights"]["title"] == ["<em>户籍</em>人口基本信息"]
    assert hit["resource_code"].startswith("101001/")
    assert set(body["facets"]) >= {"department", "classification", "share_type", "open_type",
                                   "update_cycle", "format", "security_level", "level"}
    assert {"value": "internal", "label": "内部", "count": 1} in body["facets"]["security_level"]


def test_each_caller_sees_their_share(api: Api) -> None:
    assert api.json("/api/search", "anonymous", q="户籍")["total"] == 1
    assert api.json("/api/search", "staff_own", q="户籍")["total"] == 3
    suggestions = api.json("/api/search/suggest", "staff", prefix="户籍")["suggestions"]
    assert [s["text"] for s in suggestions] == ["户籍业务办理网点", "户籍人口基本信息"]
    assert {"text": "安徽省公安厅", "kind": "department", "value": PUBLIC_SECURITY} in \
        api.json("/api/search/suggest", "anonymous", prefix="安徽省公")["suggestions"]


def test_filters_sort_and_cursor(api: Api) -> None:
    body = api.json("/api/search", security_level=["public", "internal"], department=PUBLIC_SECURITY,
                    sort="title", page_size=1)
    assert body["total"] == 2 and body["next_cursor"]
    second = api.json("/api/search", security_level=["public", "internal"],
                      department=PUBLIC_SECURITY, sort="title", page_size=1,
                      cursor=body["next_cursor"])
    assert second["next_cursor"] is None
    assert {body["hits"][0]["title"], second["hits"][0]["title"]} == \
        {"户籍人口基本信息", "户籍业务办理网点"}
    assert api.json("/api/search", format="csv")["total"] == 2
    assert api.json("/api/search", department=MARKET)["total"] == 0


@pytest.mark.parametrize(("query", "field"), [
    ({"share_type": "sometimes"}, "share_type"),
    ({"department": "91340000MA0000000X"}, "department"),
    ({"classification": "9"}, "classification"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "eyJmIjoiMCIsImEiOltdfQ"}, "cursor"),
    ({"q": "户" * 201}, "q"),
    ({"page_size": 101}, "page_size"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": "ten"}, "page_size"),
    ({"sort": "random"}, "sort"),
    ({"colour": "red"}, "colour"),
    ({"q": "bad\x00byte"}, "q"),
    ({"highlight": "perhaps"}, "highlight"),
])
def test_malformed_queries_are_400_with_a_message(api: Api, query: dict[str, Any],
                                                  field: str) -> None:
    body = api.json("/api/search", status=400, **query)
    assert body["message"]["zh"] and body["message"]["en"]
    assert any(name.endswith(field) for name in body["errors"]), body


@pytest.mark.parametrize("query", [{}, {"prefix": "户" * 51}, {"prefix": "户", "limit": 99}])
def test_malformed_suggestions_are_400(api: Api, query: dict[str, Any]) -> None:
    assert api.json("/api/search/suggest", status=400, **query)["errors"]


def test_search_down_is_503_not_500(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog.api.search import search_service

    service = search_service(api.app)

    def down(*_: Any, **__: Any) -> Any:
        raise SearchUnavailable("connection refused")

    monkeypatch.setattr(service.backend, "search", down)
    monkeypatch.setattr(service.backend, "suggest", down)
    body = api.json("/api/search", status=503, q="户籍")
    assert body["message"]["en"].startswith("Search is unavailable")
    api.json("/api/search/suggest", status=503, prefix="户")


def test_openapi_documents_every_facet_parameter(api: Api) -> None:
    spec = api.json("/api/openapi.json")
    parameters = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert parameters >= {"q", "page_size", "cursor", "sort", "department", "classification",
                          "share_type", "open_type", "update_cycle", "format", "security_level",
                          "level"}
    assert "/api/search/suggest" in spec["paths"]


def test_without_sync_the_index_waits_for_the_indexer(tmp_path: Path,
                                                      sqlite_template: Path) -> None:
    store = open_store(tmp_path / "store", sqlite_template)
    app = create_app(store.settings, store=store)
    services: Services = app.extensions["mulu"]
    world = build_world(services)
    view = services.datasets.register(world.steward, record(security_level="public"), submit=True)
    services.datasets.review(world.reviewer, view.id, "publish")
    client = app.test_client()
    assert client.get("/api/search").get_json()["total"] == 0
    from catalog.api.search import search_service

    search_service(app).indexer.drain()
    assert client.get("/api/search").get_json()["total"] == 1
    store.close()
