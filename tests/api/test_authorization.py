"""The authorization matrix: every API route (and the RDF export) x every role -> status.

One row per route and target dataset; one expected status per caller. A route the app serves
without a row here fails ``test_matrix_covers_every_route``. Each write is made against a fresh
dataset in the row's state, so one caller's allowed write never changes what the next sees and
the whole table runs on one world per store (each row a subtest); a refused write must leave
the store exactly as it was.
"""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from catalog.actors import SYSTEM
from catalog.app import create_app
from catalog.credit_code import make_credit_code
from catalog.web.export import FORMATS
from tests.api.conftest import (
    PUBLIC_RECORD,
    ROLES,
    ApiWorld,
    assert_no_traceback,
    body_of,
    store_snapshot,
)
from tests.factories import MARKET, PUBLIC_SECURITY, record
from tests.sharing import matrix as sharing_matrix
from vocab.fields import BY_NAME

Payload = Callable[[str, dict[str, Any]], dict[str, Any]]


def expect(default: int, **per_role: int) -> dict[str, int]:
    """The status each caller gets: ``default`` unless named."""
    unknown = set(per_role) - set(ROLES)
    assert not unknown, f"unknown roles in the matrix: {unknown}"
    return {role: per_role.get(role, default) for role in ROLES}


def only(allowed: int, *roles: str, **others: int) -> dict[str, int]:
    """401 for anonymous, ``allowed`` for ``roles``, 403 for everyone else unless named."""
    return expect(403, anonymous=401, **{r: allowed for r in roles}, **others)


# who may see which fixture dataset (all of 省公安厅, internal level unless 'public')
SEES_PUBLISHED = expect(200, anonymous=404)
SEES_PUBLIC = expect(200)
SEES_SUBMITTED = expect(404, staff_own=200, steward=200, reviewer=200, admin=200)
SEES_DRAFT = expect(404, staff_own=200, steward=200, admin=200)
SEES_NOTHING = expect(404)
TARGET_VISIBILITY = {"published": SEES_PUBLISHED, "public": SEES_PUBLIC,
                     "submitted": SEES_SUBMITTED, "draft": SEES_DRAFT, "missing": SEES_NOTHING}


def _new_department(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"code": make_credit_code("11340000MB5678901"), "name": "安徽省统计局",
                     "short_name": "省统计局", "level": "province"}}


def _new_user(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"username": "matrix-user", "password": "matrix-password", "role": "staff",
                     "department_code": MARKET}}


def _new_dataset(role: str, _target: dict[str, Any]) -> dict[str, Any]:
    payload = record(title=f"矩阵登记测试数据（{role}）")
    if role == "admin":
        payload["department_code"] = PUBLIC_SECURITY
    return {"json": payload}


def _changed(_role: str, target: dict[str, Any]) -> dict[str, Any]:
    return {"json": {**target, "description": "矩阵测试：修改后的信息资源摘要。"}}


def _publish(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"action": "publish", "reason": "符合要求"}}


def _withdraw(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"query_string": {"reason": "矩阵测试撤销"}}


def _import(role: str, _target: dict[str, Any]) -> dict[str, Any]:
    """A one-row catalog CSV with the template's Chinese headers."""
    row = record(title=f"批量导入测试数据（{role}）", data_items=None, formats=None, keywords=None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([BY_NAME[name].label_zh for name in row])
    writer.writerow(row.values())
    form: dict[str, Any] = {"file": (io.BytesIO(out.getvalue().encode("utf-8")), "catalog.csv")}
    if role == "admin":
        form["department_code"] = PUBLIC_SECURITY
    return {"data": form, "content_type": "multipart/form-data"}


def _suggest(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"query_string": {"prefix": "全省"}}


def _search(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"query_string": {"q": "人口"}}


def _token(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"name": "matrix"}}


HARVEST = "/api/harvest"
HARVEST_SEES = expect(404, anonymous=401, staff_own=200, steward=200, reviewer=200, admin=200)


