"""Browsing in a real browser (issue 11) on the demo: home as each role's work, a department
page, the 目录 tree, the list sorted by name (pinyin), a draft saved with only its name whose
submission is refused with field messages, a revision's old → new values; every page at 375 px
without sideways scrolling, and in English.

The demo server, Chromium (Debian's /usr/bin/chromium through ``executable_path``) and the
screenshot helper are the browser harness's fixtures (one for every browser test module);
screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import re
from typing import Any

from catalog.sort_keys import title_sort_key
from tests.browser.harness import Shots, login, logout

PUBLIC_SECURITY = "113400000030010171"   # 安徽省公安厅 in the demo
DRAFT_TITLE = "全省居民身份证挂失登记草稿"


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("table.list tbody td:first-child > a").all_inner_texts()]


def test_home_shows_each_role_its_work(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    expect(page.locator("#my-work-title")).to_have_count(0)   # anonymous: no work
    shots.take("anonymous-home")
    sections = {
        "steward": ("work-answer", "work-incomplete", "work-harvests", "work-grants"),
        "reviewer": ("work-answer", "work-review", "work-harvests", "work-grants"),
        "staff": ("work-answer", "work-grants"),
    }
    for username, wanted in sections.items():
        login(page, shots, username)
        page.goto("/")
        expect(page.get_by_role("heading", name="我的待办")).to_be_visible()
        for section in wanted:
            expect(page.locator(f"#{section}")).to_be_visible()
        if username == "staff":
            expect(page.locator("#work-review")).to_have_count(0)
            expect(page.locator("#work-harvests")).to_have_count(0)
        if username == "steward":
            expect(page.locator(".count.own .head")).to_contain_text("安徽省公安厅")
        shots.take(f"{username}-home")
        logout(page, shots, username)


def test_department_page_and_classification_tree(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    login(page, shots, "steward")
    page.goto("/departments")
    expect(page.get_by_role("heading", name="部门目录")).to_be_visible()
    shots.take("departments")
    page.get_by_role("link", name="安徽省公安厅", exact=True).click()
    expect(page.get_by_role("heading", name="安徽省公安厅")).to_be_visible()
    expect(page.get_by_role("heading", name="采集数据源")).to_be_visible()   # own department
    expect(page.locator("table.sources tbody tr")).to_have_count(1)
    expect(page.locator("table.list tbody tr").first).to_be_visible()
    shots.take("department-page")

    page.goto("/catalog")
    expect(page.get_by_role("heading", name="目录分类浏览")).to_be_visible()
    for top in ("基础信息资源", "主题信息资源", "部门信息资源"):
        expect(page.locator("ul.tree.depth-0 > li > details > summary", has_text=top)).to_be_visible()
    shots.take("catalog-tree")
    population = page.locator("summary", has_text="人口").first
    population.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/datasets\?classification=101$"))
    expect(page.locator("#classification")).to_have_value("101")
    codes = page.locator("table.list tbody td.code").all_inner_texts()
    assert codes and all(code.startswith("101") for code in codes), codes
    shots.take("tree-filtered-list")


def test_sort_by_name_is_pinyin_with_numbered_pages(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    login(page, shots, "staff")
    page.goto("/datasets")
    page.locator("#sort").select_option("title")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"sort=title"))
    titles = _titles(page)
    assert len(titles) == 20
    assert titles == sorted(titles, key=title_sort_key), titles
    assert titles != sorted(titles), "pinyin order should differ from code-point order here"
    shots.take("sorted-by-name")
    pager = page.locator("nav.pager")
    expect(pager.locator(".current")).to_have_text("1")
    pager.get_by_role("link", name="末页").click()
    expect(page.locator("nav.pager .current")).to_have_text(re.compile(r"^\d+$"))
    last = _titles(page)
    assert last and title_sort_key(last[0]) >= title_sort_key(titles[-1])
    page.locator("nav.pager").get_by_role("link", name="首页").click()
    expect(page.locator("nav.pager .current")).to_have_text("1")
    shots.take("sorted-first-page-again")


def test_draft_with_only_a_name_then_submit_refused_and_revision_diff(page: Any,
                                                                     shots: Shots) -> None:
    from playwright.sync_api import expect

    login(page, shots, "steward")
    page.locator("nav.main").get_by_role("link", name="登记信息资源").click()
    page.locator("#f-title").fill(DRAFT_TITLE)
    page.get_by_role("button", name="保存草稿").click()
    expect(page).to_have_url(re.compile(r"/datasets/[0-9a-f-]{36}$"))
    expect(page.locator(".notice.ok")).to_be_visible()
    expect(page.locator(".title-row .badge")).to_have_text("草稿")
    needs = page.locator("section.submit-needs")
    expect(needs).to_contain_text("提交审核前还需补充")
    for label in ("信息资源分类", "信息资源摘要", "共享类型", "开放属性", "更新周期", "密级"):
        expect(needs).to_contain_text(label)
    detail_url = page.url
    shots.take("draft-saved-with-only-a-name")

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("section.actions").get_by_role("button", name="提交审核").click()
    assert posted.value.status == 422
    expect(page.locator("#error-summary")).to_be_visible()
    assert page.locator("p.field-error").count() >= 7
    expect(page.locator("div.field.invalid", has=page.locator("#f-classification"))
           ).to_have_count(1)
    shots.take("submit-refused-with-field-messages")

    # the steward renames it and saves the draft again: the revision shows old → new
    page.goto(detail_url)
    page.get_by_role("link", name="修改").click()
    page.locator("#f-title").fill(DRAFT_TITLE + "（修订）")
    page.locator("#f-update_cycle").select_option(label="每月")
    page.get_by_role("button", name="保存草稿").click()
    expect(page).to_have_url(detail_url)
    diff = page.locator("details.rev-diff").first
    expect(diff).to_have_attribute("open", "")
    expect(diff.locator("del").first).to_be_visible()
    expect(diff).to_contain_text(DRAFT_TITLE)
    expect(diff.locator("ins", has_text=DRAFT_TITLE + "（修订）")).to_have_count(1)
    expect(diff.locator("ins", has_text="每月")).to_have_count(1)
    diff.scroll_into_view_if_needed()
    shots.take("revision-diff")


def test_pages_fit_375px_and_read_in_english(chromium: Any, demo_server: str) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=demo_server, locale="zh-CN",
                                   viewport={"width": 375, "height": 800})
    context.set_default_timeout(10_000)
    narrow = context.new_page()
    narrow_shots = Shots(narrow, "narrow_375")
    try:
        narrow.goto("/login")
        narrow.locator("#username").fill("steward")
        narrow.locator("#password").fill("mulu-steward-2026")
        narrow.locator("form.stacked").get_by_role("button", name="登录").click()
        expect(narrow.locator("header .user")).to_contain_text("steward")
        narrow.goto("/datasets?sort=title")
        first = narrow.locator("table.list tbody td:first-child > a").first.get_attribute("href")
        pages = ["/", "/datasets?sort=title", "/catalog", "/departments",
                 f"/departments/{PUBLIC_SECURITY}", first, "/search?q=户籍"]
        for lang in ("zh", "en"):
            for path in pages:
                assert path
                url = f"{path}{'&' if '?' in path else '?'}lang={lang}"
                narrow.goto(url)
                width = narrow.evaluate("document.documentElement.scrollWidth")
                name = re.sub(r"\W+", "_", path.split("?")[0]).strip("_") or "home"
                narrow_shots.take(f"{lang}-{name}")
                assert width <= 375, (url, width)
        # English: department names, concept labels and the page's words
        narrow.goto(f"/departments/{PUBLIC_SECURITY}?lang=en")
        expect(narrow.locator("h1")).to_have_text("Anhui Provincial Department of Public Security")
        expect(narrow.get_by_role("heading", name="By classification")).to_be_visible()
        narrow.goto("/?lang=en")
        expect(narrow.get_by_role("heading", name="My work")).to_be_visible()
        narrow.goto("/datasets?sort=title&lang=en")
        expect(narrow.locator("#sort option:checked")).to_have_text("Title (pinyin A→Z)")
        expect(narrow.locator("table.list tbody tr").first).to_contain_text(
            "Anhui Provincial Department")
        narrow_shots.take("en-list")
    finally:
        context.close()
