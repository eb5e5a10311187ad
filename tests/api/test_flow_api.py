"""The foundation flow over HTTP, on both stores: a steward of 省公安厅 registers a population
dataset and submits it, a governance reviewer publishes it, staff of another department read it
and export it as DCAT; anonymous callers see nothing above 'public'."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, Literal
from rdflib import namespace as ns

from catalog import audit
from tests.api.conftest import ApiWorld, body_of

POPULATION: dict[str, Any] = {
    "title": "全省户籍人口基本信息",
    "title_en": "Registered household population of the province",
    "classification": "101001",
    "description": "全省户籍人口的基本信息，包括姓名、公民身份号码、性别、民族、出生日期、户籍地址，"
                   "由公安机关户籍管理系统每日汇总。",
    "resource_form": "database",
    "formats": ["CSV", "JSON", "XML"],
    "data_items": [
        {"name": "姓名", "data_type": "string", "description": "公民姓名"},
        {"name": "公民身份号码", "data_type": "string", "description": "18位公民身份号码"},
        {"name": "性别", "data_type": "string"},
        {"name": "民族", "data_type": "string"},
        {"name": "出生日期", "data_type": "date"},
        {"name": "户籍地址", "data_type": "string"},
    ],
    "share_type": "conditional",
    "share_condition": "仅限政府部门履行法定职责时使用，不得向第三方提供",
    "share_method": "interface",
    "share_basis": "《中华人民共和国居民身份证法》第十九条；国发〔2016〕51号",
    "open_type": "closed",
    "update_cycle": "daily",
    "issued": "2022-03-01",
    "modified": "2024-06-30",
    "security_level": "internal",
    "keywords": ["人口", "户籍", "身份证"],
    "landing_page": "https://gaj.example.gov.cn/catalog/population",
    "source_identifier": "GAJ-RK-001",
}

RDF_FORMATS = {"ttl": ("turtle", "text/turtle"), "rdf": ("xml", "application/rdf+xml"),
               "jsonld": ("json-ld", "application/ld+json")}


def test_register_submit_publish_read_export(api_world: ApiWorld) -> None:
    steward, reviewer = api_world.client("steward"), api_world.client("reviewer")
    staff, anonymous = api_world.client("staff"), api_world.client("anonymous")

    created = steward.post("/api/datasets", json=POPULATION)
    assert created.status_code == 201, created.get_data()[:500]
    draft = body_of(created)
    dataset_id = draft["id"]
    assert draft["state"] == "draft" and draft["revision"] == 1
    assert draft["resource_code"].startswith("101001/")
    assert draft["publisher_name"] == "安徽省公安厅"
    assert draft["department_code"] == draft["publisher_code"]
    for name, value in POPULATION.items():
        assert draft[name] == value, name
    assert staff.get(f"/api/datasets/{dataset_id}").status_code == 404

    submitted = steward.post(f"/api/datasets/{dataset_id}/submit")
    assert submitted.status_code == 200 and body_of(submitted)["state"] == "submitted"
    queue = body_of(reviewer.get("/api/datasets", query_string={"state": "submitted"}))
    assert dataset_id in {item["id"] for item in queue["items"]}
    assert staff.get(f"/api/datasets/{dataset_id}").status_code == 404

    published = reviewer.post(f"/api/datasets/{dataset_id}/review",
                              json={"action": "publish", "reason": "核心元数据完整"})
    assert published.status_code == 200, published.get_data()[:500]
    assert body_of(published)["state"] == "published"

    seen = body_of(staff.get(f"/api/datasets/{dataset_id}"))
    assert seen["state"] == "published" and seen["title"] == POPULATION["title"]
    assert seen["data_items"] == POPULATION["data_items"]
    assert seen["review_note"] == ""  # the review note stays inside the owning department
    listed = body_of(staff.get("/api/datasets", query_string={"q": "户籍人口"}))
    assert [item["id"] for item in listed["items"]] == [dataset_id]
    other = body_of(staff.get("/api/datasets", query_string={"department": seen["department_code"]}))
    assert dataset_id in {item["id"] for item in other["items"]}

    revisions = body_of(steward.get(f"/api/datasets/{dataset_id}/revisions"))
    assert [(r["number"], r["author"]) for r in revisions] == [(1, "steward")]
    assert "title" in revisions[0]["changed_fields"]

    for fmt, (rdflib_format, mimetype) in RDF_FORMATS.items():
        response = staff.get(f"/dataset/{dataset_id}.{fmt}")
        assert response.status_code == 200, (fmt, response.get_data()[:300])
        assert response.mimetype == mimetype
        graph = Graph().parse(data=response.get_data(), format=rdflib_format)
        subjects = list(graph.subjects(ns.RDF.type, ns.DCAT.Dataset))
        assert len(subjects) == 1, fmt
        titles = set(graph.objects(subjects[0], ns.DCTERMS.title))
        assert Literal(POPULATION["title"], lang="zh") in titles, (fmt, titles)
        assert Literal(seen["resource_code"]) in set(graph.objects(subjects[0],
                                                                   ns.DCTERMS.identifier))

    # internal level: never shown to anonymous callers, in any form
    assert anonymous.get(f"/api/datasets/{dataset_id}").status_code == 404
    assert anonymous.get(f"/api/datasets/{dataset_id}/revisions").status_code == 404
    for fmt in RDF_FORMATS:
        assert anonymous.get(f"/dataset/{dataset_id}.{fmt}").status_code == 404
    public_list = body_of(anonymous.get("/api/datasets", query_string={"page_size": 200}))
    assert dataset_id not in {item["id"] for item in public_list["items"]}
    assert {item["security_level"] for item in public_list["items"]} <= {"public"}

    with api_world.store.reading() as session:
        assert audit.verify(session).ok
        actions = [e.action for e in audit.history(session, "dataset", dataset_id)]
    assert actions == ["dataset.create", "dataset.submit", "dataset.publish"]


def test_returned_dataset_goes_back_with_its_reason(api_world: ApiWorld) -> None:
    steward, reviewer = api_world.client("steward"), api_world.client("reviewer")
    returned = reviewer.post(f"/api/datasets/{api_world.submitted}/review",
                             json={"action": "return", "reason": "请补充信息项说明"})
    assert returned.status_code == 200
    body = body_of(steward.get(f"/api/datasets/{api_world.submitted}"))
    assert (body["state"], body["review_note"]) == ("returned", "请补充信息项说明")
    assert api_world.client("staff").get(f"/api/datasets/{api_world.submitted}").status_code == 404
    again = steward.post(f"/api/datasets/{api_world.submitted}/submit")
    assert again.status_code == 200 and body_of(again)["state"] == "submitted"


def test_openapi_document(api_world: ApiWorld) -> None:
    response = api_world.client("anonymous").get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = body_of(response)
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]
    for path, methods in {"/api/health": {"get"}, "/api/departments": {"get", "post"},
                          "/api/datasets": {"get", "post"},
                          "/api/datasets/{dataset_id}": {"get", "put", "delete"},
                          "/api/datasets/{dataset_id}/submit": {"post"},
                          "/api/datasets/{dataset_id}/review": {"post"},
                          "/api/datasets/{dataset_id}/revisions": {"get"},
                          "/api/users": {"get", "post"}, "/api/me": {"get"},
                          "/api/tokens": {"post"}}.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), (path, set(spec["paths"][path]))
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    write = spec["components"]["schemas"]["DatasetWrite"]["properties"]
    assert {"title", "classification", "data_items", "share_type", "security_level"} <= set(write)
    assert set(write["security_level"]["enum"]) >= {"public", "internal"}


def test_health_names_the_backends(api_world: ApiWorld) -> None:
    from datetime import date

    from tests.sharing.helpers import freeze

    freeze(api_world.services, date(2026, 6, 1))  # the calendar has this year and no warning
    response = api_world.client("anonymous").get("/api/health")
    assert response.status_code == 200
    body = body_of(response)
    dialect = api_world.store.engine.dialect.name
    assert body["status"] == "ok"
    assert body["store"] == {"backend": dialect, "ok": True}
    assert body["search"]["backend"] == "sqlite"
    assert body["network"] == "extranet" and body["security_ceiling"] == "internal"


def test_revision_times_carry_their_offset(api_world: ApiWorld) -> None:
    """Found by schemathesis: on SQLite a revision's ``created_at`` came out naive
    (``2026-12-03T15:03:16``), not the RFC 3339 ``date-time`` the spec promises."""
    from datetime import datetime, timedelta

    revisions = body_of(api_world.client("steward").get(
        f"/api/datasets/{api_world.draft}/revisions"))
    assert revisions
    for revision in revisions:
        assert datetime.fromisoformat(revision["created_at"]).utcoffset() == timedelta(0)