def _new_harvest_source(role: str, _target: dict[str, Any]) -> dict[str, Any]:
    payload = {"type": "dcat", "url": f"http://harvest.example.gov.cn/{role}/catalog.ttl"}
    if role == "admin":
        payload["department_code"] = PUBLIC_SECURITY
    return {"json": payload}


def _upload_harvest_source(role: str, target: dict[str, Any]) -> dict[str, Any]:
    """A spreadsheet source with its file (the bulk import's one-row CSV)."""
    form = _import(role, target)["data"]
    form["file"] = (form["file"][0], f"目录-{role}.csv")
    return {"data": form, "content_type": "multipart/form-data"}


def _edit_harvest_source(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"url": f"http://harvest.example.gov.cn/edited/{next(_titles)}.ttl", "name": "改"}}


def _link_publisher(api_world: Any, _role: str) -> tuple[str, dict[str, Any]]:
    """省公安厅 as a publisher, linked to its own department (moving nothing the other rows
    rely on)."""
    own = next(o for o in api_world.services.completion.organizations(SYSTEM)
               if o.code == PUBLIC_SECURITY)
    return f"/api/organizations/{own.id}/link", {"json": {"department_code": PUBLIC_SECURITY}}


def _matrix_user(api_world: Any) -> str:
    name = f"matrix-user-{next(_titles)}"
    api_world.services.accounts.create_user(SYSTEM, name, "matrix-password", "staff",
                                            department_code=MARKET)
    return name


def _change_user(api_world: Any, _role: str) -> tuple[str, dict[str, Any]]:
    return f"/api/users/{_matrix_user(api_world)}", {"json": {"role": "steward"}}


def _unlock_user(api_world: Any, _role: str) -> tuple[str, dict[str, Any]]:
    return f"/api/users/{_matrix_user(api_world)}/unlock", {"json": {}}

def _import_job(suffix: str = "") -> sharing_matrix.Prepare:
    """A queued import job of 省公安厅 (its file the bulk import's one-row CSV)."""

    def prepare(api_world: Any, role: str) -> tuple[str, dict[str, Any]]:
        upload = _import(role, {})["data"]["file"]
        job = api_world.services.imports.start(api_world.world.steward, upload[0], upload[1])
        return f"/api/imports/{job['id']}{suffix}", {}

    return prepare


def _approve(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"action": "approve", "note": "矩阵测试"}}


def _queue(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"dry_run": True}}


CALENDAR_YEAR = "/api/admin/calendar/years/<int:year>"
CALENDAR_2027 = {"notice": "测试用安排 / a test arrangement",
                 "holidays": [{"start": "2027-01-01", "name": "元旦"}]}


def _calendar_year(loaded: bool, put: bool = False) -> sharing_matrix.Prepare:
    def prepare(api_world: ApiWorld, _role: str) -> tuple[str, dict[str, Any]]:
        calendar = api_world.services.calendar
        if loaded and calendar.year(2027)["source"] != "loaded":
            calendar.load_year(SYSTEM, 2027, CALENDAR_2027)
        return CALENDAR_YEAR.replace("<int:year>", "2027"), {"json": CALENDAR_2027} if put else {}

    return prepare


def _add_calendar_day(_role: str, _target: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"day": "2027-01-01", "kind": "holiday", "name": "元旦",
                     "notice": CALENDAR_2027["notice"]}}


def _calendar_day_loaded(api_world: ApiWorld, _role: str) -> tuple[str, dict[str, Any]]:
    """2027 loaded with two holidays: one of them may be taken out."""
    api_world.services.calendar.load_year(SYSTEM, 2027, {
        **CALENDAR_2027, "holidays": [*CALENDAR_2027["holidays"],
                                      {"start": "2027-01-04", "name": "测试假日"}]})
    return "/api/admin/calendar/days/remove", {"json": {"day": "2027-01-04"}}


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    expected: dict[str, int]
    target: str | None = None       # published | public | submitted | draft | missing
    fmt: str | None = None
    payload: Payload | None = None
    note: str = ""
    prepare: sharing_matrix.Prepare | None = None  # fresh (path, request kwargs) per caller

    @property
    def id(self) -> str:
        where = f"[{self.target}]" if self.target else ""
        return f"{self.method} {self.rule.replace('<fmt>', self.fmt or '<fmt>')}{where}"

    def path(self, dataset_id: str) -> str:
        return self.rule.replace("<dataset_id>", dataset_id).replace("<fmt>", self.fmt or "")


