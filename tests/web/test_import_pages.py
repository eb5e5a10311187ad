"""The import pages: upload (CSRF checked), the job page refreshing itself while it runs (no
script), the report once it ended; Chinese first, English on ?lang=en."""

from __future__ import annotations

import io
import re

from harvesters.worker import Worker
from tests.catalog.test_import_jobs import csv_file, row, titles
from tests.factories import World
from tests.web.conftest import Browser


def upload(browser: Browser, data: bytes, **form: str):
    token = browser.token("/imports")
    return browser.client.post("/imports", data={"file": (io.BytesIO(data), "目录.csv"),
                                                 "csrf_token": token, **form},
                               content_type="multipart/form-data")


def work(world: World) -> None:
    Worker(world.services, echo=lambda _line: None).run_once()


def test_a_steward_uploads_and_follows_the_job_to_its_report(browser: Browser, world: World):
    browser.login("steward")
    page = browser.get("/imports").get_data(as_text=True)
    assert "目录表批量导入" in page and 'enctype="multipart/form-data"' in page
    started = upload(browser, csv_file(titles(6)), mode="keep")
    assert started.status_code == 302
    job_url = started.headers["Location"]
    assert re.search(r"/imports/\d+$", job_url)
    running = browser.get(job_url).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in running and "排队中" in running
    assert "<script>" not in running
    work(world)
    done = browser.get(job_url).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done and "已完成" in done
    assert "全省第5号人口信息" in done and 'value="100"' in done
    english = browser.get(job_url + "?lang=en").get_data(as_text=True)
    assert "Succeeded" in english and "Created" in english
    assert "目录.csv" in browser.get("/imports").get_data(as_text=True)


def test_the_report_of_a_refused_file_and_who_may_see_it(browser: Browser, world: World):
    browser.login("steward")
    started = upload(browser, csv_file([row("甲"), row("乙", summary="")]))
    job_url = started.headers["Location"]
    work(world)
    done = browser.get(job_url).get_data(as_text=True)
    assert "失败" in done and "未导入任何记录" in done and "description" in done
    other = Browser(browser.client.application.test_client())
    other.login("steward_other")
    assert other.get(job_url).status_code == 404
    assert job_url not in other.get("/imports").get_data(as_text=True)


def test_an_upload_without_the_csrf_token_or_by_staff_is_refused(browser: Browser,
                                                                 world: World):
    browser.login("steward")
    bare = browser.client.post("/imports", data={"file": (io.BytesIO(csv_file(titles(1))),
                                                          "a.csv")},
                               content_type="multipart/form-data")
    assert bare.status_code == 400
    staff = Browser(browser.client.application.test_client())
    staff.login("staff")
    assert 'type="file"' not in staff.get("/imports").get_data(as_text=True)
    assert upload(staff, csv_file(titles(1))).status_code == 403
    assert world.services.imports.list(world.admin)["total"] == 0
    empty = upload(browser, b"")
    assert empty.status_code == 422 and "文件为空" in empty.get_data(as_text=True)
