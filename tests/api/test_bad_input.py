"""Malformed input on every write path: a 4xx (422 with per-field messages in zh and en), JSON,
never a traceback, and nothing stored.

All cases run against one world per store, each a subtest; the store is compared before and
after all of them. The last group are the cases that once got a 500 (or were stored): huge
numbers, deep nesting, lone surrogates in keys, URLs and passwords.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from catalog.credit_code import make_credit_code
from tests.api.conftest import ApiWorld, assert_no_traceback, body_of
from tests.factories import JUSTICE, PUBLIC_SECURITY, record

CJK = re.compile(r"[\u3400-\u9fff]")
TEN_MB = 10 * 1024 * 1024
BAD_CHECK_DIGIT = PUBLIC_SECURITY[:-1] + ("0" if PUBLIC_SECURITY[-1] != "0" else "1")
NEW_DEPARTMENT = {"code": make_credit_code("11340000MB6789012"), "name": "安徽省统计局",
                  "level": "province"}
NEW_USER = {"username": "new-user", "password": "new-user-password", "role": "staff",
            "department_code": JUSTICE}


def raw_json(obj: Any) -> dict[str, Any]:
    """The body as ASCII JSON text, so lone surrogates travel as ``\\ud800`` escapes."""
    return {"data": json.dumps(obj, ensure_ascii=True), "content_type": "application/json"}


def raw_bytes(data: bytes | str, content_type: str = "application/json") -> dict[str, Any]:
    return {"data": data, "content_type": content_type}


def new(title: str, **changes: Any) -> dict[str, Any]:
    """A complete record with a title no other dataset has, and ``changes``."""
    return record(title=title, **changes)


@dataclass(frozen=True)
class Case:
    name: str
    request: dict[str, Any]
    fields: tuple[str, ...] = ()            # must be named in "errors"
    status: int | tuple[int, ...] = 422
    method: str = "POST"
    path: str = "/api/datasets"             # {draft}, {submitted} filled from the world
    role: str = "steward"


def ds(name: str, body: Any, *fields: str, **options: Any) -> Case:
    """POST /api/datasets as the steward of 省公安厅."""
    return Case(name, body if _is_request(body) else {"json": body}, fields, **options)


def put(name: str, body: Any, *fields: str) -> Case:
    return Case(name, {"json": body}, fields, method="PUT", path="/api/datasets/{draft}")


def dept(name: str, body: Any, *fields: str, **options: Any) -> Case:
    request = body if _is_request(body) else {"json": body}
    return Case(name, request, fields, path="/api/departments", role="admin", **options)


def user(name: str, body: Any, *fields: str, **options: Any) -> Case:
    request = body if _is_request(body) else {"json": body}
    return Case(name, request, fields, path="/api/users", role="admin", **options)


def review(name: str, body: Any, *fields: str) -> Case:
    return Case(name, {"json": body}, fields, path="/api/datasets/{submitted}/review",
                role="reviewer")


def token(name: str, body: Any, *fields: str) -> Case:
    return Case(name, {"json": body}, fields, path="/api/tokens")


def _is_request(body: Any) -> bool:
    return isinstance(body, dict) and ("data" in body or "json" in body)


CASES: tuple[Case, ...] = (
    # wrong types
    ds("title is a number", record(title=12345), "title"),
    ds("data_items is a string", new("类型错误一", data_items="姓名,公民身份号码"), "data_items"),
    ds("formats is an object", new("类型错误二", formats={"CSV": True}), "formats"),
    ds("keywords holds a list", new("类型错误三", keywords=[["人口"]]), "keywords.0"),
    ds("formats holds null", new("类型错误四", formats=[None]), "formats.0"),
    ds("submit is not a boolean", {**new("类型错误五"), "submit": "maybe"}, "submit"),
    ds("department_code is a number", {**new("类型错误六"), "department_code": 5},
       "department_code"),
    ds("data item is a string", new("类型错误七", data_items=["姓名"]), "data_items.0._schema"),
    # nested objects where strings are expected
    ds("title is an object", record(title={"zh": "人口", "en": "population"}), "title"),
    ds("data item name is an object",
       new("嵌套错误", data_items=[{"name": {"zh": "姓名"}, "data_type": "string"}]),
       "data_items.0.name"),
    # missing required fields
    ds("title missing", record(title=None), "title"),
    ds("title null", {**record(), "title": None}, "title"),
    ds("title only spaces", new("   "), "title"),
    # a draft may be incomplete (it needs its title); submitting checks every required field
    ds("draft without a title", {"title_en": "nothing else"}, "title"),
    ds("every required field missing on submit", {"title_en": "nothing else", "submit": True},
       "title", "classification",
       "description", "resource_form", "share_type", "open_type", "update_cycle",
       "security_level"),
    ds("data item without name", new("缺少信息项名称", data_items=[{"data_type": "string"}]),
       "data_items.0.name"),
    ds("data item without type", new("缺少数据类型", data_items=[{"name": "姓名"}]),
       "data_items.0.data_type"),
    # unknown enum values and unknown fields
    ds("unknown share type", new("枚举错误一", share_type="partial"), "share_type"),
    ds("unknown security level", new("枚举错误二", security_level="机密"), "security_level"),
    ds("unknown classification", new("枚举错误三", classification="999"), "classification"),
    ds("unknown update cycle", new("枚举错误四", update_cycle="hourly"), "update_cycle"),
    ds("unknown data type", new("枚举错误五", data_items=[{"name": "姓名", "data_type": "varchar"}]),
       "data_items.0.data_type"),
    ds("unknown field", {**new("未知字段"), "owner": "张三"}, "owner"),
    ds("unknown data item field",
       new("未知信息项字段", data_items=[{"name": "姓名", "data_type": "string", "length": 20}]),
       "data_items.0.length"),
    # invalid codes
    ds("resource code abc", new("代码错误一", resource_code="abc"), "resource_code"),
    ds("resource code with a dash", new("代码错误二", resource_code="101001-000001"),
       "resource_code"),
    ds("resource code of another classification", new("代码错误三", resource_code="102001/000001"),
       "resource_code"),
    ds("resource code sequence zero", new("代码错误四", resource_code="101001/000000"),
       "resource_code"),
    ds("resource code taken", new("代码错误五", resource_code="101001/000001"), "resource_code"),
    ds("related code invalid", new("代码错误六", related=["abc"]), "related.0"),
    ds("publisher code bad check digit", new("代码错误七", publisher_code=BAD_CHECK_DIGIT),
       "publisher_code"),
    # oversize strings and lists
    ds("title of 201 characters", new("长" * 201), "title"),
    ds("description of 5000 characters", new("超长摘要", description="摘" * 5000), "description"),
    ds("201 data items", new("信息项过多", data_items=[{"name": f"项{i}", "data_type": "string"}
                                                   for i in range(201)]), "data_items"),
    ds("note of 501 characters", {**new("说明过长"), "note": "注" * 501}, "note"),
    # control characters, NUL bytes and lone surrogates in strings
    ds("NUL in title", new("全省\x00人口"), "title"),
    ds("escape sequence in description", new("控制字符", description="摘要\x1b[31m红色"),
       "description"),
    ds("vertical tab in keyword", new("控制字符二", keywords=["人\x0b口"]), "keywords.0"),
    ds("NUL in data item name", new("控制字符三", data_items=[{"name": "姓\x00名",
                                                          "data_type": "string"}]),
       "data_items.0.name"),
    ds("lone surrogate in title", raw_json(new("代理\ud800字符")), "title"),
    ds("lone surrogate in data item",
       raw_json(new("代理字符二", data_items=[{"name": "\udfff", "data_type": "string"}])),
       "data_items.0.name"),
    # dates
    ds("2024-02-30", new("日期错误一", issued="2024-02-30"), "issued"),
    ds("date in Chinese", new("日期错误二", modified="2024年6月30日"), "modified"),
    ds("modified before issued", new("日期错误三", issued="2024-06-30", modified="2023-01-01"),
       "modified"),
    # domain rules
    ds("secret on the extranet", new("涉密信息", security_level="secret"), "security_level"),
    ds("open but internal", new("开放属性冲突", open_type="open"), "security_level"),
    # what must be given is checked on submission (a draft may still lack it)
    ds("conditional sharing without basis",
       {**new("缺少依据一", share_basis=None), "submit": True}, "share_basis"),
    ds("no sharing without basis",
       {**new("缺少依据二", share_type="none", share_method=None, share_basis=None),
        "submit": True}, "share_basis"),
    ds("spreadsheet shared by database",
       new("共享方式冲突", resource_form="spreadsheet", share_method="database"), "share_method"),
    ds("duplicate title in the department", new("全省常住人口 基本信息！"), "title"),
    ds("another department's code", {**new("越权登记"), "department_code": JUSTICE},
       status=403),
    ds("administrator without department", new("管理员登记一"), "department_code", role="admin"),
    ds("administrator with unknown department",
       {**new("管理员登记二"), "department_code": make_credit_code("11340000MB9999999")},
       "department_code", role="admin"),
    # numbers
    ds("huge integer as title", raw_bytes('{"title": ' + "9" * 400 + "}"), "title"),
    ds("huge float as title", raw_bytes('{"title": 1e999}'), "title"),
    # bodies that are not a JSON object
    ds("invalid UTF-8", raw_bytes(b'{"title": "\xff\xfe\xfd"}'), status=400),
    ds("invalid JSON", raw_bytes('{"title": "人口",'), status=400),
    ds("GB18030 bytes labelled UTF-8", raw_bytes(json.dumps(new("编码错误"), ensure_ascii=False)
                                                 .encode("gb18030")), status=400),
    ds("JSON array", {"json": [new("数组")]}, "_schema"),
    ds("JSON string", {"json": "全省常住人口基本信息"}, "_schema"),
    ds("JSON null", raw_bytes("null"), "_schema", status=(400, 422)),
    ds("empty body", raw_bytes(b""), "title"),
    ds("10 MB body", raw_bytes(b'{"title": "' + b"a" * TEN_MB + b'"}'), status=413),
    ds("multipart where JSON is expected",
       {"data": {"title": "人口", "file": (io.BytesIO(b"title\n"), "a.csv")},
        "content_type": "multipart/form-data"}, status=415),
    ds("form-encoded where JSON is expected",
       {"data": {"title": "人口"}, "content_type": "application/x-www-form-urlencoded"},
       status=415),
    ds("text/plain JSON (a cross-site 'simple' request)",
       {"data": '{"title": "人口"}', "content_type": "text/plain"}, status=415),
    # PUT /api/datasets/<draft>
    put("PUT title is a number", record(title=42), "title"),
    put("PUT changes the resource code", record(title="全省暂住人口登记信息",
                                                 resource_code="101001/000099"), "resource_code"),
    put("PUT without required fields", {"title": "全省暂住人口登记信息"}, "classification"),
    put("PUT modified before issued",
        record(title="全省暂住人口登记信息", issued="2024-06-30", modified="2020-01-01"), "modified"),
    put("PUT to a title the department already uses", record(), "title"),
    put("PUT secret on the extranet", record(title="全省暂住人口登记信息", security_level="secret"),
        "security_level"),
    Case("DELETE reason with NUL", {"query_string": {"reason": "撤销\x00"}}, ("query.reason",),
         method="DELETE", path="/api/datasets/{draft}"),
    # POST /api/departments
    dept("department code of 3 characters", {**NEW_DEPARTMENT, "code": "123"}, "code"),
    dept("department code bad check digit", {**NEW_DEPARTMENT, "code": BAD_CHECK_DIGIT}, "code"),
    dept("department name missing", {k: v for k, v in NEW_DEPARTMENT.items() if k != "name"},
         "name"),
    dept("department level unknown", {**NEW_DEPARTMENT, "level": "乡镇"}, "level"),
    dept("department name is a number", {**NEW_DEPARTMENT, "name": 110}, "name"),
    dept("department unknown parent", {**NEW_DEPARTMENT, "parent_code": make_credit_code(
        "11340000MB9999999")}, "parent_code"),
    dept("department code taken", {**NEW_DEPARTMENT, "code": PUBLIC_SECURITY}, "code"),
    dept("department unknown field", {**NEW_DEPARTMENT, "budget": 1}, "budget"),
    dept("department NUL in name", {**NEW_DEPARTMENT, "name": "统计\x00局"}, "name"),
    dept("department invalid JSON", raw_bytes("{code: 1}"), status=400),
    # POST /api/users
    user("user password too short", {**NEW_USER, "password": "short"}, "password"),
    user("user unknown role", {**NEW_USER, "role": "superuser"}, "role"),
    user("user name with a space", {**NEW_USER, "username": "new user"}, "username"),
    user("user name taken", {**NEW_USER, "username": "steward"}, "username"),
    user("staff without department", {**NEW_USER, "department_code": None}, "department_code"),
    user("user unknown department", {**NEW_USER, "department_code": make_credit_code(
        "11340000MB9999999")}, "department_code"),
    user("user unknown clearance", {**NEW_USER, "clearance": "god"}, "clearance"),
    user("user password is a number", {**NEW_USER, "password": 12345678}, "password"),
    user("user JSON array", {"json": [NEW_USER]}, "_schema"),
    # POST /api/datasets/<submitted>/review
    review("review unknown action", {"action": "approve"}, "action"),
    review("review action missing", {"reason": "好"}, "action"),
    review("review action is an object", {"action": {"do": "publish"}}, "action"),
    review("return without reason", {"action": "return"}, "reason"),
    review("return with a blank reason", {"action": "return", "reason": "   "}, "reason"),
    review("review unknown field", {"action": "publish", "by": "admin"}, "by"),
    review("review reason of 2001 characters", {"action": "return", "reason": "因" * 2001},
           "reason"),
    # POST /api/tokens
    token("token name is a number", {"name": 5}, "name"),
    token("token name of 101 characters", {"name": "n" * 101}, "name"),
    token("token for another user", {"name": "x", "username": "admin"}, "username"),
    token("token body is an array", [], "_schema"),
    # inputs that once broke the parser, the error page or the store
    ds("integer of 5000 digits", raw_bytes('{"title": ' + "9" * 5000 + "}"),
       status=(400, 422)),
    ds("JSON nested 100000 deep", raw_bytes("[" * 100_000 + "]" * 100_000), status=(400, 422)),
    ds("unknown field named by a lone surrogate", raw_json({**new("代理字符键"), "\ud800": 1}),
       status=(400, 422)),
    Case("token: unknown field named by a lone surrogate", raw_json({"\ud800": 1}),
         status=(400, 422), path="/api/tokens"),
    ds("lone surrogate in landing page", raw_json(new("代理字符网址",
                                                      landing_page="http://a.cn/\ud800")),
       "landing_page"),
    ds("NUL in landing page", new("控制字符网址", landing_page="http://a.cn/\x00"),
       "landing_page"),
    user("lone surrogate in password", raw_json({**NEW_USER, "password": "password\ud800"}),
         "password"),
    user("NUL in password", {**NEW_USER, "password": "pass\x00word"}, "password"),
)

def send(api_world: ApiWorld, case: Case) -> Any:
    path = case.path.format(draft=api_world.draft, submitted=api_world.submitted)
    request = dict(case.request)
    if "data" in request and isinstance(request["data"], dict):  # a form: fresh file objects
        request["data"] = {k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v
                           for k, v in request["data"].items()}
    return api_world.client(case.role).open(case.method, path, **request)


def check_refused(response: Any, case: Case) -> None:
    expected = case.status if isinstance(case.status, tuple) else (case.status,)
    assert response.status_code in expected, \
        f"{case.name}: {response.status_code} {response.get_data()[:300]!r}"
    assert_no_traceback(response)
    body = body_of(response)
    assert set(body["message"]) == {"zh", "en"} and all(body["message"].values())
    errors = body.get("errors", {})
    missing = [name for name in case.fields if name not in errors]
    assert not missing, f"{case.name}: no message for {missing} in {errors}"
    if response.status_code == 422:
        assert errors, f"{case.name}: a 422 names the fields at fault"
    for name, messages in errors.items():
        assert messages, name
        for message in messages:
            assert set(message) == {"zh", "en"} and message["zh"] and message["en"], (name, message)
            assert CJK.search(message["zh"]), f"{case.name}: {name}: zh is not Chinese: {message}"


def test_cases_are_many_and_distinct() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.path for c in CASES} >= {"/api/datasets", "/api/datasets/{draft}", "/api/departments",
                                       "/api/users", "/api/datasets/{submitted}/review",
                                       "/api/tokens"}


def test_bad_input_is_refused_and_stores_nothing(api_world: ApiWorld,
                                                 subtests: pytest.Subtests) -> None:
    before = api_world.snapshot()
    for case in CASES:
        with subtests.test(msg=case.name):
            check_refused(send(api_world, case), case)
    assert api_world.snapshot() == before
    # and the world still works: lists still render, the same steward can register
    for role in ("steward", "staff", "admin", "anonymous"):
        assert api_world.client(role).get("/api/datasets").status_code == 200, role
    created = api_world.client("steward").post("/api/datasets", json=new("坏输入之后的正常登记"))
    assert created.status_code == 201, created.get_data()[:300]


def test_title_of_punctuation_only_is_refused(api_world: ApiWorld) -> None:
    before = api_world.snapshot()
    case = ds("title of punctuation only", new("！！！"), "title")
    check_refused(send(api_world, case), case)
    assert api_world.snapshot() == before