ITEM = "/api/datasets/<dataset_id>"
SHARING_DECISIONS = "/api/sharing-requests/<request_id>/decisions"
SHARING_SEES = expect(200, anonymous=401, staff=404, steward_other=404)
EXPORT = "/dataset/<dataset_id>.<fmt>"

MATRIX: tuple[Row, ...] = (
    Row("GET", "/api/health", expect(200)),
    Row("GET", "/api/openapi.json", expect(200)),
    Row("GET", "/api/departments", expect(200)),
    Row("POST", "/api/departments", only(201, "admin"), payload=_new_department),
    Row("GET", "/api/users", only(200, "admin")),
    Row("POST", "/api/users", only(201, "admin"), payload=_new_user),
    Row("PATCH", "/api/users/<username>", only(200, "admin"), prepare=_change_user,
        note="a role change ends the user's sessions"),
    Row("POST", "/api/users/<username>/unlock", only(200, "admin"), prepare=_unlock_user),
    Row("GET", "/api/me", expect(200, anonymous=401)),
    Row("POST", "/api/tokens", expect(201, anonymous=401), payload=_token),
    Row("GET", "/api/datasets", expect(200)),
    Row("POST", "/api/datasets", only(201, "steward", "steward_other", "admin"),
        payload=_new_dataset),
    Row("POST", "/api/datasets/import", only(201, "steward", "steward_other", "admin"),
        payload=_import),
    Row("GET", "/api/datasets/template.xlsx", expect(200)),
    Row("GET", "/api/datasets/template.csv", expect(200)),
    Row("GET", "/api/search", expect(200), payload=_search),
    Row("GET", "/api/search/suggest", expect(200), payload=_suggest),
    *(Row("GET", ITEM, TARGET_VISIBILITY[t], target=t) for t in TARGET_VISIBILITY),
    Row("PUT", ITEM, only(200, "steward", "admin", steward_other=404), target="draft",
        payload=_changed),
    Row("PUT", ITEM, only(200, "steward", "admin"), target="published", payload=_changed,
        note="another department's steward sees it, but may not change it"),
    Row("PUT", ITEM, only(404, "steward", "steward_other", "admin"), target="missing",
        payload=_changed),
    Row("DELETE", ITEM, only(200, "steward", "admin", steward_other=404), target="draft",
        payload=_withdraw),
    Row("DELETE", ITEM, only(200, "steward", "admin"), target="published", payload=_withdraw),
    Row("POST", ITEM + "/submit", only(200, "steward", "admin", steward_other=404),
        target="draft"),
    Row("POST", ITEM + "/submit", only(409, "steward", "admin"), target="published",
        note="already published: a conflict for those who may submit"),
    Row("POST", ITEM + "/review", only(200, "reviewer", "admin"), target="submitted",
        payload=_publish),
    Row("POST", ITEM + "/review", only(409, "admin", reviewer=404), target="draft",
        payload=_publish, note="reviewers never see drafts; the administrator gets a conflict"),
    *(Row("GET", ITEM + "/revisions", TARGET_VISIBILITY[t], target=t) for t in TARGET_VISIBILITY),
    *(Row("GET", EXPORT, SEES_PUBLISHED, target="published", fmt=f) for f in FORMATS),
    *(Row("GET", EXPORT, TARGET_VISIBILITY[t], target=t, fmt="ttl")
      for t in ("public", "submitted", "draft", "missing")),
    Row("GET", EXPORT, SEES_NOTHING, target="published", fmt="xml"),
    # harvest sources and jobs (issue 3): a fresh source of 省公安厅 per call (see _harvest_path)
    Row("GET", "/api/harvest/sources", expect(200, anonymous=401)),
    Row("POST", "/api/harvest/sources", only(201, "steward", "steward_other", "admin"),
        payload=_new_harvest_source),
    *(Row("GET", HARVEST + rule, HARVEST_SEES) for rule in (
        "/sources/<int:source_id>", "/sources/<int:source_id>/jobs", "/jobs/<int:job_id>",
        "/jobs/<int:job_id>/items")),
    Row("POST", "/api/harvest/sources", only(201, "steward", "steward_other", "admin"),
        payload=_upload_harvest_source, note="multipart: a spreadsheet source with its file"),
    *(Row(method, HARVEST + "/sources/<int:source_id>",
          only(200, "steward", "admin", steward_other=404), payload=_edit_harvest_source,
          note="an approved source with a queued job: back to pending, the job cancelled")
      for method in ("PUT", "PATCH")),
    *(Row("POST", HARVEST + f"/sources/<int:source_id>/{action}",
          only(200, "steward", "admin", steward_other=404),
          note="disable: an approved source with a queued job; enable: a disabled one")
      for action in ("disable", "enable")),
    Row("POST", HARVEST + "/sources/<int:source_id>/review", only(200, "reviewer", "admin"),
        payload=_approve, note="a pending source; reviewers of another department approve"),
    Row("POST", HARVEST + "/sources/<int:source_id>/jobs",
        only(202, "steward", "admin", steward_other=404), payload=_queue,
        note="an approved source without jobs"),
    # the official calendar (issue 14): administrators review and load it
    Row("GET", "/api/admin/calendar", only(200, "admin")),
    Row("GET", CALENDAR_YEAR, only(200, "admin"), prepare=_calendar_year(False)),
    Row("PUT", CALENDAR_YEAR, only(200, "admin"), prepare=_calendar_year(False, put=True)),
    Row("DELETE", CALENDAR_YEAR, only(200, "admin"), prepare=_calendar_year(True),
        note="a loaded year, dropped"),
    Row("POST", "/api/admin/calendar/days", only(200, "admin"),
        payload=_add_calendar_day,
        note="one day added to a year not loaded yet"),
    Row("POST", "/api/admin/calendar/days/remove", only(200, "admin"),
        prepare=_calendar_day_loaded, note="one day of a loaded year taken out"),
    # import jobs (issue 9 §4): the department's, reviewers' and administrators' to read
    Row("GET", "/api/imports", expect(200, anonymous=401)),
    Row("POST", "/api/imports", only(202, "steward", "steward_other", "admin"), payload=_import),
    Row("GET", "/api/imports/<int:job_id>", HARVEST_SEES, prepare=_import_job()),
    Row("GET", "/api/imports/<int:job_id>/rows", HARVEST_SEES, prepare=_import_job("/rows")),
    # 待完善 counts and publishers (issue 9)
    Row("GET", "/api/completion", expect(200)),
    Row("GET", "/api/organizations", only(200, "reviewer", "admin")),
    Row("POST", "/api/organizations/<int:organization_id>/link", only(200, "admin"),
        prepare=_link_publisher, note="administrators link a publisher to a department"),
    # sharing requests, grants and the inbox (issue 5): a fresh request of 省司法厅 for the
    # published dataset of 省公安厅 per caller (tests/sharing/matrix.py)
    Row("GET", "/api/sharing-requests", expect(200, anonymous=401)),
    Row("POST", "/api/sharing-requests",
        only(201, "staff", "steward_other", "reviewer", staff_own=422, steward=422),
        prepare=sharing_matrix.new_request, note="the providing department cannot request"),
    Row("GET", "/api/sharing-requests/<request_id>", SHARING_SEES,
        prepare=sharing_matrix.request_in("pending_provider")),
    Row("POST", SHARING_DECISIONS, only(200, "steward", staff=404, steward_other=404),
        prepare=sharing_matrix.request_in("pending_provider", "/decisions", {"action": "approve"}),
        note="the provider's steward answers; reviewers and the provider's staff may not"),
    Row("POST", SHARING_DECISIONS, only(200, "reviewer", "admin", staff=404, steward_other=404),
        prepare=sharing_matrix.request_in("pending_target", "/decisions",
                                          {"action": "approve_target"}),
        note="a provider cannot approve its own sharing target"),
    Row("POST", SHARING_DECISIONS, {**SHARING_SEES, **{r: 409 for r in SHARING_SEES
                                                      if SHARING_SEES[r] == 200}},
        prepare=sharing_matrix.request_in("granted", "/decisions",
                                          {"action": "reject", "reason": "晚了"}),
        note="a granted request is final: a conflict for whoever sees it"),
    Row("GET", "/api/grants", expect(200, anonymous=401)),
    Row("GET", "/api/grants.csv", expect(200, anonymous=401)),
    Row("POST", "/api/grants/<grant_id>/revoke",
        only(200, "steward", "reviewer", "admin", steward_other=404),
        prepare=sharing_matrix.grant_revoke),
    Row("GET", "/api/inbox", expect(200, anonymous=401)),
    Row("POST", "/api/inbox/<int:notification_id>/read", expect(404, anonymous=401, steward=200),
        prepare=sharing_matrix.steward_note, note="only one's own notifications"),
    Row("PUT", "/api/inbox/address", expect(200, anonymous=401),
        prepare=sharing_matrix.static("/api/inbox/address",
                                      json={"email": "matrix@example.gov.cn"})),
    *(Row("GET", ITEM + "/sharing-history", {**TARGET_VISIBILITY[t], "anonymous": 401}, target=t)
      for t in ("published", "draft", "missing")),
    *(Row("GET", "/api/harvest/datasets/<dataset_id>/provenance",
          {**TARGET_VISIBILITY[t], "anonymous": 401}, target=t)
      for t in ("published", "draft", "missing")),
)

