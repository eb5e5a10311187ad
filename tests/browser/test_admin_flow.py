"""The administration pages in a real browser (issue 11): an administrator creates a user who
then signs in, adds days to the working-day calendar, and every admin page fits a 375 px
screen; one flow in English. The demo server and Chromium come from test_demo_flow's fixtures
(headless Debian Chromium through Playwright's ``executable_path``); screenshots go to
``artifacts/browser/``."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from catalog.credit_code import make_credit_code
from tests.browser.harness import ACTION_TIMEOUT_MS, Shots

# the demo flow's fixtures: a demo server, Chromium, a page with its screenshots

PASSWORDS = {"admin": "mulu-admin-2026", "staff": "mulu-staff-2026"}
NEW_USER, NEW_PASSWORD = "zhao.min", "Huangshan-pine-2026"
NARROW = 375


def sign_in(page: Any, shots: Shots, username: str, password: str | None = None,
            sign_in_label: str = "登录") -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password or PASSWORDS[username])
    page.locator("form.stacked").get_by_role("button", name=sign_in_label).click()
    expect(page.locator("header .user")).to_contain_text(username)
    shots.take(f"{username}-signed-in")


def sign_out(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator("header").get_by_role("button", name=re.compile("退出|Sign out")).click()
    expect(page.locator("header .user")).to_have_count(0)


def test_an_admin_creates_a_user_who_then_signs_in(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    sign_in(page, shots, "admin")
    page.locator("nav.main").get_by_role("link", name="系统管理").click()
    expect(page.get_by_role("heading", name="用户管理", exact=True)).to_be_visible()
    shots.take("users")
    form = page.locator("#user-form")
    form.get_by_label("用户名").fill(NEW_USER)
    form.get_by_label("姓名").fill("赵敏")
    form.get_by_label("密码").fill("short")  # refused by the password policy first
    form.get_by_label("角色").select_option(label="工作人员")
    form.get_by_label("所属部门").select_option(label="安徽省司法厅")
    form.get_by_role("button", name="创建用户").click()
    expect(page.locator("#error-summary")).to_contain_text("密码至少 10 位")
    expect(page.locator("#user-password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#user-username")).to_have_value(NEW_USER)  # what was typed is kept
    shots.take("user-form-error")
    page.locator("#user-password").fill(NEW_PASSWORD)
    page.locator("#user-form").get_by_role("button", name="创建用户").click()
    expect(page).to_have_url(re.compile(rf"/admin/users/{re.escape(NEW_USER)}$"))
    expect(page.locator(".notice.ok")).to_have_text(f"已创建用户 {NEW_USER}。")
    expect(page.locator("table.admin-user-summary")).to_contain_text("安徽省司法厅")
    shots.take("user-created")
    sign_out(page)

    sign_in(page, shots, NEW_USER, NEW_PASSWORD)
    expect(page.locator("header .role")).to_have_text("工作人员")
    expect(page.locator("nav.main").get_by_role("link", name="系统管理")).to_have_count(0)
    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    expect(page.locator(".error-page .status")).to_have_text("403")
    shots.take("new-user-refused-admin-page")


def test_an_admin_adds_days_to_next_years_calendar(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    sign_in(page, shots, "admin")
    page.goto("/admin/calendar")
    expect(page.get_by_role("heading", name="工作日历")).to_be_visible()
    year = int(page.locator("#goto-year").input_value())  # next year, offered by the page
    missing = page.locator(".calendar-warning.warning-next_year_missing")
    if missing.count():  # November or December: next year's days are not in the packages
        expect(missing).to_contain_text(f"{year} 年的法定节假日和调休安排尚未载入")
    shots.take("calendar-status")
    page.get_by_role("button", name="打开").click()
    expect(page.get_by_role("heading", name=f"{year} 年工作日历")).to_be_visible()

    form = page.locator("#day-form")
    form.get_by_label("日期").fill(f"{year}-01-01")
    form.get_by_label("名称").fill("元旦")
    if form.locator("#day-notice").count():
        form.locator("#day-notice").fill("测试用安排（非国务院办公厅通知）")
    form.get_by_role("button", name="添加").click()
    expect(page.locator(".notice.ok")).to_have_text(f"已将 {year}-01-01 加入 {year} 年的安排。")
    row = page.locator(f"tr.day-{year}-01-01")
    expect(row).to_contain_text("元旦")
    expect(row.locator(".badge")).to_have_text("放假")
    shots.take("calendar-holiday-added")

    # a make-up working day on a weekday is refused, with the message on the form
    weekday = next(f"{year}-01-{d:02d}" for d in range(4, 11)
                   if date(year, 1, d).weekday() < 5)
    saturday = next(f"{year}-01-{d:02d}" for d in range(4, 11)
                    if date(year, 1, d).weekday() == 5)
    form = page.locator("#day-form")
    form.get_by_label("日期").fill(weekday)
    form.get_by_label("调休上班").check()
    form.get_by_role("button", name="添加").click()
    expect(page.locator("#error-summary")).to_contain_text("不是周末")
    shots.take("calendar-weekday-refused")
    form = page.locator("#day-form")
    form.get_by_label("日期").fill(saturday)
    form.get_by_label("调休上班").check()
    form.get_by_role("button", name="添加").click()
    expect(page.locator(f"tr.day-{saturday}.workday")).to_contain_text("调休上班")
    shots.take("calendar-workday-added")

    page.goto("/admin/calendar")
    expect(page.locator(f"tr.year-{year}")).to_contain_text("管理员载入")
    expect(page.locator(".calendar-warning.warning-next_year_missing")).to_have_count(0)
    shots.take("calendar-status-after")
    # leave the demo as it was: remove one day, then the loaded year
    page.goto(f"/admin/calendar/{year}")
    page.locator(f"tr.day-{saturday}").get_by_role("button", name=f"删除 {saturday}").click()
    expect(page.locator(f"tr.day-{saturday}")).to_have_count(0)
    page.get_by_role("button", name=f"删除 {year} 年已载入的安排").click()
    expect(page.locator(".notice.ok")).to_have_text("已删除该年载入的安排。")


def test_admin_pages_fit_a_375px_screen(chromium: Any, demo_server: str) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=demo_server, locale="zh-CN",
                                   viewport={"width": NARROW, "height": 800})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    narrow = Shots(tab, "admin_375px")
    try:
        sign_in(tab, narrow, "admin")
        for url in ("/admin/users", "/admin/users/steward", "/admin/departments",
                    "/admin/calendar", "/admin/calendar/2026", "/admin/calendar/2030",
                    "/admin/publishers"):
            response = tab.goto(url)
            assert response is not None and response.status == 200, url
            expect(tab.locator("main h1")).to_be_visible()
            width = tab.evaluate("document.documentElement.scrollWidth")
            narrow.take(url.strip("/").replace("/", "-"))
            assert width <= NARROW, f"{url} is {width}px wide at {NARROW}px"
    finally:
        context.close()


def test_an_admin_registers_a_department_in_english(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    sign_in(page, shots, "admin")
    page.goto("/admin/departments?lang=en")
    expect(page.get_by_role("heading", name="Departments", exact=True)).to_be_visible()
    code = make_credit_code("11340000MB6789012")
    form = page.locator("#department-form")
    form.get_by_label("Unified social credit code").fill(code[:-1] + ("0" if code[-1] != "0"
                                                                       else "1"))
    form.locator("#department-name").fill("安徽省教育厅")
    form.get_by_label("English name").fill("Department of Education of Anhui Province")
    form.get_by_role("button", name="Create the department").click()
    expect(page.locator("#error-summary")).to_contain_text("Not a valid unified social credit code")
    shots.take("department-bad-code")
    page.locator("#department-code").fill(code)
    page.locator("#department-form").get_by_role("button", name="Create the department").click()
    expect(page.locator(".notice.ok")).to_have_text("Department 安徽省教育厅 created.")
    expect(page.locator("table.admin-departments")).to_contain_text(code)
    shots.take("department-created")
    page.locator("nav.admin-nav").get_by_role("link", name="Publishers").click()
    expect(page.get_by_role("heading", name="Publishers")).to_be_visible()
    rows = page.locator("table.admin-publishers tbody tr")
    assert rows.count() >= 1
    shots.take("publishers")
