"""Sharing in a real browser (issue 11): staff files a request, the provider's steward approves
it with narrowed items, the governance reviewer approves the target, the grant shows in the
register and in the staff's inbox; a rejection with its reason and an appeal; every sharing page
at 375 px; one flow in English.

The demo server and headless Debian Chromium come from ``harness.py`` (``mulu demo`` on a
free port; ``/usr/bin/chromium`` through ``executable_path``), shared with ``test_demo_flow``. Demo users: ``staff`` of
省市场监管局, ``steward`` of 省公安厅 (the provider), ``reviewer`` (province governance). Each
test files its own requests (its own receiving system), so the tests need no order. Every step
leaves a screenshot in ``artifacts/browser/``.
"""

from __future__ import annotations

import re
from typing import Any

from tests.browser.harness import Shots, login, logout

HOUSEHOLDS = "全省户籍信息"        # 省公安厅, 有条件共享, 姓名、公民身份号码、性别、民族 …
RESIDENCE = "居住证受理信息"       # 省公安厅, 有条件共享
PERIOD_END = "2027-06-30"
# what sticks out past 375 px outside a scrolling wrapper (for the failure message)
WIDE = """[...document.querySelectorAll('body *')].filter(e => !(e.parentElement && e.parentElement.closest('.sharing-scroll')) && e.getBoundingClientRect().right > 376)
  .filter(e => !['TH','TD'].includes(e.tagName)).slice(0, 12).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 60) + ' ' + Math.round(e.getBoundingClientRect().right))"""


def open_dataset(page: Any, title: str) -> None:
    from playwright.sync_api import expect

    page.goto("/datasets")
    page.locator("#q").fill(title)
    page.get_by_role("button", name="筛选").click()
    page.locator("table.list").get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def file_request(page: Any, shots: Shots, title: str, system: str,
                 items: tuple[str, ...] = ("姓名", "公民身份号码", "性别")) -> str:
    """Fill in and send the request form of the dataset page; return the request's URL."""
    from playwright.sync_api import expect

    open_dataset(page, title)
    form = page.locator("#share-form")
    expect(form.get_by_role("heading", name="申请共享")).to_be_visible()
    form.get_by_label("用途").fill("市场主体登记时核验经营者身份")
    form.get_by_label("所履行的法定职责及依据").fill("《市场主体登记管理条例》第十条")
    for item in items:
        form.get_by_label(item, exact=True).check()
    form.get_by_label("接收数据的目标系统").fill(system)
    form.get_by_label("使用期限止").fill(PERIOD_END)
    form.get_by_label("联系人及联系方式").fill("王敏 0551-62345678")
    shots.take("staff-request-form")
    form.get_by_role("button", name="提交共享申请").click()
    expect(page).to_have_url(re.compile(r"/sharing/requests/[0-9a-f-]{36}#main$"))
    expect(page.locator(".notice.ok")).to_have_text("共享申请已提交，等待提供部门答复。")
    expect(page.locator(".title-row .badge").first).to_have_text("待提供部门答复")
    return str(page.url).removesuffix("#main")


def open_from_list(page: Any, tab: str, url: str) -> None:
    """Open the request from the list named ``tab`` of the sharing pages."""
    from playwright.sync_api import expect

    page.locator("nav.main").get_by_role("link", name="共享申请").click()
    page.locator("nav.sharing-tabs").get_by_role("link", name=tab).click()
    expect(page.locator('nav.sharing-tabs a[aria-current="page"]')).to_have_text(tab)
    path = url.split("://", 1)[-1].split("/", 1)[-1]
    row = page.locator("table.sharing-requests tbody tr", has=page.locator(f'a[href="/{path}"]'))
    expect(row).to_have_count(1)
    row.locator(f'a[href="/{path}"]').click()
    expect(page).to_have_url(url)


