"""The harvest pages in a real browser: a steward registers a DCAT source served by a real
local HTTP server (a fixture of tests/fixtures/), a reviewer approves it, the steward runs it
from its page and the job's page — refreshing itself, no script — shows the result, the
problems and a raw payload; every page at 375 px without overflow; the pages in English.

Mulu runs in this process on a free port (a fresh SQLite store, the test world's users); the
queued job is run by ``Worker.run_once`` after the click, as ``mulu worker`` would. Headless
Debian Chromium through Playwright's ``executable_path`` (the session fixture of
``tests/browser/conftest.py``, shared with the demo flow); screenshots in ``artifacts/browser/``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.serving import make_server

from catalog.app import create_app
from catalog.services import Services
from catalog.store import Store
from harvesters import jobs
from harvesters.worker import Worker
from tests.browser.harness import Shots, tab
from tests.conftest import make_settings
from tests.factories import World, build_world
from tests.harvesters.conftest import FAST, LOCAL_SOURCES
from tests.harvesters.server import Site, file_reply

FIXTURE = "dcat/dcatde-catalog-endpoint.rdf"     # DCAT-AP.de, 6 datasets in Hydra pages
SOURCE_NAME = "省公安厅开放目录（DCAT）"
NARROW = 375


@dataclass
class Mulu:
    base: str
    services: Services
    world: World

    def work(self) -> int:
        """What ``mulu worker --once`` does: run the queued harvest jobs."""
        return Worker(self.services, echo=lambda _line: None, kinds=("harvest",)).run_once()


@pytest.fixture(scope="module")
def mulu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mulu]:
    root = tmp_path_factory.mktemp("mulu-harvest")
    settings = make_settings(root).with_overrides(database_url=f"sqlite:///{root / 'mulu.db'}",
                                                  harvest_allow_networks=LOCAL_SOURCES)
    store = Store.open(settings)
    store.upgrade()
    app = create_app(settings, store=store)
    services: Services = app.extensions["mulu"]
    world = build_world(services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Mulu(f"http://127.0.0.1:{server.server_port}", services, world)
    finally:
        server.shutdown()
        server.server_close()
        store.close()


@pytest.fixture(scope="module")
def portal() -> Iterator[Site]:
    """A department's DCAT catalog: a fixture file served over HTTP on 127.0.0.1."""
    site = Site()
    site.route("/catalog.rdf", file_reply(FIXTURE, "application/rdf+xml"))
    yield site
    site.stop()


@pytest.fixture
def page(chromium: Any, mulu: Mulu, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from tab(chromium, mulu.base, request)


@pytest.fixture
def narrow(chromium: Any, mulu: Mulu, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from tab(chromium, mulu.base, request, NARROW)


def login(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(f"{username}-password")
    page.locator("form.stacked").get_by_role("button", name=re.compile("登录|Sign in")).click()
    expect(page.locator("header .user")).to_contain_text(username)


def logout(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator("header").get_by_role("button", name=re.compile("退出|Sign out")).click()
    expect(page.locator("header .user")).to_have_count(0)


def harvested_source(mulu: Mulu, portal: Site, name: str) -> tuple[int, int]:
    """A source registered, approved and run through the service (for the 375 px and English
    passes, which must not depend on the order the tests run in); returns (source, job)."""
    harvest, world = mulu.services.harvest, mulu.world
    view = harvest.add_source(world.steward, {"type": "dcat", "url": portal.url("/catalog.rdf"),
                                              "name": name, "config": {"limits": FAST}})
    harvest.review_source(world.reviewer, view.id, "approve", "ok")
    report = harvest.run(world.steward, view.id, sleep=lambda _s: None)
    return view.id, report["job"]


def running_job(mulu: Mulu, portal: Site) -> int:
    """A job a worker is running: 40 of the 160 records its source lists done so far."""
    harvest, world, store = mulu.services.harvest, mulu.world, mulu.services.store
    view = harvest.add_source(world.steward, {"type": "dcat", "url": portal.url("/big.rdf"),
                                              "name": "运行中的数据源"})
    harvest.review_source(world.reviewer, view.id, "approve", "ok")
    job_id = jobs.create(store, view.id, status="running", requested_by="steward")
    with store.transaction() as session:
        jobs.beat(session, job_id, {"created": 38, "failed": 2}, summary={"expected": 160})
    return job_id


# -- the tests ----------------------------------------------------------------------------------


def test_a_harvest_run_from_its_page(page: Any, mulu: Mulu, portal: Site,
                                     request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    shots: Shots = request.node.shots
    # the steward of 省公安厅 registers the department's DCAT catalog
    login(page, "steward")
    page.locator("nav.main").get_by_role("link", name="数据采集").click()
    expect(page.get_by_role("heading", name="采集数据源")).to_be_visible()
    page.get_by_role("link", name="登记数据源").click()
    page.locator("#f-type").select_option("dcat")
    page.locator("#f-url").fill(portal.url("/catalog.rdf"))
    page.locator("#f-name").fill(SOURCE_NAME)
    page.locator("#f-config").fill('{"limits": {"request_timeout": 3, "retries": 1}}')
    shots.take("steward-register-form")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.locator(".notice.ok")).to_contain_text("数据源已登记")
    expect(page.get_by_role("heading", name=SOURCE_NAME)).to_be_visible()
    expect(page.locator(".title-row .badge")).to_have_text("待审批")
    expect(page.get_by_role("button", name="批准")).to_have_count(0)    # not one's own
    expect(page.get_by_role("button", name="立即采集")).to_have_count(0)  # not yet approved
    source_url = page.url
    shots.take("steward-source-pending")
    logout(page)

    # a governance reviewer approves it
    login(page, "reviewer")
    page.locator("nav.main").get_by_role("link", name="数据采集").click()
    page.locator("table.harvest-sources").get_by_role("link", name=SOURCE_NAME).click()
    expect(page).to_have_url(source_url)
    page.locator("#f-note").fill("地址已核实，同意采集。")
    shots.take("reviewer-review")
    page.get_by_role("button", name="批准").click()
    expect(page.locator(".notice.ok")).to_have_text("数据源已批准。")
    expect(page.locator(".title-row .badge")).to_have_text("已批准")
    expect(page.locator("table.harvest-source")).to_contain_text("地址已核实")
    shots.take("reviewer-approved")
    logout(page)

    # the steward runs it now; the job page follows the job to its report
    login(page, "steward")
    page.goto(source_url)
    page.get_by_role("button", name="立即采集").click()
    expect(page).to_have_url(re.compile(r"/harvest/jobs/\d+$"))
    expect(page.locator(".title-row .badge")).to_have_text("排队中")
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(1)
    expect(page.locator(".harvest-progress")).to_contain_text("等待采集进程领取任务")
    shots.take("steward-job-queued")
    assert mulu.work() == 1
    # no reload here: the page refreshes itself every 2 seconds
    expect(page.locator(".title-row .badge")).to_have_text(re.compile("已完成|部分完成"),
                                                          timeout=15_000)
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0)
    created = page.locator("tr.count-created td")
    expect(created).to_have_text("6")
    expect(page.locator("p.listing")).to_contain_text("列表完整")
    expect(page.locator("table.harvest-items tbody tr")).to_have_count(6)
    shots.take("steward-job-done")

    # a raw payload, one click away
    page.locator("table.harvest-items").get_by_role("link", name="查看原始数据").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"条目 #\d+"))).to_be_visible()
    expect(page.locator("pre.harvest-raw")).to_contain_text("dcat")
    shots.take("steward-raw-payload")
    page.get_by_role("link", name="返回采集任务").click()
    # the dataset it became, and back to its source through the provenance line
    page.locator("table.harvest-items").get_by_role("link", name="打开信息资源").first.click()
    provenance = page.locator("section.provenance")
    expect(provenance.get_by_role("link", name=SOURCE_NAME)).to_be_visible()
    shots.take("steward-dataset-provenance")
    provenance.get_by_role("link", name=SOURCE_NAME).click()
    expect(page).to_have_url(source_url)
    expect(page.locator("table.harvest-jobs tbody tr")).to_have_count(1)
    shots.take("steward-source-with-job")


