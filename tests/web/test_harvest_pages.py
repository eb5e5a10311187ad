"""The harvest pages on both stores: register a source (URL or spreadsheet upload), approve it
as a reviewer (never one's own), run it now (a job for the worker), follow the job's page
(refreshing itself while it runs: no script) to its report — counts, problems by error type,
items with paging and each item's raw payload one click away, through the access policy of
``GET /api/harvest/jobs/<id>/items``; edit, disable and enable; bad input shows the form again."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from catalog.actors import SYSTEM
from catalog.app import create_app
from catalog.db import HarvestJob, HarvestSource
from catalog.store import Store
from harvesters import jobs
from harvesters.worker import Worker
from tests.catalog.test_import_jobs import csv_file, titles
from tests.factories import PUBLIC_SECURITY, World, record
from tests.harvesters.conftest import FAST, LOCAL_SOURCES, FakeCkan, datasets, full_packages
from tests.harvesters.server import Site
from tests.harvesters.test_keep_and_flag import publish
from tests.web.conftest import Browser

FAST_CONFIG = json.dumps({"limits": FAST})


@pytest.fixture
def app(store: Store) -> Flask:
    """The web app on each store; the fake sources on 127.0.0.1 allowed, as in tests/harvesters."""
    store.settings = store.settings.with_overrides(harvest_allow_networks=LOCAL_SOURCES)
    app = create_app(store.settings, store=store)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.stop()


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def work(world: World) -> None:
    Worker(world.services, echo=lambda _line: None, kinds=("harvest",)).run_once()


def register(browser: Browser, files: dict[str, Any] | None = None, **form: str) -> Any:
    """POST the register form as a browser does (multipart, with the page's CSRF token)."""
    data: dict[str, Any] = {"type": "ckan", "url": "", "name": "", "schedule": "manual",
                            "config": FAST_CONFIG, **form, **(files or {}),
                            "csrf_token": browser.token("/harvest/new")}
    return browser.client.post("/harvest/new", data=data, content_type="multipart/form-data")


def source_id_of(response: Any) -> int:
    assert response.status_code == 302, text(response)
    found = re.search(r"/harvest/sources/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def run_now(browser: Browser, source_id: int) -> str:
    """Press "run now"; returns the job page's address."""
    page = f"/harvest/sources/{source_id}"
    response = browser.post(f"{page}/run", form_page=page)
    assert response.status_code == 302, text(response)
    assert re.search(r"/harvest/jobs/\d+$", response.headers["Location"])
    return response.headers["Location"]


def test_register_approve_run_and_read_the_report(app: Flask, world: World, browser_as,
                                                  site: Site) -> None:
    ckan = FakeCkan(site, full_packages()[:3])
    steward = browser_as("steward")
    listing = text(steward.get("/harvest"))
    assert "采集数据源" in listing and 'href="/harvest/new"' in listing
    form = text(steward.get("/harvest/new"))
    assert 'enctype="multipart/form-data"' in form and 'name="csrf_token"' in form
    for control in ("f-type", "f-url", "f-file", "f-name", "f-schedule", "f-config"):
        assert f'<label for="{control}"' in form, control

    source_id = source_id_of(register(steward, url=ckan.url, name="省公安厅数据开放平台"))
    page = text(steward.get(f"/harvest/sources/{source_id}"))
    assert "省公安厅数据开放平台" in page and "待审批" in page and ckan.url in page
    assert "数据源已登记" in page
    # the steward may not approve it, nor run it before approval
    assert "/review" not in page and "立即采集" not in page

    reviewer = browser_as("reviewer")
    shown = text(reviewer.get(f"/harvest/sources/{source_id}"))
    assert 'value="approve"' in shown and 'value="reject"' in shown
    assert "立即采集" not in shown and "/edit" not in shown     # not a steward
    approved = reviewer.post(f"/harvest/sources/{source_id}/review",
                             {"action": "approve", "note": "地址已核实"},
                             form_page=f"/harvest/sources/{source_id}")
    assert approved.status_code == 302
    page = text(reviewer.get(f"/harvest/sources/{source_id}"))
    assert "数据源已批准" in page and "已批准" in page and "地址已核实" in page
    assert 'value="approve"' not in page

    job_url = run_now(steward, source_id)
    queued = text(steward.get(job_url))
    assert '<meta http-equiv="refresh" content="2">' in queued
    assert "排队中" in queued and "等待采集进程领取任务" in queued
    work(world)
    done = text(steward.get(job_url))
    assert 'http-equiv="refresh"' not in done and "已完成" in done
    counts = re.search(r'<tr class="count-created"><th>新增</th><td>(\d+)</td>', done)
    assert counts and counts.group(1) == "3", done
    assert "列表完整：共 3 条记录" in done
    raw_links = re.findall(r'href="(/harvest/jobs/\d+/items/\d+)"', done)
    assert len(raw_links) == 3
    raw = text(steward.get(raw_links[0]))
    assert "原始数据" in raw and '<pre class="harvest-raw"' in raw and "&#34;name&#34;:" in raw
    assert "<script>" not in done

    english = text(steward.get(job_url + "?lang=en"))
    assert "Succeeded" in english and "Created" in english and "Raw payload" in english
    listing = text(steward.get("/harvest?lang=zh"))     # the language stays chosen
    assert f'href="{job_url}"' in listing and "已完成" in listing
    # the dataset page's provenance line links to the source and the job
    dataset = next(iter(datasets(world).values()))
    provenance = text(steward.get(f"/datasets/{dataset.id}"))
    assert f'href="/harvest/sources/{source_id}"' in provenance
    assert f'href="{job_url}"' in provenance


def test_a_reviewer_rejects_only_with_a_reason(app: Flask, world: World, browser_as,
                                               site: Site) -> None:
    source_id = source_id_of(register(browser_as("steward"), url=FakeCkan(site, []).url))
    reviewer = browser_as("reviewer")
    page = f"/harvest/sources/{source_id}"
    refused = reviewer.post(f"{page}/review", {"action": "reject", "note": " "}, form_page=page)
    assert refused.status_code == 422
    assert "驳回必须说明理由" in text(refused) and 'aria-invalid="true"' in text(refused)
    assert world.services.harvest.get_source(world.admin, source_id).state == "pending"
    rejected = reviewer.post(f"{page}/review", {"action": "reject", "note": "非本部门门户"},
                             form_page=page)
    assert rejected.status_code == 302
    shown = text(reviewer.get(page))
    assert "已驳回" in shown and "非本部门门户" in shown


def test_no_self_approval(app: Flask, world: World, browser_as, site: Site) -> None:
    admin = browser_as("admin")
    source_id = source_id_of(register(admin, url=FakeCkan(site, []).url,
                                      department_code=PUBLIC_SECURITY))
    page = f"/harvest/sources/{source_id}"
    assert 'value="approve"' not in text(admin.get(page))      # no control for one's own source
    refused = admin.post(f"{page}/review", {"action": "approve"}, form_page=page)
    assert refused.status_code == 403
    assert "不能审批自己登记的数据源" in text(refused)
    assert world.services.harvest.get_source(world.admin, source_id).state == "pending"


def test_bad_input_shows_the_form_again_and_stores_nothing(app: Flask, world: World,
                                                           browser_as, site: Site) -> None:
    steward = browser_as("steward")
    ckan = FakeCkan(site, [])
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({}, "url", "请填写数据源地址或上传目录表文件"),
        ({"url": "ftp://example.gov.cn/x"}, "url", "http(s)"),
        ({"url": ckan.url, "config": "{not json"}, "config", "配置应为 JSON 对象"),
        ({"url": ckan.url, "config": '{"colour": 1}'}, "config", "未知字段"),
        ({"url": "http://169.254.169.254/latest"}, "url", ""),
        ({"url": ckan.url, "schedule": "yearly"}, "schedule", ""),
    ]
    for form, field, words in cases:
        response = register(steward, **form)
        page = text(response)
        assert response.status_code == 422, (form, page)
        assert 'id="error-summary"' in page and f'href="#f-{field}"' in page, (form, page)
        assert words in page, (form, words)
        assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', page), form
        assert "Traceback" not in page
    kept = register(steward, url=ckan.url, name="保留的名称", config="{oops")
    assert 'value="保留的名称"' in text(kept) and "{oops" in text(kept)   # what was typed stays
    both = register(steward, url=ckan.url, type="spreadsheet",
                    files={"file": (io.BytesIO(csv_file(titles(2))), "目录.csv")})
    assert both.status_code == 422 and "地址和上传文件只能给出一个" in text(both)
    with world.services.store.reading() as session:
        assert list(session.scalars(select(HarvestSource))) == []


def test_a_spreadsheet_upload_and_its_size_rule(app: Flask, world: World, browser_as) -> None:
    steward = browser_as("steward")
    upload = {"file": (io.BytesIO(csv_file(titles(4))), "省公安厅目录.csv")}
    source_id = source_id_of(register(steward, type="spreadsheet", files=upload, config=""))
    page = text(steward.get(f"/harvest/sources/{source_id}"))
    assert "省公安厅目录.csv" in page and "目录表" in page
    unreadable = register(steward, type="spreadsheet", config="",
                          files={"file": (io.BytesIO(b"\x00\x01"), "x.xlsx")})
    assert unreadable.status_code == 422 and 'href="#f-file"' in text(unreadable)
    store = world.services.store
    store.settings = store.settings.with_overrides(max_sheet_bytes=1024)   # the import's rule
    large = register(steward, type="spreadsheet", config="",
                     files={"file": (io.BytesIO(csv_file(titles(40))), "大.csv")})
    assert large.status_code == 413 and "文件超过" in text(large)
    assert 'href="#f-file"' in text(large)
    assert len(world.services.harvest.list_sources(world.admin)) == 1


def test_edit_disable_and_enable(app: Flask, world: World, browser_as, site: Site) -> None:
    steward = browser_as("steward")
    first, second = FakeCkan(site, []), FakeCkan(site, [], prefix="/other/api/action")
    source_id = source_id_of(register(steward, url=first.url))
    world.services.harvest.review_source(world.reviewer, source_id, "approve")
    page = f"/harvest/sources/{source_id}"
    edit = text(steward.get(f"{page}/edit"))
    assert f'value="{first.url}"' in edit and "需重新审批" in edit
    renamed = steward.post(f"{page}/edit", {"type": "ckan", "url": first.url, "name": "新名称",
                                            "schedule": "daily", "config": FAST_CONFIG},
                           form_page=f"{page}/edit")
    assert renamed.status_code == 302
    view = world.services.harvest.get_source(world.admin, source_id)
    assert (view.name, view.schedule, view.state) == ("新名称", "daily", "approved")
    moved = steward.post(f"{page}/edit", {"type": "ckan", "url": second.url + "other",
                                          "name": "新名称", "schedule": "daily",
                                          "config": FAST_CONFIG}, form_page=f"{page}/edit")
    assert moved.status_code == 302
    shown = text(steward.get(page))
    assert "需重新审批" in shown and "待审批" in shown
    bad = steward.post(f"{page}/edit", {"type": "ckan", "url": "nonsense", "name": "x",
                                        "schedule": "daily", "config": ""},
                       form_page=f"{page}/edit")
    assert bad.status_code == 422 and 'href="#f-url"' in text(bad)

    disabled = steward.post(f"{page}/disable", form_page=page)
    assert disabled.status_code == 302
    shown = text(steward.get(page))
    assert "数据源已停用" in shown and "已停用" in shown and "立即采集" not in shown
    assert f"{page}/enable" in shown and f"{page}/disable" not in shown
    again = steward.post(f"{page}/disable", form_page=page)
    assert again.status_code == 409 and "不能停用" in text(again)
    assert steward.post(f"{page}/enable", form_page=page).status_code == 302
    assert world.services.harvest.get_source(world.admin, source_id).state == "pending"


def test_who_sees_which_controls_and_pages(app: Flask, world: World, browser_as,
                                           site: Site) -> None:
    source_id = source_id_of(register(browser_as("steward"), url=FakeCkan(site, []).url))
    world.services.harvest.review_source(world.reviewer, source_id, "approve")
    job = world.services.harvest.enqueue(world.steward, source_id)["job"]
    page = f"/harvest/sources/{source_id}"
    own_staff = browser_as("staff_own")       # the department's staff: reads, does nothing
    shown = text(own_staff.get(page))
    assert "省公安厅" in shown and "立即采集" not in shown and "/edit" not in shown
    assert own_staff.get(f"/harvest/jobs/{job}").status_code == 200
    assert own_staff.post(f"{page}/run", form_page=page).status_code == 403
    assert own_staff.get("/harvest/new").status_code == 403
    other = browser_as("steward_other")        # another department: nothing of it
    assert other.get(page).status_code == 404
    assert other.get(f"/harvest/jobs/{job}").status_code == 404
    assert other.post(f"{page}/run", form_page="/harvest").status_code == 404
    assert f"/harvest/sources/{source_id}" not in text(other.get("/harvest"))
    anonymous = app.test_client().get("/harvest")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    without_token = browser_as("steward").client.post(f"{page}/run")
    assert without_token.status_code == 400
    # a second run while one is queued: the service's conflict, on the source page
    steward = browser_as("steward")
    twice = steward.post(f"{page}/run", form_page=page)
    assert twice.status_code == 409 and "已有排队或运行中的采集任务" in text(twice)


def _public_clearance_staff(world: World) -> None:
    world.services.accounts.create_user(SYSTEM, "gat-public", "gat-public-password", "staff",
                                        department_code=PUBLIC_SECURITY, clearance="public")


def test_payloads_are_shown_only_to_who_may_see_their_dataset(app: Flask, world: World,
                                                              browser_as, site: Site) -> None:
    """Issue 14 item 1 through the pages: the same service call as the API's item list."""
    rows = [("internal-population", record(title="全省户籍人口内部统计", resource_code=None,
                                           security_level="internal", open_type="closed")),
            ("service-points", record(title="户籍业务办理网点", resource_code=None,
                                      security_level="public", open_type="open",
                                      share_type="unconditional", share_condition=None,
                                      share_basis=None))]
    source_id = source_id_of(register(browser_as("steward"), type="dcat",
                                      url=publish(site, rows)))
    world.services.harvest.review_source(world.reviewer, source_id, "approve")
    job_url = run_now(browser_as("steward"), source_id)
    work(world)
    _public_clearance_staff(world)
    low = Browser(app.test_client())
    assert low.login("gat-public", "gat-public-password").status_code == 302
    page = text(low.get(job_url))
    assert "已隐去" in page and "全省户籍人口内部统计" not in page
    assert "internal-population" not in page
    links = re.findall(r'href="(/harvest/jobs/\d+/items/\d+)"', page)
    assert len(links) == 1                           # only the public record's payload
    assert "户籍业务办理网点" in text(low.get(links[0]))
    items = world.services.harvest.items(world.steward, int(job_url.rsplit("/", 1)[1]))
    hidden = next(i for i in items["items"] if "全省户籍人口内部统计" in i["raw"])
    withheld = text(low.get(f"{job_url}/items/{hidden['id']}"))
    assert "该记录的内容已隐去" in withheld and "全省户籍人口内部统计" not in withheld
    steward = text(browser_as("steward").get(f"{job_url}/items/{hidden['id']}"))
    assert "全省户籍人口内部统计" in steward
    assert browser_as("steward").get(f"{job_url}/items/999999").status_code == 404


def test_problems_grouped_by_type_and_items_filtered(app: Flask, world: World, browser_as,
                                                     site: Site) -> None:
    packages = full_packages()[:3]
    packages[1] = {**packages[1], "id": "", "name": ""}        # a record without identifier
    ckan = FakeCkan(site, packages)
    source_id = source_id_of(register(browser_as("steward"), url=ckan.url))
    world.services.harvest.review_source(world.reviewer, source_id, "approve")
    steward = browser_as("steward")
    job_url = run_now(steward, source_id)
    work(world)
    report = world.services.harvest.report(world.steward, int(job_url.rsplit("/", 1)[1]))
    assert report["errors"], report
    page = text(steward.get(job_url))
    for error_type, group in report["errors"].items():
        assert f"<code>{error_type}</code>" in page
        assert f"?error_type={error_type}#items" in page.replace("&amp;", "&")
        filtered = text(steward.get(f"{job_url}?error_type={error_type}"))
        assert f"条目 ({group['count']})" in filtered
    failed = text(steward.get(f"{job_url}?outcome=failed"))
    assert f"条目 ({report['counts']['failed']})" in failed
    assert steward.get(f"{job_url}?outcome=nonsense&page=x").status_code == 200


def test_a_running_job_shows_its_progress(app: Flask, world: World, browser_as,
                                          site: Site) -> None:
    source_id = source_id_of(register(browser_as("steward"), url=FakeCkan(site, []).url))
    world.services.harvest.review_source(world.reviewer, source_id, "approve")
    store = world.services.store
    job_id = jobs.create(store, source_id, status="running", requested_by="steward")
    with store.transaction() as session:
        jobs.beat(session, job_id, {"created": 30, "updated": 5, "failed": 5},
                  summary={"expected": 160})
    page = text(browser_as("steward").get(f"/harvest/jobs/{job_id}"))
    assert '<meta http-equiv="refresh" content="2">' in page and "采集中" in page
    assert "已处理 40 / 160 条记录" in page and '<progress max="100" value="25">' in page
    assert "每秒" in page and "预计还需" in page
    english = text(browser_as("steward").get(f"/harvest/jobs/{job_id}?lang=en"))
    assert "40 of 160 records done" in english and "left" in english


def test_the_source_list_pages_without_a_query_a_source(app: Flask, world: World,
                                                        browser_as, site: Site) -> None:
    ckan = FakeCkan(site, [])
    for n in range(23):
        view = world.services.harvest.add_source(world.steward, {
            "type": "ckan", "url": ckan.url + f"n{n}", "name": f"数据源{n:02d}"})
        if n % 2:
            jobs.create(world.services.store, view.id, status="queued", requested_by="steward")
    steward = browser_as("steward")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "harvest_" in statement or "departments" in statement:
            statements.append(statement)

    event.listen(world.services.store.engine, "before_cursor_execute", count)
    try:
        first = text(steward.get("/harvest"))
        on_first = len(statements)
        statements.clear()
        second = text(steward.get("/harvest?page=2"))
        on_second = len(statements)
    finally:
        event.remove(world.services.store.engine, "before_cursor_execute", count)
    assert "共 23 条" in first and "数据源00" in first and "数据源19" in first
    assert "数据源20" not in first and 'rel="next"' in first
    assert "数据源22" in second and "数据源00" not in second
    assert on_first == on_second, (on_first, on_second)   # 20 rows cost what 3 rows cost
    assert "排队中" in first
    with world.services.store.reading() as session:
        assert len(list(session.scalars(select(HarvestJob)))) == 11


def test_a_new_file_for_a_spreadsheet_source_needs_approval_again(app: Flask, world: World,
                                                                  browser_as) -> None:
    steward = browser_as("steward")
    first = {"file": (io.BytesIO(csv_file(titles(2))), "第一版.csv")}
    source_id = source_id_of(register(steward, type="spreadsheet", files=first, config=""))
    world.services.harvest.review_source(world.reviewer, source_id, "approve")
    page = f"/harvest/sources/{source_id}"
    form = text(steward.get(f"{page}/edit"))
    assert "第一版.csv" in form and 'id="f-url" name="url" inputmode="url" autocomplete="url" ' \
        'maxlength="1000" value=""' in form          # an upload's reference is not an address
    replaced = steward.client.post(f"{page}/edit", data={
        "type": "spreadsheet", "url": "", "name": "司法厅目录", "schedule": "manual",
        "config": "", "file": (io.BytesIO(csv_file(titles(3, "全市第"))), "第二版.csv"),
        "csrf_token": steward.token(f"{page}/edit")}, content_type="multipart/form-data")
    assert replaced.status_code == 302, text(replaced)
    shown = text(steward.get(page))
    assert "第二版.csv" in shown and "待审批" in shown and "需重新审批" in shown


def test_the_provenance_links_only_for_who_may_see_the_source(app: Flask, world: World,
                                                              browser_as, site: Site) -> None:
    source_id = source_id_of(register(browser_as("steward"),
                                      url=FakeCkan(site, full_packages()[:1]).url))
    world.services.harvest.review_source(world.reviewer, source_id, "approve")
    job = world.services.harvest.run(world.steward, source_id, sleep=lambda _s: None)["job"]
    dataset = next(iter(datasets(world).values()))
    other = text(browser_as("staff").get(f"/datasets/{dataset.id}"))   # another department
    assert "采集来源" in other
    assert f"/harvest/sources/{source_id}" not in other and f"/harvest/jobs/{job}" not in other
    own = text(browser_as("staff_own").get(f"/datasets/{dataset.id}"))
    assert f'href="/harvest/sources/{source_id}"' in own and f'href="/harvest/jobs/{job}"' in own