_titles = itertools.count(1)


def fresh_target(api_world: ApiWorld, state: str) -> tuple[str, dict[str, Any]]:
    """A new dataset of 省公安厅 in ``state``, so each caller's write starts from the same place."""
    w, datasets = api_world.world, api_world.services.datasets
    if state == "missing":
        return str(uuid.uuid4()), record(title="不存在的信息资源")
    base = PUBLIC_RECORD if state == "public" else record()
    data = {**base, "title": f"{base['title']}（矩阵{next(_titles)}）"}
    view = datasets.register(w.steward, data, submit=state != "draft")
    if state in ("published", "public"):
        datasets.review(w.reviewer, view.id, "publish")
    return view.id, data


def fixture_target(api_world: ApiWorld, state: str) -> str:
    if state == "missing":
        return str(uuid.uuid4())
    return getattr(api_world, state)


def _harvest_path(api_world: ApiWorld, row: Row) -> str:
    """A fresh harvest source of 省公安厅: pending (to review), approved (to queue a job), or
    approved with one queued job (to read)."""
    harvest, w = api_world.services.harvest, api_world.world
    url = f"http://harvest.example.gov.cn/{next(_titles)}.ttl"  # never fetched here
    source = harvest.add_source(w.steward, {"type": "dcat", "url": url})
    job = ""
    if not row.rule.endswith("/review"):
        harvest.review_source(w.reviewer, source.id, "approve")
        if not (row.method == "POST" and row.rule.endswith("/jobs")):
            job = str(harvest.enqueue(w.steward, source.id)["job"])
        if row.rule.endswith("/enable"):
            harvest.set_enabled(w.steward, source.id, False)
    return row.rule.replace("<int:source_id>", str(source.id)).replace("<int:job_id>", job)


