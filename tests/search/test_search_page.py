"""The search page (/search): Chinese words and synonyms, facet links, cursor paging, and only
what the visitor may see — for the anonymous public, public published records alone."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from catalog.app import create_app
from catalog.services import Services
from tests.factories import MARKET, World, build_world
from tests.search.catalog import unconditional
from tests.search.conftest import open_store
from tests.web.conftest import Browser

FACET_LINK = re.compile(r'<a href="([^"]+)" role="checkbox" aria-checked="(true|false)" '
                        r'data-facet="([^"]+)" data-value="([^"]+)">')


@dataclass
class Site:
    app: Flask
    world: World

    def browser(self, username: str | None = None) -> Browser:
        browser = Browser(self.app.test_client())
        if username:
            assert browser.login(username).status_code == 302
        return browser

    def page(self, url: str, username: str | None = None, status: int = 200) -> str:
        response = self.browser(username).get(url)
        text = response.get_data(as_text=True)
        assert response.status_code == status, text[:500]
        assert "Traceback" not in text
        return text


@pytest.fixture
def site(tmp_path: Path, sqlite_template: Path) -> Iterator[Site]:
    store = open_store(tmp_path / "store", sqlite_template)
    app = create_app(store.settings, store=store)
    app.config.update(TESTING=True, MULU_SEARCH_SYNC=True)
    services: Services = app.extensions["mulu"]
    world = build_world(services)
    datasets = services.datasets
    for title, level, publish, steward in (
            ("户籍人口基本信息", "internal", True, world.steward),
            ("户籍业务办理网点", "public", True, world.steward),
            ("户籍核查工作底稿", "public", False, world.steward),
            ("企业登记信息", "public", True, world.steward_other)):
        view = datasets.register(steward, unconditional(
            title=title, security_level=level, description=f"{title}，按月更新。",
            keywords=["目录"]), submit=publish)
        if publish:
            datasets.review(world.reviewer, view.id, "publish")
    yield Site(app, world)
    store.close()


def titles(page: str) -> list[str]:
    found = re.findall(r'<h3><a href="/datasets/[^"]+">(.*?)</a>', page)
    return [html.unescape(re.sub(r"</?em>", "", t)) for t in found]


def facet_links(page: str) -> list[tuple[str, bool, str, str]]:
    return [(html.unescape(url), on == "true", facet, value)
            for url, on, facet, value in FACET_LINK.findall(page)]


def test_a_synonym_finds_the_record_with_highlights(site: Site) -> None:
    page = site.page("/search?q=户口", "staff_own")   # 户口: the titles say 户籍
    assert sorted(titles(page)) == ["户籍业务办理网点", "户籍人口基本信息", "户籍核查工作底稿"]
    assert "<em>户籍</em>业务办理网点" in page
    assert "共找到 3 条信息资源" in page
    page = site.page("/search?q=公司")                # 公司: the title says 企业
    assert titles(page) == ["企业登记信息"]


def test_facet_links_filter_and_unfilter(site: Site) -> None:
    page = site.page("/search?q=户籍", "staff_own")
    links = {(facet, value): (url, on) for url, on, facet, value in facet_links(page)}
    url, on = links[("security_level", "public")]
    assert not on and links[("security_level", "internal")][1] is False
    filtered = site.page(url, "staff_own")
    assert sorted(titles(filtered)) == ["户籍业务办理网点", "户籍核查工作底稿"]
    again = {(f, v): (u, o) for u, o, f, v in facet_links(filtered)}
    assert again[("security_level", "public")][1] is True
    # the other facets count under this filter; the chosen facet still offers 内部 (1)
    assert 'data-facet="security_level" data-value="internal"' in filtered
    assert sorted(titles(site.page(again[("security_level", "public")][0], "staff_own"))) == \
        sorted(titles(page))


def test_anonymous_sees_only_public_published_records(site: Site) -> None:
    page = site.page("/search?q=户籍")
    assert titles(page) == ["户籍业务办理网点"]
    assert "共找到 1 条信息资源" in page
    values = {(facet, value) for _, _, facet, value in facet_links(page)}
    assert ("security_level", "internal") not in values      # counts leak nothing either
    assert ("security_level", "public") in values
    empty = site.page("/search?q=户籍核查")
    assert titles(empty) == [] and "没有找到" in empty


def test_department_filter_browse_and_english(site: Site) -> None:
    page = site.page(f"/search?department={MARKET}")
    assert titles(page) == ["企业登记信息"]
    english = site.page("/search?q=企业&lang=en")
    assert "1 datasets found" in english and "Department" in english


def test_cursor_paging(site: Site) -> None:
    services: Services = site.app.extensions["mulu"]
    for i in range(23):
        view = services.datasets.register(site.world.steward, unconditional(
            title=f"道路运输许可数据第{i + 1}批", security_level="public"), submit=True)
        services.datasets.review(site.world.reviewer, view.id, "publish")
    first = site.page("/search?q=道路运输&sort=title")
    assert len(titles(first)) == 20 and "共找到 23 条信息资源" in first
    next_url = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert next_url
    second = site.page(html.unescape(next_url.group(1)))
    assert len(titles(second)) == 3 and not set(titles(second)) & set(titles(first))
    assert 'rel="next"' not in second and "第一页" in second


def test_bad_input_is_a_400_with_a_message_and_suggestions_need_no_cdn(site: Site) -> None:
    page = site.page("/search?q=户籍&cursor=not-a-cursor", status=400)
    assert "翻页游标无效" in page
    page = site.page("/search?q=户籍&format=" + "x" * 200, status=400)
    assert 'role="alert"' in page
    page = site.page("/search")
    assert "/api/search/suggest" in page
    assert not re.search(r'<script[^>]+src="(https?:)?//', page)
    suggestions = site.browser().get("/api/search/suggest?prefix=户籍").get_json()["suggestions"]
    assert [s["text"] for s in suggestions if s["kind"] == "title"] == ["户籍业务办理网点"]