def test_request_narrow_approve_target_grant_and_inbox(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    system = "企业登记全程电子化系统（浏览器）"
    login(page, shots, "staff")
    url = file_request(page, shots, HOUSEHOLDS, system)
    facts = page.locator("table.sharing-facts")
    expect(facts).to_contain_text("姓名、公民身份号码、性别")
    expect(facts.locator("tr.fact-deadline")).to_contain_text("剩余 10 个工作日")
    expect(page.locator("form.decision")).to_have_count(1)  # staff may only withdraw
    shots.take("staff-request-filed")
    logout(page, shots, "staff")

    # the provider's steward: the unread count in the header, the request in 待我答复
    login(page, shots, "steward")
    expect(page.locator("header .unread-count")).to_be_visible()
    open_from_list(page, "待我答复", url)
    shots.take("steward-request")
    narrow = page.locator("#form-narrow")
    narrow.get_by_label("性别", exact=True).uncheck()
    narrow.get_by_label("理由（必填）").fill("性别不属于身份核验所需，按最小必要原则提供")
    shots.take("steward-narrow-form")
    narrow.get_by_role("button", name="缩减后同意").click()
    expect(page.locator(".notice.ok")).to_have_text("已缩减范围同意。")
    expect(page.locator(".title-row .badge").first).to_have_text("待审核共享目标")
    expect(page.locator("tr.fact-approved")).to_contain_text("姓名、公民身份号码")
    expect(page.locator("tr.fact-approved")).not_to_contain_text("性别")
    shots.take("steward-narrowed")
    logout(page, shots, "steward")

    # the governance reviewer approves the sharing target from 待我审核
    login(page, shots, "reviewer")
    open_from_list(page, "待我审核", url)
    expect(page.locator("form.decision")).to_have_count(2)  # approve the target, or return
    page.locator("#form-approve_target").get_by_role("button", name="审核通过共享目标").click()
    expect(page.locator(".notice.ok")).to_have_text("共享目标已审核通过，授权已生效。")
    expect(page.locator(".title-row .badge").first).to_have_text("已授权")
    history = page.locator("#request-history")
    for event in ("提出共享申请", "缩小范围同意", "共享目标审核通过", "授权生效"):
        expect(history).to_contain_text(event)
    shots.take("reviewer-granted")
    logout(page, shots, "reviewer")

    # the staff: the grant in the register, the decision in the inbox
    login(page, shots, "staff")
    page.locator("nav.main").get_by_role("link", name="授权登记簿").click()
    grant = page.locator("table.sharing-grants tbody tr", has_text=system)
    expect(grant).to_have_count(1)
    expect(grant).to_contain_text("姓名、公民身份号码")
    expect(grant).not_to_contain_text("性别")
    expect(grant).to_contain_text("有效")
    expect(grant).to_contain_text(PERIOD_END)
    shots.take("staff-register")
    with page.expect_download() as saved:
        page.get_by_role("link", name="导出 CSV").click()
    assert saved.value.suggested_filename == "grants.csv"
    page.locator("header").get_by_role("link", name=re.compile("^消息")).click()
    expect(page.get_by_role("heading", name="消息")).to_be_visible()
    decided = page.locator("li.note.unread", has_text="共享申请已有处理结果")
    expect(decided.first).to_be_visible()
    path = url.split("://", 1)[-1].split("/", 1)[-1]
    expect(page.locator(f'li.note a[href="/{path}"]').first).to_be_visible()
    shots.take("staff-inbox")
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator(".notice.ok")).to_contain_text("条通知标为已读")
    expect(page.locator("li.note.unread")).to_have_count(0)
    expect(page.locator("header .unread-count")).to_have_count(0)
    shots.take("staff-inbox-read")