def call(api_world: ApiWorld, row: Row, role: str) -> tuple[int, str]:
    target: dict[str, Any] = {}
    dataset_id = ""
    if row.target and row.method != "GET":
        dataset_id, target = fresh_target(api_world, row.target)
    elif row.target:
        dataset_id = fixture_target(api_world, row.target)
    kwargs = row.payload(role, target) if row.payload else {}
    if row.prepare is not None:  # sharing rows (issue 5)
        path, kwargs = row.prepare(api_world, role)
    else:
        path = _harvest_path(api_world, row) if "<int:" in row.rule else row.path(dataset_id)
    before = store_snapshot(api_world.store) if row.method != "GET" else None
    response = api_world.client(role).open(row.method, path, **kwargs)
    assert_no_traceback(response)
    if (row.rule.startswith("/api/") and "template" not in row.rule
            and not row.rule.endswith(".csv")) or (
            response.status_code >= 400 and row.fmt in FORMATS):
        body_of(response)  # JSON, errors included
    if before is not None and response.status_code >= 400:
        assert store_snapshot(api_world.store) == before, \
            f"{row.id} as {role} was refused ({response.status_code}) but changed the store"
    return response.status_code, response.get_data()[:200].decode("utf-8", errors="replace")


def test_matrix(api_world: ApiWorld, subtests: pytest.Subtests) -> None:
    for row in MATRIX:
        with subtests.test(msg=row.id):
            wrong = []
            for role in ROLES:
                status, body = call(api_world, row, role)
                if status != row.expected[role]:
                    wrong.append(f"{role}: expected {row.expected[role]}, got {status} {body}")
            assert not wrong, f"{row.id}: " + "; ".join(wrong)


