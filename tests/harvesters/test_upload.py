"""Spreadsheet sources with an uploaded file: the API (multipart) and ``mulu harvest add --file``
keep a copy under the data dir; the source's url is an ``upload:`` reference, never a path."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from catalog.app import create_app
from catalog.cli import main
from catalog.db import HarvestSource
from catalog.errors import InvalidInput
from harvesters import report, uploads
from harvesters.uploads import SpreadsheetUpload, UploadTooLarge
from tests.api.conftest import ApiClient
from tests.factories import MARKET, PUBLIC_SECURITY, World
from tests.harvesters.conftest import cli, cli_world, count_datasets
from tests.harvesters.server import FIXTURES

CONFIG = {"defaults": {"classification": "201"}}  # 柳州市 rows have no classification


def liuzhou(limit: int) -> tuple[list[str], list[list[str]]]:
    """Real rows of the 柳州市 portal export: 标题, 来源部门, 更新频率, 开放条件 …"""
    rows = json.loads((FIXTURES / "cn-opendata" / "guangxi_liuzhou.json")
                      .read_text(encoding="utf-8"))[:limit]
    header = list(rows[0])
    return header, [[str(r.get(h, "")) for h in header] for r in rows]


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode(encoding)


def xlsx_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload_dir(w: World) -> Path:
    return uploads.root_of(w.services.settings.data_dir)


def stored_files(w: World) -> list[str]:
    root = upload_dir(w)
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def source_count(w: World) -> int:
    with w.services.store.reading() as session:
        return session.scalar(select(func.count()).select_from(HarvestSource)) or 0


@pytest.fixture
def api(world: World) -> dict[str, ApiClient]:
    app = create_app(world.services.settings, store=world.services.store)
    services = app.extensions["mulu"]
    return {name: ApiClient(app, services.accounts.create_token(world.admin, name, "t"))
            for name in ("steward", "steward_other", "reviewer", "admin")}


def form(data: bytes, filename: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"file": (io.BytesIO(data), filename)}
    body.update({k: json.dumps(v) if isinstance(v, dict) else v for k, v in fields.items()})
    return {"data": body, "content_type": "multipart/form-data"}


def test_api_upload_of_an_xlsx_is_kept_and_harvested(world, api):
    header, rows = liuzhou(25)
    created = api["steward"].post("/api/harvest/sources",
                                  **form(xlsx_bytes(header, rows), "柳州市目录.xlsx",
                                         config=CONFIG, schedule="daily"))
    assert created.status_code == 201, created.json
    body = created.json
    assert body["type"] == "spreadsheet" and body["state"] == "pending"
    assert body["url"].startswith("upload:") and body["url"].endswith(".xlsx")
    assert body["file_name"] == "柳州市目录.xlsx" and body["name"] == "柳州市目录.xlsx"
    data_dir = str(world.services.settings.data_dir)
    listed = api["steward"].get("/api/harvest/sources").get_data(as_text=True)
    for text in (created.get_data(as_text=True), listed):
        assert data_dir not in text and "/uploads/" not in text
    assert stored_files(world) == [body["url"].removeprefix("upload:")]
    api["reviewer"].post(f"/api/harvest/sources/{body['id']}/review", json={"action": "approve"})
    report = world.services.harvest.run(world.steward, body["id"], sleep=lambda _s: None)
    assert report["status"] == "succeeded", report["errors"]
    assert report["counts"]["created"] == 25 and count_datasets(world) == 25


def test_api_upload_of_a_gb18030_csv(world, api):
    header, rows = liuzhou(40)
    created = api["admin"].post("/api/harvest/sources", **form(
        csv_bytes(header, rows, "gb18030"), "liuzhou.csv", config=CONFIG,
        department_code=PUBLIC_SECURITY, name="柳州市开放目录"))
    assert created.status_code == 201, created.json
    assert created.json["file_name"] == "liuzhou.csv" and created.json["name"] == "柳州市开放目录"
    assert created.json["department_code"] == PUBLIC_SECURITY
    world.services.harvest.review_source(world.reviewer, created.json["id"])
    report = world.services.harvest.run(world.admin, created.json["id"], sleep=lambda _s: None)
    assert report["counts"]["created"] == 40, report["errors"]
    titles = {d.record["title"] for d in world.services.datasets.list(world.admin, page_size=200).items}
    assert rows[0][header.index("标题")] in titles


@pytest.fixture
def small_limit(world: World, monkeypatch) -> int:
    """``Settings.max_sheet_bytes`` at 256 KB (the one spreadsheet limit, 64 MB by default)."""
    limit = 256 * 1024
    monkeypatch.setattr(world.services.store, "settings",
                        world.services.settings.with_overrides(max_sheet_bytes=limit))
    return limit


def test_oversize_upload_is_413_and_stores_nothing(world, api, small_limit):
    big = b"a" * (small_limit + 1024)
    response = api["steward"].post("/api/harvest/sources", **form(big, "big.csv"))
    assert response.status_code == 413 and response.json["message"]["zh"]
    far = api["steward"].post("/api/harvest/sources", **form(big * 2, "big.csv"))
    assert far.status_code == 413     # the request body itself is over the limit
    with pytest.raises(UploadTooLarge):  # the service's own limit (a body under the cap)
        world.services.harvest.add_source(world.steward, {"type": "spreadsheet"},
                                          upload=SpreadsheetUpload(big, "big.csv"))
    assert stored_files(world) == [] and source_count(world) == 0


@pytest.mark.parametrize("data, filename", [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "picture.png"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "catalog.xlsx"),
    (b"PK\x03\x04 this is not a workbook", "catalog.xlsx"),
    ("姓名,年龄\n张三,30\n".encode(), "people.csv"),          # a CSV, but no catalog header
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.xls"),   # old Excel
    (b"   \n", "empty.csv"),
], ids=["png", "png-named-xlsx", "broken-zip", "no-header", "xls", "empty"])
def test_not_a_spreadsheet_is_422_on_file_and_stores_nothing(world, api, data, filename):
    response = api["steward"].post("/api/harvest/sources", **form(data, filename))
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == ["file"]
    assert response.json["errors"]["file"][0]["zh"] and response.json["errors"]["file"][0]["en"]
    assert stored_files(world) == [] and source_count(world) == 0


def test_upload_for_another_department_is_refused(world, api):
    header, rows = liuzhou(3)
    refused = api["steward_other"].post("/api/harvest/sources", **form(
        csv_bytes(header, rows), "a.csv", department_code=PUBLIC_SECURITY))
    assert refused.status_code == 403
    assert stored_files(world) == [] and source_count(world) == 0
    own = api["steward"].post("/api/harvest/sources", **form(csv_bytes(header, rows), "a.csv"))
    assert own.status_code == 201
    assert api["steward_other"].get(f"/api/harvest/sources/{own.json['id']}").status_code == 404
    replaced = api["steward_other"].open("PATCH", f"/api/harvest/sources/{own.json['id']}",
                                          **form(csv_bytes(header, rows[:1]), "b.csv"))
    assert replaced.status_code == 404
    assert len(stored_files(world)) == 1


def test_bad_form_fields_are_field_errors(world, api):
    header, rows = liuzhou(3)
    data = csv_bytes(header, rows)
    for fields, name in (({"config": "{not json"}, "config"), ({"type": "ckan"}, "type"),
                         ({"schedule": "yearly"}, "schedule"),
                         ({"config": {"defaults": {"colour": "red"}}}, "config.defaults"),
                         ({"config": {"organizations": {"某局": "0" * 18}}},  # after storing
                          "config.organizations")):
        response = api["steward"].post("/api/harvest/sources", **form(data, "a.csv", **fields))
        assert response.status_code == 422, (fields, response.json)
        assert any(key.endswith(name) for key in response.json["errors"]), response.json
    missing = api["steward"].post("/api/harvest/sources", data={"type": "spreadsheet"},
                                  content_type="multipart/form-data")
    assert missing.status_code == 422 and "files.file" in missing.json["errors"]
    both = world.services.harvest
    with pytest.raises(InvalidInput):
        both.add_source(world.steward, {"type": "spreadsheet", "url": "http://x.example/a.csv"},
                        upload=SpreadsheetUpload(data, "a.csv"))
    assert stored_files(world) == [] and source_count(world) == 0


def test_replacing_the_file_needs_approval_again_and_drops_the_old_copy(world, api):
    header, rows = liuzhou(10)
    created = api["steward"].post("/api/harvest/sources",
                                  **form(csv_bytes(header, rows), "v1.csv", config=CONFIG)).json
    world.services.harvest.review_source(world.reviewer, created["id"])
    first = world.services.harvest.run(world.steward, created["id"], sleep=lambda _s: None)
    assert first["counts"]["created"] == 10
    same = api["steward"].open("PATCH", f"/api/harvest/sources/{created['id']}",
                                **form(csv_bytes(header, rows), "v1.csv"))
    assert same.status_code == 200 and same.json["state"] == "approved"  # the very same bytes
    rows[0][header.index("标题")] += "（修订）"
    replaced = api["steward"].put(f"/api/harvest/sources/{created['id']}",
                                  **form(csv_bytes(header, rows), "v2.csv"))
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["state"] == "pending" and replaced.json["file_name"] == "v2.csv"
    assert replaced.json["url"] != created["url"]
    assert stored_files(world) == [replaced.json["url"].removeprefix("upload:")]
    bad = api["steward"].open("PATCH", f"/api/harvest/sources/{created['id']}",
                               **form(b"not, a catalog\n1, 2\n", "v3.csv"))
    assert bad.status_code == 422 and len(stored_files(world)) == 1
    world.services.harvest.review_source(world.reviewer, created["id"])
    second = world.services.harvest.run(world.steward, created["id"], sleep=lambda _s: None)
    assert second["counts"]["created"] == 1 and second["counts"]["withdrawn"] == 1
    assert second["counts"]["unchanged"] == 9


def test_a_forged_upload_reference_is_refused(world):
    harvest = world.services.harvest
    for url in ("upload:../../mulu.db", "upload:0123456789abcdef0123456789abcdef.csv",
                "/etc/passwd"):
        with pytest.raises(InvalidInput):
            harvest.add_source(world.steward, {"type": "spreadsheet", "url": url})
    assert uploads.local_path("upload:../../etc/passwd").is_file() is False


# -- the command line --------------------------------------------------------------------------

def test_cli_add_file_survives_the_original_going_away(data_dir, tmp_path):
    cli_world(data_dir)
    header, rows = liuzhou(12)
    original = tmp_path / "elsewhere" / "柳州.csv"
    original.parent.mkdir()
    original.write_bytes(csv_bytes(header, rows, "gb18030"))
    d = ("--data-dir", str(data_dir))
    added = CliRunner().invoke(main, ["harvest", "add", *d, "--type", "spreadsheet", "--file",
                                      str(original), "--department", PUBLIC_SECURITY,
                                      "--default", "classification=201"])
    assert added.exit_code == 0 and added.stdout.strip().isdigit(), added.output
    assert added.stdout == added.stdout.strip() + "\n"  # only the id: scriptable
    source = added.stdout.strip()
    original.unlink()
    original.parent.rmdir()
    cli("harvest", "approve", *d, source)
    report = json.loads(cli("harvest", "run", *d, source, "--json"))
    assert report["status"] == "succeeded" and report["counts"]["created"] == 12
    listed = cli("harvest", "list", *d)
    assert "柳州.csv" in listed and str(tmp_path) not in listed
    as_json = json.loads(cli("harvest", "list", *d, "--json"))
    assert as_json[0]["file_name"] == "柳州.csv" and as_json[0]["url"].startswith("upload:")
    refused = cli("harvest", "add", *d, "--type", "spreadsheet", "--file", __file__,
                  "--department", PUBLIC_SECURITY, code=2)
    assert "file" in refused and "Traceback" not in refused
    assert "config" in cli("harvest", "add", *d, "--type", "ckan", "--url", "http://x.example/",
                           "--department", MARKET, "--config", "{oops", code=2)


def test_reports_name_the_uploaded_file_never_a_server_path(world, api):
    header, rows = liuzhou(3)
    created = api["steward"].post("/api/harvest/sources",
                                  **form(xlsx_bytes(header, rows), "柳州市目录.xlsx",
                                         config=CONFIG)).json
    api["reviewer"].post(f"/api/harvest/sources/{created['id']}/review", json={"action": "approve"})
    data_dir = str(world.services.settings.data_dir)
    first = world.services.harvest.run(world.steward, created["id"], sleep=lambda _s: None)
    assert first["source"]["file_name"] == "柳州市目录.xlsx"
    assert "柳州市目录.xlsx" in report.render(first)
    for stored in upload_dir(world).iterdir():   # the stored copy is lost on the server
        stored.unlink()
    second = world.services.harvest.run(world.steward, created["id"], sleep=lambda _s: None)
    assert second["status"] == "failed" and "source.missing" in json.dumps(second["errors"])
    for shown in (json.dumps(second, ensure_ascii=False), report.render(second),
                  api["steward"].get(f"/api/harvest/jobs/{second['job']}").get_data(as_text=True)):
        assert data_dir not in shown and "/uploads/" not in shown


@pytest.mark.parametrize(("body", "content_type"), [
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'"ckan"', "application/json"),
    (b"type=ckan", "text/plain"),
    (b"", "application/json"),
])
def test_a_body_that_is_not_a_json_object_is_a_clear_4xx(world, api, body, content_type):
    source = api["admin"].post("/api/harvest/sources", json={
        "type": "ckan", "url": "https://data.example.gov.cn/", "department_code": PUBLIC_SECURITY})
    assert source.status_code == 201, source.json
    before = source_count(world)
    for path, method in (("/api/harvest/sources", "post"),
                         (f"/api/harvest/sources/{source.json['id']}", "patch")):
        response = api["admin"].open(method.upper(), path, data=body,
                                     content_type=content_type)
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert response.is_json and "Traceback" not in response.get_data(as_text=True)
    assert source_count(world) == before
