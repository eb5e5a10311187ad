"""The administration pages (issue 11) on both stores: users, departments, the working-day
calendar (issue 14) and the publishers (issue 9 §2), through the Flask test client with forms
posted as a browser posts them. Every change goes through the service the API calls, so it is
audited; bad input is the form again with its messages (422) and nothing written."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from catalog.app import create_app
from catalog.credit_code import make_credit_code
from catalog.db import AuditEntry, Department, User
from catalog.store import Store
from catalog.web import admin_pages
from tests.factories import MARKET, PUBLIC_SECURITY, World, record
from tests.sharing.helpers import freeze
from tests.web.conftest import Browser

ADMIN_PAGES = ("/admin/users", "/admin/users/steward", "/admin/departments", "/admin/calendar",
               "/admin/calendar/2026")
ADMIN_POSTS = ("/admin/users", "/admin/users/steward", "/admin/users/steward/active",
               "/admin/users/steward/unlock", "/admin/departments", "/admin/calendar/2027/days",
               "/admin/calendar/2027/days/remove", "/admin/calendar/2027/remove",
               "/admin/publishers/link")
NEW_CODE = make_credit_code("11340000MB5678901")


@pytest.fixture
def app(store: Store) -> Flask:
    """The web app on each store (the ``world`` and browsers of tests/web/conftest.py follow)."""
    app = create_app(store.settings, store=store)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def admin(world: World, browser_as: Any) -> Browser:
    return browser_as("admin")


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


@dataclass(frozen=True)
class Audited:
    actor: str
    object_id: str
    detail: dict[str, Any]


def _audit(world: World, action: str) -> list[Audited]:
    with world.services.store.reading() as session:
        return [Audited(e.actor, e.object_id, json.loads(e.detail or "{}")) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def _count(world: World, model: Any) -> int:
    with world.services.store.reading() as session:
        return int(session.scalar(select(func.count(model.id))) or 0)


# -- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["steward", "staff", "reviewer"])
def test_non_admins_get_403_on_every_admin_page_and_form(world: World, browser_as: Any,
                                                         username: str) -> None:
    b = browser_as(username)
    for url in ADMIN_PAGES:
        response = b.get(url)
        assert response.status_code == 403, url
        assert "admin-nav" not in _text(response)
    users_before = _count(world, User)
    for url in ADMIN_POSTS:
        response = b.post(url, {"username": "intruder", "password": "a-long-passphrase-42",
                                "role": "admin", "day": "2027-01-01", "kind": "holiday",
                                "notice": "n", "code": NEW_CODE, "name": "x", "level": "province",
                                "department_code": MARKET, "active": "0"}, form_page="/")
        assert response.status_code == 403, url
    assert _count(world, User) == users_before
    assert world.services.accounts.get_user("steward").active  # type: ignore[union-attr]
    assert world.services.calendar.year(2027)["source"] is None
    # the publishers: governance reviewers read the list (the service lets them), never link
    publishers = b.get("/admin/publishers")
    assert publishers.status_code == (200 if username == "reviewer" else 403)
    if username == "reviewer":
        assert "link-form" not in _text(publishers)


def test_anonymous_visitors_are_sent_to_sign_in(world: World, browser: Browser) -> None:
    for url in (*ADMIN_PAGES, "/admin/publishers"):
        response = browser.get(url)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_the_admin_nav_link_is_the_admins_and_reviewers(world: World, browser_as: Any) -> None:
    assert 'href="/admin/users"' in _text(browser_as("admin").get("/"))
    assert 'href="/admin/publishers"' in _text(browser_as("reviewer").get("/"))
    page = _text(browser_as("steward").get("/"))
    assert "/admin/" not in page


def test_a_form_without_the_csrf_token_is_refused(world: World, admin: Browser) -> None:
    response = admin.client.post("/admin/users", data={"username": "nocsrf", "role": "staff",
                                                       "password": "a-long-passphrase-42"})
    assert response.status_code == 400
    assert world.services.accounts.get_user("nocsrf") is None


# -- users ---------------------------------------------------------------------------------------


def test_the_admin_creates_a_user_who_then_signs_in(world: World, admin: Browser,
                                                    browser: Browser) -> None:
    response = admin.post("/admin/users", {
        "username": "wang.fang", "display_name": "王芳", "password": "Qingshan-river-2026",
        "role": "staff", "department_code": MARKET, "clearance": "internal"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/users/wang.fang")
    page = _text(admin.get("/admin/users/wang.fang"))
    assert "已创建用户 wang.fang。" in page and "安徽省市场监督管理局" in page
    created = _audit(world, "user.create")[-1]
    assert (created.actor, created.object_id) == ("admin", "wang.fang")
    assert browser.login("wang.fang", "Qingshan-river-2026").status_code == 302
    assert "wang.fang" in _text(browser.get("/"))


@pytest.mark.parametrize(("form", "field", "words"), [
    ({"password": "short"}, "password", "密码至少 10 位"),
    ({"password": "password2026!"}, "password", "常见密码"),
    ({"password": "wang.fang-1"}, "password", "用户名"),
    ({"department_code": ""}, "department_code", "必须属于一个部门"),
    ({"username": "王 芳"}, "username", "用户名只能包含"),
    ({"username": "steward"}, "username", "用户名已存在"),
    ({"role": "root"}, "role", "角色应为"),
])
def test_a_wrong_user_form_comes_back_with_its_message(world: World, admin: Browser,
                                                       form: dict[str, str], field: str,
                                                       words: str) -> None:
    users_before = _count(world, User)
    data = {"username": "wang.fang", "display_name": "王芳", "password": "Qingshan-river-2026",
            "role": "staff", "department_code": MARKET, "clearance": "internal", **form}
    response = admin.post("/admin/users", data)
    assert response.status_code == 422
    page = _text(response)
    assert 'id="error-summary"' in page and f'href="#user-{field}"' in page
    invalid = re.search(rf'<div class="field invalid">\s*<label for="user-{field}"', page)
    assert invalid, f"{field} not marked"
    assert words in page
    assert 'value="Qingshan-river-2026"' not in page  # a password is never sent back
    assert _count(world, User) == users_before


def test_the_clearance_offered_is_capped_at_the_networks_ceiling(world: World,
                                                                 admin: Browser) -> None:
    settings = world.services.settings
    page = _text(admin.get("/admin/users"))
    offered = re.findall(r'<option value="([a-z_]+)"', page.split('id="user-clearance"')[1]
                         .split("</select>")[0])
    assert settings.security_ceiling == offered[-1]
    assert "top_secret" not in offered
    # the administrator of the world is stored 机密 (confidential): shown as what it counts as
    listed = page.split('class="user-admin"')[1].split("</tr>")[0]
    capped = settings.security_ceiling != "confidential"
    assert ("受网络上限限制" in listed) == capped


def test_the_admin_changes_role_department_clearance_and_the_user_is_signed_out(
        world: World, admin: Browser, browser_as: Any) -> None:
    steward = browser_as("staff")
    assert steward.get("/imports").status_code == 200
    response = admin.post("/admin/users/staff", {"display_name": "李工", "role": "steward",
                                                 "department_code": PUBLIC_SECURITY,
                                                 "clearance": "public"})
    assert response.status_code == 302
    user = world.services.accounts.get_user("staff")
    assert user is not None
    assert (user.role, user.department_code, user.clearance, user.display_name) == \
        ("steward", PUBLIC_SECURITY, "public", "李工")
    changed = _audit(world, "user.update")[-1]
    assert set(changed.detail["changed"]) >= {"role", "department_code", "clearance"}
    assert steward.get("/imports").status_code == 302  # the session ended: sign in again
    # a bad change: the form again, nothing written
    bad = admin.post("/admin/users/staff", {"role": "staff", "department_code": "",
                                            "clearance": "public", "display_name": "李工"})
    assert bad.status_code == 422 and "必须属于一个部门" in _text(bad)
    assert world.services.accounts.get_user("staff").role == "steward"  # type: ignore[union-attr]
    weak = admin.post("/admin/users/staff", {"role": "steward", "clearance": "public",
                                             "department_code": PUBLIC_SECURITY,
                                             "password": "12345"})
    assert weak.status_code == 422 and "密码至少 10 位" in _text(weak)


def test_deactivate_reactivate_and_unlock(world: World, admin: Browser, browser: Browser) -> None:
    assert admin.post("/admin/users/staff/active", {"active": "0"}).status_code == 302
    assert "已停用" in _text(admin.get("/admin/users/staff"))
    assert browser.login("staff").status_code == 401
    assert admin.post("/admin/users/staff/active", {"active": "1"}).status_code == 302
    assert browser.login("staff").status_code == 302
    # wrong passwords lock the account; the admin unlocks it
    other = Browser(browser.client.application.test_client())
    statuses = [other.login("reviewer", "wrong-password-x").status_code for _ in range(12)]
    assert 429 in statuses
    assert other.login("reviewer").status_code == 429
    unlocked = admin.post("/admin/users/reviewer/unlock", {"address": ""})
    assert unlocked.status_code == 302
    assert "已解除登录锁定。" in _text(admin.get("/admin/users/reviewer"))
    assert _audit(world, "user.unlock")[-1].object_id == "reviewer"
    assert other.login("reviewer").status_code == 302
    assert admin.get("/admin/users/nobody").status_code == 404


def test_the_user_list_pages_and_filters(world: World, admin: Browser,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin_pages, "PAGE_SIZE", 4)  # six users in the world
    first = _text(admin.get("/admin/users"))
    assert "共 6 条" in first and "第 1 / 2 页" in first
    assert first.count('<tr class="user-') == 4
    second = _text(admin.get("/admin/users?page=2"))
    assert second.count('<tr class="user-') == 2 and 'class="user-reviewer"' in second
    found = _text(admin.get("/admin/users?q=steward"))
    assert "共 2 条" in found and 'class="user-staff"' not in found


# -- departments --------------------------------------------------------------------------------


def test_the_admin_creates_a_department(world: World, admin: Browser) -> None:
    response = admin.post("/admin/departments", {
        "code": NEW_CODE, "name": "安徽省教育厅", "short_name": "省教育厅",
        "name_en": "Department of Education of Anhui", "level": "province",
        "parent_code": ""})
    assert response.status_code == 302
    page = _text(admin.get(response.headers["Location"]))
    assert "已创建部门 安徽省教育厅。" in page and NEW_CODE in page
    assert _audit(world, "department.create")[-1].object_id == NEW_CODE


@pytest.mark.parametrize(("form", "field", "words"), [
    ({"code": NEW_CODE[:-1] + ("0" if NEW_CODE[-1] != "0" else "1")}, "code",
     "不是有效的统一社会信用代码"),
    ({"code": "123"}, "code", "18"),
    ({"code": PUBLIC_SECURITY}, "code", "已存在"),
    ({"name": ""}, "name", ""),
])
def test_a_wrong_department_form_comes_back_with_its_message(world: World, admin: Browser,
                                                             form: dict[str, str], field: str,
                                                             words: str) -> None:
    before = _count(world, Department)
    response = admin.post("/admin/departments", {"code": NEW_CODE, "name": "安徽省教育厅",
                                                 "level": "province", **form})
    assert response.status_code == 422
    page = _text(response)
    assert f'href="#department-{field}"' in page and words in page
    assert _count(world, Department) == before


def test_the_department_list_pages_and_filters(world: World, admin: Browser,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin_pages, "PAGE_SIZE", 3)
    first = _text(admin.get("/admin/departments"))
    assert "共 4 条" in first and "第 1 / 2 页" in first
    assert "安徽省数据资源管理局" in _text(admin.get("/admin/departments?page=2"))
    found = _text(admin.get("/admin/departments?q=司法"))
    assert "共 1 条" in found and "安徽省司法厅" in found


# -- the working-day calendar -------------------------------------------------------------------


def test_the_calendar_warns_from_november_when_next_year_is_missing(world: World,
                                                                    admin: Browser) -> None:
    freeze(world.services, date(2026, 11, 2))
    page = _text(admin.get("/admin/calendar"))
    assert "warning-next_year_missing" in page and "2027 年的法定节假日和调休安排尚未载入" in page
    assert 'class="year-2026"' in page and "chinesecalendar 软件包" in page
    freeze(world.services, date(2026, 10, 30))
    assert "warning-next_year_missing" not in _text(admin.get("/admin/calendar"))
    english = _text(admin.get("/admin/calendar?lang=en"))
    assert "Working-day calendar" in english


def test_the_admin_adds_and_removes_days_of_a_year(world: World, admin: Browser) -> None:
    freeze(world.services, date(2026, 11, 2))
    year = _text(admin.get("/admin/calendar/2027"))
    assert "2027 年的安排尚未载入" in year and 'id="day-notice"' in year
    # a year not loaded: the notice is asked for first
    missing = admin.post("/admin/calendar/2027/days", {"day": "2027-01-01", "kind": "holiday",
                                                       "name": "元旦", "notice": ""})
    assert missing.status_code == 422 and 'href="#day-notice"' in _text(missing)
    assert world.services.calendar.year(2027)["source"] is None
    added = admin.post("/admin/calendar/2027/days", {
        "day": "2027-01-01", "kind": "holiday", "name": "元旦",
        "notice": "测试用安排（非国务院办公厅通知）"})
    assert added.status_code == 302
    page = _text(admin.get("/admin/calendar/2027"))
    assert "已将 2027-01-01 加入 2027 年的安排。" in page and "由 admin 于" in page
    assert 'class="day-2027-01-01 holiday"' in page and "测试用安排" in page
    # a make-up working day must be a weekend day
    weekday = admin.post("/admin/calendar/2027/days", {"day": "2027-01-06", "kind": "workday"})
    assert weekday.status_code == 422 and "不是周末" in _text(weekday)
    saturday = admin.post("/admin/calendar/2027/days", {"day": "2027-01-09", "kind": "workday",
                                                        "name": "测试：调休上班"})
    assert saturday.status_code == 302
    view = world.services.calendar.year(2027)
    assert [(d["day"], d["workday"]) for d in view["days"]] == \
        [("2027-01-01", False), ("2027-01-09", True)]
    assert world.services.sharing.add_workdays(date(2027, 1, 8), 1) == date(2027, 1, 9)
    assert [e.detail["day"] for e in _audit(world, "calendar.add_day")] == \
        ["2027-01-01", "2027-01-09"]
    assert "warning-next_year_missing" not in _text(admin.get("/admin/calendar"))
    # remove the Saturday; the last holiday cannot go, the whole year can
    assert admin.post("/admin/calendar/2027/days/remove",
                      {"day": "2027-01-09"}).status_code == 302
    assert _audit(world, "calendar.remove_day")[-1].detail["day"] == "2027-01-09"
    last = admin.post("/admin/calendar/2027/days/remove", {"day": "2027-01-01"})
    assert last.status_code == 422 and "至少要有一个假日" in _text(last)
    absent = admin.post("/admin/calendar/2027/days/remove", {"day": "2027-03-01"})
    assert absent.status_code == 422 and "不在 2027 年的安排中" in _text(absent)
    assert admin.post("/admin/calendar/2027/remove").status_code == 302
    assert world.services.calendar.year(2027)["source"] is None
    assert admin.post("/admin/calendar/2027/remove").status_code == 404


def test_a_package_year_is_shown_with_its_names_and_extended_from_them(world: World,
                                                                       admin: Browser) -> None:
    page = _text(admin.get("/admin/calendar/2026"))
    assert "chinesecalendar 软件包" in page and "春节" in page
    assert 'class="day-2026-02-14 workday"' in page  # 春节调休: Saturday 14 February worked
    added = admin.post("/admin/calendar/2026/days", {
        "day": "2026-06-01", "kind": "holiday", "name": "测试：本地假日",
        "notice": "国务院办公厅关于2026年部分节假日安排的通知（测试扩充）"})
    assert added.status_code == 302
    view = world.services.calendar.year(2026)
    assert view["source"] == "loaded"
    days = {d["day"]: d for d in view["days"]}
    assert days["2026-02-14"]["workday"] and days["2026-02-17"]["name"] == "春节"
    assert days["2026-06-01"] == {"day": "2026-06-01", "workday": False, "name": "测试：本地假日"}
    # the packages now disagree with the loaded year on that one day, and the page says so
    status = _text(admin.get("/admin/calendar"))
    assert "2026-06-01" in status and "calendar-disagreements" in status


def test_open_a_year_and_a_wrong_year(world: World, admin: Browser) -> None:
    response = admin.get("/admin/calendar?year=2030")
    assert response.status_code == 302 and response.headers["Location"].endswith("/2030")
    assert admin.get("/admin/calendar/1999").status_code == 422
    for wrong in ("99999", "20x7", "２０２７"):
        assert admin.get(f"/admin/calendar/{wrong}").status_code == 404, wrong
    bad = admin.post("/admin/calendar/2027/days", {"day": "2027-02-30", "kind": "holiday",
                                                   "notice": "x"})
    assert bad.status_code == 422 and 'href="#day-day"' in _text(bad)


# -- publishers ----------------------------------------------------------------------------------


def _publisher_dataset(world: World) -> str:
    view = world.services.datasets.register(world.steward, record(
        title="六安市企业基本信息", publisher_name="六安市市场监督管理局", publisher_code=None))
    return view.id


def test_the_admin_links_a_publisher_to_a_department(world: World, admin: Browser) -> None:
    dataset_id = _publisher_dataset(world)
    page = _text(admin.get("/admin/publishers?q=六安"))
    assert "共 1 条" in page and "六安市市场监督管理局" in page and "未关联" in page
    found = re.search(r'name="organization_id" value="(\d+)"', page)
    assert found
    organization = found.group(1)
    none = admin.post("/admin/publishers/link", {"organization_id": organization,
                                                 "department_code": ""})
    assert none.status_code == 302 and "请选择要关联的部门" in _text(admin.get("/"))
    linked = admin.post("/admin/publishers/link", {"organization_id": organization,
                                                   "department_code": MARKET, "q": "六安",
                                                   "page": "1"})
    assert linked.status_code == 302 and "q=" in linked.headers["Location"]
    after = _text(admin.get(linked.headers["Location"]))
    assert "已将提供方“六安市市场监督管理局”关联到部门" in after
    assert world.services.datasets.get(world.admin, dataset_id).department_code == MARKET
    assert _audit(world, "organization.link")[-1].detail["department"] == MARKET
    for unknown in ("999999", "9" * 40, "x", ""):
        assert admin.post("/admin/publishers/link", {"organization_id": unknown,
                                                     "department_code": MARKET}
                          ).status_code == 404, unknown


def test_the_publisher_list_pages(world: World, admin: Browser,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _publisher_dataset(world)
    world.services.datasets.register(world.steward, record(title="全省户籍人口信息"))
    total = len(world.services.completion.organizations(world.admin))
    assert total >= 2
    monkeypatch.setattr(admin_pages, "PAGE_SIZE", 1)
    page = _text(admin.get("/admin/publishers"))
    assert f"共 {total} 条" in page and f"第 1 / {total} 页" in page
    assert page.count('<tr class="publisher-') == 1


def test_english_admin_pages(world: World, admin: Browser) -> None:
    for url, words in (("/admin/users?lang=en", "New user"),
                       ("/admin/departments", "New department"),
                       ("/admin/calendar/2026", "Make-up working day"),
                       ("/admin/publishers", "Publishers")):
        page = _text(admin.get(url))
        assert words in page, url
        assert not re.search(r"\badmin\.[a-z_]+\.[a-z_]+", page), url  # no word left untranslated
