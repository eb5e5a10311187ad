"""Browsing (issue 11) on both stores: drafts with only a name, submit validating fully; the
list sorted by pinyin, filtered by 分类, paged by number; home as each role's work; department
pages, the 目录 tree, revision diffs (old → new), share / open badges, English names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from catalog.actors import SYSTEM
from catalog.app import create_app
from catalog.credit_code import make_credit_code
from catalog.sort_keys import title_sort_key
from catalog.store import Store
from tests.factories import PUBLIC_SECURITY, World, record
from tests.web.test_pages import form_pairs

LINK_TITLES = re.compile(r'<td><a href="/datasets/[0-9a-f-]{36}">([^<]+)</a>')
REQUIRED_BUT_TITLE = ("classification", "description", "resource_form", "share_type",
                      "open_type", "update_cycle", "security_level")


@pytest.fixture
def app(store: Store) -> Flask:
    app = create_app(store.settings, store=store)
    app.config.update(TESTING=True, MULU_SEARCH_SYNC=True)
    return app


def text(response: Any) -> str:
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    return body


def titles(body: str) -> list[str]:
    return LINK_TITLES.findall(body)


# -- drafts: a name is enough, submitting validates fully ----------------------------------------


def test_draft_with_only_a_name_is_saved_and_submit_names_what_it_lacks(browser_as,
                                                                         world: World) -> None:
    steward = browser_as("steward")
    saved = steward.post("/datasets/new", [("title", "全省流动人口登记草稿"), ("action", "save")],
                         form_page="/datasets/new")
    assert saved.status_code == 302, text(saved)[:2000]
    dataset_id = saved.headers["Location"].rsplit("/", 1)[-1]
    view = world.services.datasets.get(world.steward, dataset_id)
    assert view.state == "draft" and view.record == {
        "title": "全省流动人口登记草稿", "resource_code": view.resource_code,
        "publisher_name": "安徽省公安厅", "publisher_code": view.record["publisher_code"]}
    page = text(steward.get(f"/datasets/{dataset_id}"))
    assert "提交审核前还需补充" in page
    for label in ("信息资源分类", "信息资源摘要", "共享类型", "密级"):
        assert label in page
    # submitting from the page: the form again, each missing field with its message
    refused = steward.post(f"/datasets/{dataset_id}/submit", {}, form_page="/")
    assert refused.status_code == 422
    body = text(refused)
    assert "表单有以下问题" in body and body.count("缺少必填字段。") >= len(REQUIRED_BUT_TITLE)
    assert world.services.datasets.get(world.steward, dataset_id).state == "draft"
    # submitting from the form with only the name: refused for the same seven fields
    again = steward.post(f"/datasets/{dataset_id}/edit",
                         [("title", "全省流动人口登记草稿"), ("action", "submit")],
                         form_page=f"/datasets/{dataset_id}/edit")
    assert again.status_code == 422 and "缺少必填字段。" in text(again)
    # completed, it submits
    done = steward.post(f"/datasets/{dataset_id}/edit",
                        form_pairs(record(title="全省流动人口登记草稿"), action="submit"),
                        form_page=f"/datasets/{dataset_id}/edit")
    assert done.status_code == 302, text(done)[:3000]
    submitted = world.services.datasets.get(world.steward, dataset_id)
    assert submitted.state == "submitted"
    # the code followed the classification chosen after the draft was saved
    assert submitted.resource_code.startswith("101001/") and \
        view.resource_code.startswith("312000/")


def test_api_draft_rule_is_the_domain_rule(world: World) -> None:
    from catalog.errors import InvalidInput

    datasets = world.services.datasets
    draft = datasets.register(world.steward, {"title": "全省居住证草稿"})
    assert draft.state == "draft"
    with pytest.raises(InvalidInput) as lacking:
        datasets.submit(world.steward, draft.id)
    assert set(lacking.value.errors) == set(REQUIRED_BUT_TITLE)
    with pytest.raises(InvalidInput) as whole:   # submit at once: full validation
        datasets.register(world.steward, {"title": "全省居住证草稿二"}, submit=True)
    assert set(whole.value.errors) == set(REQUIRED_BUT_TITLE)
    with pytest.raises(InvalidInput) as nameless:   # a draft needs its name …
        datasets.register(world.steward, {"description": "没有名称"})
    assert set(nameless.value.errors) == {"title"}
    with pytest.raises(InvalidInput) as bad:   # … and what it gives must be valid
        datasets.register(world.steward, {"title": "错误取值草稿", "share_type": "partial",
                                          "security_level": "secret"})
    assert set(bad.value.errors) == {"share_type", "security_level"}


# -- the list: pinyin order, 分类 filter, numbered pages -------------------------------------------


PINYIN = ["安徽省人口信息", "北京迁入人员信息", "重庆迁入人员信息", "中国籍人员信息"]


def test_name_sort_is_pinyin_not_code_point(browser_as, world: World) -> None:
    datasets = world.services.datasets
    for title in reversed(PINYIN):
        view = datasets.register(world.steward, record(title=title), submit=True)
        datasets.review(world.reviewer, view.id, "publish")
    assert sorted(PINYIN) != PINYIN            # code points would put 中 first
    assert sorted(PINYIN, key=title_sort_key) == PINYIN
    for who in ("steward", "staff"):          # working copies and published revisions alike
        body = text(browser_as(who).get("/datasets?sort=title"))
        assert titles(body) == PINYIN, who
        assert titles(text(browser_as(who).get("/datasets?sort=title_desc"))) == PINYIN[::-1]
    # a renamed working copy sorts by its new name for its department, by the published one
    # for others
    first = datasets.list(world.steward, sort="title").items[0]
    datasets.update(world.steward, first.id, {**first.record, "title": "最后的名称"})
    assert titles(text(browser_as("steward").get("/datasets?sort=title")))[-1] == "最后的名称"
    assert titles(text(browser_as("staff").get("/datasets?sort=title")))[0] == PINYIN[0]


def test_classification_filter_tree_and_numbered_pages(browser_as, world: World) -> None:
    datasets = world.services.datasets
    rows = [(n, record(title=f"全省人口信息第{n:02d}号", classification="101001"))
            for n in range(45)]
    rows += [(100, record(title="全省企业登记信息", classification="102001"))]
    for view in datasets.register_many(world.steward, rows, submit=True):
        datasets.review(world.reviewer, view.id, "publish")
    browser = browser_as("staff")   # another department's: the published revisions
    other = text(browser.get("/datasets?classification=102"))
    assert titles(other) == ["全省企业登记信息"]
    assert "共 1 条" in other
    page = text(browser.get("/datasets?classification=101&sort=title&page=2"))
    assert "共 45 条" in page and "第 2 / 3 页" in page
    assert titles(page) == [f"全省人口信息第{n:02d}号" for n in range(20, 40)]
    for rel in ("first", "prev", "next", "last"):
        assert f'rel="{rel}"' in page
    assert 'aria-current="page">2<' in page
    assert "classification=101" in page and "sort=title" in page   # links keep the filters
    last = text(browser.get("/datasets?classification=101&sort=title&page=3"))
    assert len(titles(last)) == 5 and 'rel="next"' not in last
    tree = text(browser.get("/catalog"))
    assert "基础信息资源" in tree and "主题信息资源" in tree and "部门信息资源" in tree
    assert re.search(r'classification=101001">人口基本信息</a> <span class="code">101001</span> '
                     r'<span class="n">45</span>', tree)
    assert "共 46 条" in tree
    # a bad filter value is no filter, never an error
    assert browser.get("/datasets?classification=999&sort=nonsense&page=x").status_code == 200


# -- home: my work ------------------------------------------------------------------------------


def test_home_shows_each_role_its_work(browser_as, browser, world: World) -> None:
    datasets = world.services.datasets
    waiting = datasets.register(world.steward, record(title="待审核的户籍信息"), submit=True)
    kept = datasets.ingest_many(world.steward, [(1, record(title="待完善的户籍信息",
                                                           description=None), {})])
    assert kept[0][1].state == "incomplete"  # type: ignore[union-attr]
    returned = datasets.register(world.steward, record(title="被退回的户籍信息"), submit=True)
    datasets.review(world.reviewer, returned.id, "return", "请补充共享条件")
    steward = text(browser_as("steward").get("/"))
    assert "我的待办" in steward and "本部门待完善记录" in steward and "待完善的户籍信息" in steward
    assert "被退回待修改" in steward and "被退回的户籍信息" in steward
    assert "待答复的共享申请" in steward and "采集失败的数据源" in steward
    assert "/departments/" in steward   # my department's page
    reviewer = text(browser_as("reviewer").get("/"))
    assert "待审核的信息资源" in reviewer and "待审核的户籍信息" in reviewer
    assert waiting.id in reviewer and "各部门待完善" in reviewer
    assert "本部门待完善记录" not in reviewer
    staff = text(browser_as("staff").get("/"))
    assert "我的待办" in staff and "待审核的信息资源" not in staff and "采集失败" not in staff
    anonymous = text(browser.get("/"))
    assert "我的待办" not in anonymous and "待审核的户籍信息" not in anonymous


def test_home_lists_requests_to_answer_with_working_days(browser_as, world: World) -> None:
    datasets, sharing = world.services.datasets, world.services.sharing
    view = datasets.register(world.steward, record(title="可申请的人口信息"), submit=True)
    datasets.review(world.reviewer, view.id, "publish")
    sharing.file(world.staff, {"dataset_id": view.id, "purpose": "市场监管执法核查",
                               "legal_duty": "《市场主体登记管理条例》", "data_items": ["姓名"],
                               "target_system": "市场监管综合执法系统",
                               "period_end": "2027-06-30",
                               "contact": "张三 0551-12345678"})
    body = text(browser_as("steward").get("/"))
    section = body[body.index('id="work-answer"'):body.index('id="work-incomplete"')]
    assert "可申请的人口信息" in section and "安徽省市场监督管理局" in section
    assert re.search(r"\d+ 个工作日", section)


# -- department pages, English names -------------------------------------------------------------


def test_department_page_and_english_names(browser_as, browser, world: World) -> None:
    services = world.services
    code = make_credit_code("11340000MB5678901")
    services.departments.create(SYSTEM, {"code": code, "name": "安徽省统计局",
                                         "name_en": "Anhui Provincial Bureau of Statistics",
                                         "level": "province"})
    steward = services.accounts.create_user(SYSTEM, "stats", "stats-password", "steward",
                                            department_code=code)
    assert steward
    actor = services.accounts.authenticate("stats", "stats-password")
    view = services.datasets.register(actor, record(title="全省统计年鉴数据",
                                                    security_level="public"), submit=True)
    services.datasets.review(world.reviewer, view.id, "publish")
    index = text(browser.get("/departments"))
    assert f'href="/departments/{code}"' in index and "安徽省统计局" in index
    page = text(browser.get(f"/departments/{code}"))
    assert "全省统计年鉴数据" in page and "人口基本信息" in page   # its datasets and tree
    assert "采集数据源" not in page                               # not for anonymous visitors
    own = text(browser_as("stats").get(f"/departments/{code}"))
    assert "采集数据源" in own and "本部门没有采集数据源。" in own and "按状态" in own
    other = text(browser_as("staff").get(f"/departments/{code}"))
    assert "采集数据源" not in other and "按状态" not in other
    english = browser.get(f"/departments/{code}?lang=en")
    body = text(english)
    assert "Anhui Provincial Bureau of Statistics" in body and "Basic population information" in body
    listed = text(browser.get("/datasets"))
    assert "Anhui Provincial Bureau of Statistics" in listed   # the list's department column
    assert browser.get("/departments/nope").status_code == 404


# -- the dataset page: revisions old → new, badges; search hits' badges ---------------------------


def test_revision_diff_shows_old_and_new_values(browser_as, world: World) -> None:
    datasets = world.services.datasets
    view = datasets.register(world.steward, record(title="全省户籍信息旧名"))
    datasets.update(world.steward, view.id, {**view.record, "title": "全省户籍信息新名",
                                             "update_cycle": "monthly",
                                             "keywords": ["人口", "迁移"]})
    body = text(browser_as("steward").get(f"/datasets/{view.id}"))
    diff = body[body.index('class="rev-diff"'):]
    diff = diff[:diff.index("</details>")]
    assert "<del>全省户籍信息旧名</del>" in diff and "<ins>全省户籍信息新名</ins>" in diff
    assert "<del>每日</del>" in diff and "<ins>每月</ins>" in diff      # concept labels
    assert "<del>人口、户籍</del>" in diff and "<ins>人口、迁移</ins>" in diff
    english = text(browser_as("steward").get(f"/datasets/{view.id}?lang=en"))
    assert "<del>Daily</del>" in english and "What changed" in english


def test_badges_on_the_page_the_list_and_search_hits(browser_as, browser, world: World) -> None:
    datasets = world.services.datasets
    view = datasets.register(world.steward, record(title="全省公开户籍统计", security_level="public",
                                                   open_type="open", share_type="unconditional",
                                                   share_basis=None, share_condition=None),
                             submit=True)
    datasets.review(world.reviewer, view.id, "publish")
    for url in (f"/datasets/{view.id}", "/datasets", "/search?q=户籍统计"):
        body = text(browser.get(url))
        assert 'class="badge share-type-unconditional">无条件共享<' in body, url
        assert 'class="badge open-type-open">无条件开放<' in body, url
    facets = text(browser.get("/search?q=户籍统计&lang=en"))
    assert "Unconditional sharing" in facets and "无条件共享</span>" not in facets


# -- no query per row ----------------------------------------------------------------------------


def _statements(app: Flask, browser: Any, url: str) -> int:
    from sqlalchemy import event

    engine = app.extensions["mulu"].store.engine
    seen: list[str] = []

    def count(*_args: Any) -> None:
        seen.append("")

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert browser.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_list_pages_take_the_same_queries_for_2_rows_as_for_20(app: Flask, browser_as,
                                                               world: World) -> None:
    datasets = world.services.datasets
    rows = [(n, record(title=f"全省法人信息第{n:02d}号", classification="102001"))
            for n in range(22)]
    for view in datasets.register_many(world.steward, rows, submit=True):
        datasets.review(world.reviewer, view.id, "publish")
    staff = browser_as("staff")
    staff.get("/datasets")   # warm: the session's first page loads the actor once
    for url in ("/datasets?sort=title", "/datasets?sort=code",
                f"/departments/{PUBLIC_SECURITY}?sort=title"):
        few = _statements(app, staff, url + "&page=2")     # 2 rows on the last page
        many = _statements(app, staff, url)                # 20 rows
        assert many == few, (url, few, many)