def test_harvest_pages_fit_375_px(narrow: Any, mulu: Mulu, portal: Site,
                                  request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    source_id, job_id = harvested_source(mulu, portal, "窄屏检查用数据源")
    item = mulu.services.harvest.items(mulu.world.admin, job_id)["items"][0]["id"]
    running = running_job(mulu, portal)
    shots: Shots = request.node.shots
    login(narrow, "steward")
    for name, path in (("sources", "/harvest"), ("register", "/harvest/new"),
                       ("source", f"/harvest/sources/{source_id}"),
                       ("edit", f"/harvest/sources/{source_id}/edit"),
                       ("job", f"/harvest/jobs/{job_id}"),
                       ("item", f"/harvest/jobs/{job_id}/items/{item}"),
                       ("running-job", f"/harvest/jobs/{running}")):
        narrow.goto(path)
        expect(narrow.locator("main h1")).to_be_visible()
        width = narrow.evaluate("document.documentElement.scrollWidth")
        shots.take(f"375-{name}")
        assert width <= NARROW, (path, width)
    expect(narrow.locator(".harvest-progress")).to_contain_text("已处理 40 / 160 条记录")
    expect(narrow.locator(".harvest-progress progress")).to_have_attribute("value", "25")
    expect(narrow.locator('meta[http-equiv="refresh"]')).to_have_count(1)
    # the form again with messages, at 375 px too
    narrow.goto("/harvest/new")
    narrow.get_by_role("button", name="登记", exact=True).click()
    expect(narrow.locator("#error-summary")).to_contain_text("请填写数据源地址")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= NARROW
    shots.take("375-register-errors")


def test_harvest_pages_in_english(page: Any, mulu: Mulu, portal: Site,
                                  request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    source_id, job_id = harvested_source(mulu, portal, "English pass source")
    shots: Shots = request.node.shots
    login(page, "reviewer")
    page.goto("/harvest?lang=en")
    expect(page.get_by_role("heading", name="Harvest sources")).to_be_visible()
    expect(page.locator("nav.main").get_by_role("link", name="Harvest")).to_be_visible()
    shots.take("en-sources")
    page.goto(f"/harvest/sources/{source_id}")
    expect(page.locator(".title-row .badge")).to_have_text("Approved")
    expect(page.get_by_role("heading", name="Harvest jobs")).to_be_visible()
    shots.take("en-source")
    page.goto(f"/harvest/jobs/{job_id}")
    expect(page.get_by_role("heading", name=f"Harvest job #{job_id}")).to_be_visible()
    expect(page.locator("tr.count-created th")).to_have_text("Created")
    expect(page.locator("tr.count-kept_with_problems th")).to_contain_text("Kept with problems")
    expect(page.get_by_role("heading", name="Problems by error type")).to_be_visible()
    expect(page.locator("p.listing")).to_contain_text("Listing complete")
    shots.take("en-job")
    # the page's own words (an item's reason is the source's data, said in both languages)
    words = " ".join(page.locator("main h1, main h2, main th, main label, main button, main .meta, "
                                  "main .harvest-progress, main td a").all_inner_texts())
    assert "Raw payload" in words and "Open the dataset" in words
    assert not re.search(r"[\u4e00-\u9fff]", words.replace("(待完善)", "")), words