def test_reject_with_a_reason_and_appeal(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    login(page, shots, "staff")
    url = file_request(page, shots, RESIDENCE, "个体工商户登记系统（浏览器）", ("姓名", "公民身份号码"))
    logout(page, shots, "staff")

    login(page, shots, "steward")
    page.goto(url)
    reject = page.locator("#form-reject")
    reason = reject.get_by_label("理由（必填）")
    expect(reason).to_have_attribute("required", "")
    reason.fill("申请用途与所履行的法定职责不符")
    shots.take("steward-reject-form")
    reject.get_by_role("button", name="拒绝").click()
    expect(page.locator(".notice.ok")).to_have_text("已拒绝。")
    expect(page.locator(".title-row .badge").first).to_have_text("已拒绝")
    expect(page.locator("tr.fact-reason")).to_contain_text("申请用途与所履行的法定职责不符")
    shots.take("steward-rejected")
    logout(page, shots, "steward")

    login(page, shots, "staff")
    open_from_list(page, "我的申请", url)
    expect(page.locator("tr.fact-reason")).to_contain_text("申请用途与所履行的法定职责不符")
    appeal = page.locator("#form-appeal")
    appeal.get_by_label("理由（必填）").fill("《市场主体登记管理条例》明确规定登记时须核验身份")
    appeal.get_by_role("button", name="提出申诉").click()
    expect(page.locator(".notice.ok")).to_have_text("申诉已提交治理审核员。")
    expect(page.locator(".title-row .badge").first).to_have_text("申诉中")
    shots.take("staff-appealed")
    logout(page, shots, "staff")

    login(page, shots, "reviewer")
    open_from_list(page, "待我审核", url)
    expect(page.locator("#request-history")).to_contain_text("提出申诉")
    expect(page.locator("#request-history")).to_contain_text("申请用途与所履行的法定职责不符")
    expect(page.locator("#form-approve")).to_be_visible()
    expect(page.locator("#form-reject")).to_be_visible()
    shots.take("reviewer-appeal")


def test_sharing_pages_fit_375_px(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    login(page, shots, "staff")
    url = file_request(page, shots, HOUSEHOLDS, "窄屏检查系统")
    page.set_viewport_size({"width": 375, "height": 800})
    dataset = page.locator("table.sharing-facts a").first.get_attribute("href")
    for name, path in (("request", url), ("mine", "/sharing/mine"),
                       ("escalated", "/sharing/escalated"), ("grants", "/sharing/grants"),
                       ("inbox", "/inbox"), ("dataset", dataset)):
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        shots.take(f"375-{name}")
        assert width <= 375, (name, width, page.evaluate(WIDE))
    logout(page, shots, "staff")
    login(page, shots, "steward")
    page.goto("/sharing/to_review")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shots.take("375-to-review")
    page.goto(url)
    expect(page.locator("#form-narrow")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shots.take("375-steward-request")


def test_a_request_withdrawn_in_english(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    login(page, shots, "staff")
    url = file_request(page, shots, RESIDENCE, "English check system", ("姓名",))
    page.goto(url + "?lang=en")
    expect(page.get_by_role("heading", name=re.compile("^Sharing request"))).to_be_visible()
    expect(page.locator(".title-row .badge").first).to_have_text("Awaiting the provider")
    expect(page.locator("tr.fact-deadline")).to_contain_text("working days left")
    withdraw = page.locator("#form-withdraw")
    withdraw.get_by_label("Reason").fill("No longer needed")
    shots.take("en-withdraw-form")
    withdraw.get_by_role("button", name="Withdraw the request").click()
    expect(page.locator(".notice.ok")).to_have_text("Request withdrawn.")
    expect(page.locator(".title-row .badge").first).to_have_text("Withdrawn")
    expect(page.locator("#request-history")).to_contain_text("No longer needed")
    shots.take("en-withdrawn")
    page.locator("nav.main").get_by_role("link", name="Sharing").click()
    expect(page.locator('nav.sharing-tabs a[aria-current="page"]')).to_have_text("My requests")
    expect(page.locator("main")).not_to_contain_text("我的申请")
    page.locator("nav.main").get_by_role("link", name="Grant register").click()
    expect(page.get_by_role("heading", name="Grant register")).to_be_visible()
    page.locator("header").get_by_role("link", name=re.compile("^Inbox")).click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    shots.take("en-inbox")
