"""Distributions (挂接资源), contact points (联系人), licence, version and languages through the
web form, on both stores: the browser posts what the rendered form holds."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask

from catalog.app import create_app
from catalog.store import Store
from tests.factories import World, record
from tests.web.test_pages import form_pairs


@pytest.fixture
def app(store: Store) -> Flask:
    """The web app on each store (tests/web/conftest.py's ``world`` and browsers follow it)."""
    app = create_app(store.settings, store=store)
    app.config["TESTING"] = True
    return app


class FormControls(HTMLParser):
    """The (name, value) pairs a browser submits for the page's dataset form, in page order
    (the JavaScript row template is not part of the form)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[tuple[str, str]] = []
        self._in_form = self._in_template = False
        self._select: str | None = None
        self._selected: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "dataset-form" in a.get("class", ""):
            self._in_form = True
        if tag == "template":
            self._in_template = True
        if not self._in_form or self._in_template:
            return
        if tag == "input" and "name" in a and a.get("type") not in ("submit", "button"):
            self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._selected, self._first_option = a["name"], None, None
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._selected = a.get("value", "")
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._in_template = False
        elif tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            chosen = self._selected if self._selected is not None else self._first_option
            self.pairs.append((self._select, chosen or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # a browser drops the one newline that follows <textarea>
            self.pairs.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def controls(page: str) -> list[tuple[str, str]]:
    parser = FormControls()
    parser.feed(page)
    return [(k, v) for k, v in parser.pairs if k != "csrf_token"]


def fill_rows(pairs: list[tuple[str, str]], group: str,
              rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    """Type ``rows`` into the group's rows from the first on (as a user fills the offered rows
    top to bottom); cells not named keep what they hold."""
    seen: dict[str, int] = {}
    out = []
    for name, value in pairs:
        if name.startswith(group + "-"):
            sub = name.removeprefix(group + "-")
            index = seen.get(sub, 0)
            seen[sub] = index + 1
            if index < len(rows) and sub in rows[index]:
                value = rows[index][sub]
        out.append((name, value))
    return out


def replace(pairs: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    return [(k, values.get(k, v)) for k, v in pairs]


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


CSV = {"title": "全省常住人口 CSV", "access_url": "https://data.example.gov.cn/pop",
       "download_url": "https://data.example.gov.cn/dl/pop.csv", "format": "CSV",
       "media_type": "text/csv", "byte_size": "20480",
       "license": "https://creativecommons.org/licenses/by/4.0/"}
API = {"title": "人口查询接口", "access_url": "https://api.example.gov.cn/population",
       "format": "JSON", "media_type": "application/json"}
CONTACT = {"name": "数据管理处", "email": "data@example.gov.cn", "phone": "0551-62801234"}
LICENCE = "https://creativecommons.org/licenses/by/4.0/"


def new_form(steward: Any) -> list[tuple[str, str]]:
    """The blank registration form, filled with a valid record as a user would type it."""
    blank = controls(steward.get("/datasets/new").get_data(as_text=True))
    typed = dict(form_pairs(record()))
    pairs = [(k, typed.get(k, v)) if not k.startswith("data_items-") else (k, v)
             for k, v in blank]
    return fill_rows(pairs, "data_items", record()["data_items"])


def register(steward: Any, world: World, **changes: str) -> tuple[Any, list[tuple[str, str]]]:
    pairs = fill_rows(new_form(steward), "distributions", [CSV, API])
    pairs = fill_rows(pairs, "contact_points", [CONTACT])
    pairs = replace(pairs, license=LICENCE, version="2024.1", languages="zh, en", **changes)
    return steward.post("/datasets/new", pairs + [("action", "save")],
                        form_page="/datasets/new"), pairs


def test_the_form_offers_rows_for_distributions_and_contacts(browser_as, world: World):
    steward = browser_as("steward")
    body = steward.get("/datasets/new").get_data(as_text=True)
    for label in ("挂接资源", "资源名称", "访问地址", "下载地址", "格式", "媒体类型", "大小（字节）",
                  "许可", "联系人", "电子邮箱", "电话", "版本", "语言", "添加挂接资源", "添加联系人"):
        assert label in body, label
    names = [k for k, _ in controls(body)]
    assert names.count("distributions-access_url") == 2      # two blank rows without JavaScript
    assert names.count("contact_points-email") == 2
    english = steward.get("/datasets/new?lang=en").get_data(as_text=True)
    for label in ("Distributions", "Access URL", "Size in bytes", "Contact points", "E-mail",
                  "Add distribution", "Licence"):
        assert label in english, label


def test_register_with_two_distributions_and_a_contact(browser_as, world: World):
    steward = browser_as("steward")
    response, _ = register(steward, world)
    assert response.status_code == 302, text(response)
    [view] = world.services.datasets.list(world.steward).items
    stored = world.services.datasets.get(world.steward, view.id).record
    assert stored["distributions"] == [{**CSV, "byte_size": 20480}, API]
    assert stored["contact_points"] == [CONTACT]
    assert stored["license"] == LICENCE and stored["version"] == "2024.1"
    assert stored["languages"] == ["http://publications.europa.eu/resource/authority/language/ZHO",
                                   "http://publications.europa.eu/resource/authority/language/ENG"]

    page = text(steward.get(f"/datasets/{view.id}"))
    for shown in ("挂接资源", "全省常住人口 CSV", "人口查询接口", "text/csv", "20480", "联系人",
                  "数据管理处", "data@example.gov.cn", "0551-62801234", "2024.1"):
        assert shown in page, shown
    raw = steward.get(f"/datasets/{view.id}").get_data(as_text=True)
    for url in (CSV["access_url"], CSV["download_url"], API["access_url"], LICENCE):
        assert f'href="{url}"' in raw, url


def test_edit_keeps_and_changes_distributions_and_contacts(browser_as, world: World):
    harvested = {**CSV, "uri": "https://data.example.gov.cn/distribution/1",
                 "description": "按年度发布", "checksum": {
                     "algorithm": "http://spdx.org/rdf/terms#checksumAlgorithm_sha1",
                     "value": "a" * 40}}
    view = world.services.datasets.register(world.steward, {
        **record(), "distributions": [{**harvested, "byte_size": 20480}, API],
        "contact_points": [CONTACT], "license": LICENCE})
    steward = browser_as("steward")
    form = controls(steward.get(f"/datasets/{view.id}/edit").get_data(as_text=True))

    # unchanged: every value comes back, the unshown ones (IRI, checksum …) included
    unchanged = steward.post(f"/datasets/{view.id}/edit", form + [("action", "save")],
                             form_page="/")
    assert unchanged.status_code == 302, text(unchanged)
    kept = world.services.datasets.get(world.steward, view.id)
    assert kept.record == view.record and kept.revision == 1      # nothing changed

    # the first row's size changes, the second row is cleared (removed), a contact is added
    changed = fill_rows(form, "distributions", [{"byte_size": "40960"},
                                                {name: "" for name in API}])
    changed = fill_rows(changed, "contact_points",
                        [{}, {"name": "值班室", "phone": "0551-12345"}])
    response = steward.post(f"/datasets/{view.id}/edit", changed + [("action", "save")],
                            form_page="/")
    assert response.status_code == 302, text(response)
    current = world.services.datasets.get(world.steward, view.id)
    assert current.record["distributions"] == [{**harvested, "byte_size": 40960}]
    assert current.record["contact_points"] == [CONTACT, {"name": "值班室", "phone": "0551-12345"}]
    assert current.record["license"] == LICENCE and current.revision == 2


@pytest.mark.parametrize(("group", "row", "field", "label"), [
    ("contact_points", {"email": "not-an-e-mail"}, "email", "联系人 1 · 电子邮箱"),
    ("distributions", {"access_url": "not a url"}, "access_url", "挂接资源 2 · 访问地址"),
    ("distributions", {"byte_size": "二十"}, "byte_size", "挂接资源 2 · 大小（字节）"),
])
def test_a_bad_value_in_a_row_is_shown_on_its_cell_and_nothing_is_stored(
        browser_as, world: World, group: str, row: dict[str, str], field: str, label: str):
    steward = browser_as("steward")
    index = 1 if group == "distributions" else 0
    pairs = fill_rows(new_form(steward), "distributions", [CSV, API])
    pairs = fill_rows(pairs, "contact_points", [CONTACT])
    pairs = fill_rows(pairs, group, [{}, row] if index else [row])
    response = steward.post("/datasets/new", pairs + [("action", "save")],
                            form_page="/datasets/new")
    assert response.status_code == 422
    body = text(response)
    anchor = f"{group}-{index}-{field}"
    assert f'href="#{anchor}"' in body and label in body
    cell = body.split(f'id="{anchor}"')[1].split("</td>")[0]
    assert 'class="field-error"' in cell                      # the message is next to the cell
    assert f'value="{row[field]}"' in body                    # what was typed is kept
    assert world.services.datasets.list(world.admin).total == 0
    english = text(steward.post("/datasets/new?lang=en", pairs + [("action", "save")],
                                form_page="/datasets/new"))
    assert "Not a valid" in english


def test_links_only_for_http_addresses(browser_as, world: World):
    view = world.services.datasets.register(world.steward, {
        **record(), "distributions": [{"title": "脚本", "access_url": "javascript:alert(1)",
                                       "download_url": "ftp://files.example.gov.cn/a.csv"},
                                      {"title": "<b>粗体</b>",
                                       "access_url": "https://x.example.gov.cn/a?b=1&c=2"}]})
    raw = browser_as("steward").get(f"/datasets/{view.id}").get_data(as_text=True)
    assert 'href="javascript:' not in raw and 'href="ftp:' not in raw
    assert "javascript:alert(1)" in raw                      # shown as text
    assert 'href="https://x.example.gov.cn/a?b=1&amp;c=2"' in raw    # escaped
    assert "<b>粗体</b>" not in raw and "&lt;b&gt;粗体&lt;/b&gt;" in raw


def test_the_form_without_dcat_rows_posts_none(browser_as, world: World):
    """Blank rows are ignored: a registration that fills none has no distributions."""
    steward = browser_as("steward")
    response = steward.post("/datasets/new", new_form(steward) + [("action", "save")],
                            form_page="/datasets/new")
    assert response.status_code == 302, text(response)
    [view] = world.services.datasets.list(world.steward).items
    stored = world.services.datasets.get(world.steward, view.id).record
    assert not {"distributions", "contact_points", "license", "languages"} & set(stored)
