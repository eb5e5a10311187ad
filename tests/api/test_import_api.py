"""POST /api/datasets/import and the template downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from catalog.actors import SYSTEM
from catalog.app import create_app
from catalog.db import Dataset
from catalog.services import Services
from catalog.spreadsheet import EXAMPLE, XLSX_TYPE, template_csv, template_xlsx
from catalog.store import Store
from tests.factories import JUSTICE, World, build_world

IMPORT = "/api/datasets/import"


@dataclass
class Env:
    app: Flask
    services: Services
    world: World
    tokens: dict[str, str]

    def post(self, role: str | None, data: dict[str, Any]) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.app.test_client().post(IMPORT, data=data, headers=headers,
                                           content_type="multipart/form-data")

    def count(self) -> int:
        with self.services.store.reading() as session:
            return session.scalar(select(func.count()).select_from(Dataset)) or 0


@pytest.fixture
def env(sqlite_store: Store) -> Iterator[Env]:
    app = create_app(sqlite_store.settings, store=sqlite_store)
    services: Services = app.extensions["mulu"]
    world = build_world(services)
    tokens = {name: services.accounts.create_token(SYSTEM, name)
              for name in ("steward", "staff", "admin")}
    yield Env(app, services, world, tokens)


def upload(data: bytes, name: str, **form: Any) -> dict[str, Any]:
    return {"file": (io.BytesIO(data), name), **form}


def csv_file(*titles_and_changes: tuple[str, dict[str, str]]) -> bytes:
    rows = list(csv.reader(io.StringIO(template_csv().decode("utf-8-sig"))))
    header, example = rows[0], rows[2]
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for title, changes in titles_and_changes:
        values = dict(zip(header, example, strict=True))
        values.update({"信息资源名称*": title, **changes})
        writer.writerow([values[h] for h in header])
    return out.getvalue().encode("utf-8-sig")


def test_steward_imports_the_template(env: Env):
    response = env.post("steward", upload(template_xlsx(), "目录.xlsx"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["created"] == 1 and body["ignored_columns"] == []
    item = body["items"][0]
    assert (item["row"], item["title"], item["resource_code"]) == \
        (3, EXAMPLE["title"], "102002/000001")
    # /api/datasets/<dataset_id> still answers for the created dataset
    got = env.app.test_client().get(f"/api/datasets/{item['id']}",
                                    headers={"Authorization": f"Bearer {env.tokens['steward']}"})
    assert got.status_code == 200
    assert got.get_json()["state"] == "draft" and got.get_json()["open_type"] == "open"


def test_admin_imports_for_a_department_and_submits(env: Env):
    data = csv_file(("全省社区矫正对象信息", {"信息资源分类*": "行政执法"}),
                    ("全省法律援助案件信息", {"信息资源分类*": "302002"}))
    response = env.post("admin", upload(data, "目录.csv", department_code=JUSTICE, submit="true"))
    assert response.status_code == 201, response.get_json()
    items = response.get_json()["items"]
    assert [i["row"] for i in items] == [2, 3]
    views = [env.services.datasets.get(env.world.admin, i["id"]) for i in items]
    assert {v.state for v in views} == {"submitted"}
    assert {v.department_code for v in views} == {JUSTICE}
    assert [v.resource_code for v in views] == ["302002/000001", "302002/000002"]
    nowhere = env.post("admin", upload(data, "目录.csv"))
    assert nowhere.status_code == 422 and list(nowhere.get_json()["errors"]) == ["department_code"]


def test_row_errors_are_422_and_nothing_is_stored(env: Env):
    data = csv_file(("甲", {}), ("乙", {"共享类型*": "看情况"}), ("丙", {"密级*": "公开"}),
                    ("丁", {"共享类型*": "有条件共享", "共享依据": ""}))
    before = env.count()
    response = env.post("steward", upload(data, "目录.csv"))
    assert response.status_code == 422
    body = response.get_json()
    assert list(body["errors"]) == ["row 3: share_type", "row 5: share_basis"]
    message = body["errors"]["row 3: share_type"][0]
    assert "看情况" in message["zh"] and "无条件共享" in message["zh"] and message["en"]
    assert "2 行有误" in body["message"]["zh"]
    assert env.count() == before


def test_file_errors_are_422(env: Env):
    response = env.post("steward", upload("不是表格".encode("utf-16"), "目录.csv"))
    assert response.status_code == 422
    assert "编码" in response.get_json()["errors"]["file"][0]["zh"]
    response = env.post("steward", upload(b"plain text", "目录.xlsx"))
    assert response.status_code == 422 and "zip" in response.get_json()["errors"]["file"][0]["en"]
    missing = env.post("steward", {"submit": "true"})
    assert missing.status_code == 422 and "files.file" in missing.get_json()["errors"]


def test_anonymous_401_and_staff_403(env: Env):
    before = env.count()
    anonymous = env.post(None, upload(template_xlsx(), "目录.xlsx"))
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"]
    staff = env.post("staff", upload(template_xlsx(), "目录.xlsx"))
    assert staff.status_code == 403 and staff.get_json()["message"]["zh"]
    assert env.count() == before


def test_templates_download_for_anyone_and_routes_do_not_collide(env: Env):
    client = env.app.test_client()
    xlsx = client.get("/api/datasets/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX_TYPE
    assert "attachment" in xlsx.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    assert sheet["A1"].value == "信息资源名称*"
    text = client.get("/api/datasets/template.csv")
    assert text.status_code == 200 and text.mimetype == "text/csv"
    assert text.data.startswith(b"\xef\xbb\xbf")
    assert text.data == template_csv()
    rules = {rule.rule: rule.endpoint for rule in env.app.url_map.iter_rules()}
    adapter = env.app.url_map.bind("localhost")
    assert adapter.match("/api/datasets/import", method="POST")[0] == rules[IMPORT]
    assert adapter.match("/api/datasets/template.xlsx", method="GET")[0] \
        == rules["/api/datasets/template.xlsx"]
    assert adapter.match("/api/datasets/template.csv", method="GET")[0] \
        == rules["/api/datasets/template.csv"]
    spec = client.get("/api/openapi.json").get_json()
    assert "multipart/form-data" in spec["paths"][IMPORT]["post"]["requestBody"]["content"]
    assert "/api/datasets/template.xlsx" in spec["paths"]


def test_a_large_file_in_one_request_all_or_none(env: Env):
    """1,200 rows (more than one storing batch): all created in one request; the same file
    with one taken code near its end: 422 naming that row, nothing stored."""
    titles = [(f"全省第{n}号法律援助信息", {"信息资源分类*": "302002"}) for n in range(1200)]
    response = env.post("steward", upload(csv_file(*titles), "目录.csv"))
    assert response.status_code == 201, response.get_json()
    items = response.get_json()["items"]
    assert len(items) == 1200 and items[-1]["row"] == 1201
    assert len({i["resource_code"] for i in items}) == 1200
    taken = items[0]["resource_code"]
    again = [(f"全省第{n}号司法鉴定信息", {"信息资源分类*": "302002"}) for n in range(1200)]
    again[1150][1]["信息资源代码"] = taken
    before = env.count()
    refused = env.post("steward", upload(csv_file(*again), "目录.csv"))
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == ["row 1152: resource_code"]
    assert env.count() == before