def test_matrix_covers_every_route(sqlite_store) -> None:
    """A new API or export route without a row in MATRIX fails here (and a stale row too)."""
    app = create_app(sqlite_store.settings, store=sqlite_store)
    served = {(method, rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(("/api/", "/dataset/"))
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(row.method, row.rule) for row in MATRIX}
    assert served - covered == set(), "routes without a row in the authorization matrix"
    assert covered - served == set(), "matrix rows for routes the app no longer serves"
    assert set(FORMATS) <= {row.fmt for row in MATRIX if row.rule == EXPORT}
    assert {row.target for row in MATRIX if row.rule == ITEM and row.method == "GET"} \
        == set(TARGET_VISIBILITY)


# what each caller finds in GET /api/datasets: the same rule as single reads
LISTED = {
    "anonymous": {"public"},
    "staff": {"published", "public"},
    "steward_other": {"published", "public"},
    "staff_own": {"published", "public", "submitted", "draft"},
    "steward": {"published", "public", "submitted", "draft"},
    "reviewer": {"published", "public", "submitted"},
    "admin": {"published", "public", "submitted", "draft"},
}


def test_list_shows_only_what_the_caller_may_see(api_world: ApiWorld) -> None:
    names = {getattr(api_world, n): n for n in ("published", "public", "submitted", "draft")}
    for role in ROLES:
        client = api_world.client(role)
        body = body_of(client.get("/api/datasets", query_string={"page_size": 200}))
        assert {names[item["id"]] for item in body["items"]} == LISTED[role], role
        assert body["total"] == len(LISTED[role]), role
        for state in ("draft", "submitted"):
            found = body_of(client.get("/api/datasets", query_string={"state": state}))
            assert {names[i["id"]] for i in found["items"]} == LISTED[role] & {state}, role
            assert found["total"] == len(LISTED[role] & {state}), role


def test_search_shows_only_what_the_caller_may_see(api_world: ApiWorld) -> None:
    names = {getattr(api_world, n): n for n in ("published", "public", "submitted", "draft")}
    for role in ROLES:
        client = api_world.client(role)
        body = body_of(client.get("/api/search", query_string={"page_size": 50}))
        assert {names[hit["id"]] for hit in body["hits"]} == LISTED[role], role
        assert body["total"] == len(LISTED[role]), role
        counts = {v["value"]: v["count"] for v in body["facets"].get("security_level", [])}
        assert sum(counts.values()) == len(LISTED[role]), (role, body["facets"])
        found = body_of(client.get("/api/search/suggest", query_string={"prefix": "全省"}))
        titles = {s["value"] for s in found["suggestions"] if s["kind"] == "title"}
        assert {names[t] for t in titles} <= LISTED[role], role


def test_other_departments_see_the_published_revision_only(api_world: ApiWorld) -> None:
    w = api_world.world
    api_world.services.datasets.update(
        w.steward, api_world.published, record(title="全省常住人口基本信息（修订稿）"), note="修订")
    staff = body_of(api_world.client("staff").get(f"/api/datasets/{api_world.published}"))
    own = body_of(api_world.client("staff_own").get(f"/api/datasets/{api_world.published}"))
    assert (staff["title"], staff["state"], staff["revision"]) == ("全省常住人口基本信息", "published", 1)
    assert (own["title"], own["state"], own["revision"]) == ("全省常住人口基本信息（修订稿）", "draft", 2)
    revisions = body_of(api_world.client("staff").get(f"/api/datasets/{api_world.published}/revisions"))
    assert [r["number"] for r in revisions] == [1]
    ttl = api_world.client("staff").get(f"/dataset/{api_world.published}.ttl").get_data(as_text=True)
    assert "修订稿" not in ttl


def test_search_does_not_match_unpublished_titles(api_world: ApiWorld) -> None:
    w = api_world.world
    api_world.services.datasets.update(
        w.steward, api_world.published, record(title="全省常住人口基本信息（含未公开字段）"))
    staff = api_world.client("staff")
    found = body_of(staff.get("/api/datasets", query_string={"q": "未公开字段"}))
    assert found["total"] == 0 and found["items"] == []
    searched = body_of(staff.get("/api/search", query_string={"q": "未公开字段"}))
    assert searched["total"] == 0 and searched["hits"] == []
    suggested = body_of(staff.get("/api/search/suggest",
                                  query_string={"prefix": "全省常住人口基本信息（含"}))
    assert suggested["suggestions"] == []
    # the owning department finds its working copy by the new words
    own = body_of(api_world.client("staff_own").get("/api/datasets", query_string={"q": "未公开字段"}))
    assert [item["id"] for item in own["items"]] == [api_world.published]


def test_editing_a_withdrawn_dataset_does_not_republish_it(api_world: ApiWorld) -> None:
    steward, anonymous = api_world.client("steward"), api_world.client("anonymous")
    path = f"/api/datasets/{api_world.public}"
    assert steward.delete(path, query_string={"reason": "停止开放"}).status_code == 200
    assert anonymous.get(path).status_code == 404
    steward.put(path, json={**PUBLIC_RECORD, "description": "撤销后修改了摘要，尚未提交审核。"})
    assert anonymous.get(path).status_code == 404
    assert api_world.client("staff").get(path).status_code == 404


def test_export_errors_are_json_for_every_format(api_world: ApiWorld) -> None:
    for fmt in FORMATS:
        response = api_world.client("anonymous").get(f"/dataset/{api_world.draft}.{fmt}")
        assert response.status_code == 404
        assert set(body_of(response)["message"]) == {"zh", "en"}


def test_bad_credentials_are_401_even_where_anonymous_may_read(api_world: ApiWorld) -> None:
    for header in ("Bearer mulu_not-a-real-token", "Bearer ", "Basic c3RhZmY6eA==",
                   "mulu_token-without-scheme", "Bearer " + api_world.tokens["admin"][:-1]):
        response = api_world.client("anonymous").get("/api/datasets",
                                                      headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert set(body_of(response)["message"]) == {"zh", "en"}


def test_responses_never_carry_secrets(api_world: ApiWorld) -> None:
    admin = api_world.client("admin")
    bodies = [admin.get(p).get_data(as_text=True) for p in ("/api/users", "/api/me")]
    created = admin.post("/api/users", json={"username": "secret-check", "password": "p4ssword-x",
                                             "role": "reviewer"})
    bodies.append(created.get_data(as_text=True))
    for text in bodies:
        assert "$argon2" not in text and "password" not in text and "p4ssword-x" not in text
        assert not any(token in text for token in api_world.tokens.values())
