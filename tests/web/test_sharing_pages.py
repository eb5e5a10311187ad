"""The sharing pages (issue 11, Sharing and Inbox) through the web UI, on both stores.

省公安厅 (``steward``) provides a published 有条件共享 population dataset; staff of 省市场监管局
(``staff``) request it; the governance reviewer (省数据资源局) approves sharing targets. The
sharing service's clock is frozen on Tuesday 2026-02-10 (deadline: 10 working days, 2026-03-02
with 春节). Every decision goes through the page's forms, as a browser posts them.
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from catalog.app import create_app
from catalog.sharing import machine
from catalog.sharing.grants import GRANT_STATUSES
from catalog.store import Store
from catalog.web.i18n import UI
from catalog.web.sharing_pages import TABS
from tests.factories import JUSTICE, World, record
from tests.sharing.helpers import Clock, add_user, freeze, payload, publish
from tests.web.conftest import Browser

NO_ITEMS = record(title="全省户籍业务统计报表", data_items=None, security_level="public")
NONE = record(title="全省在逃人员信息", share_type="none", share_method=None,
              share_basis="《中华人民共和国反恐怖主义法》第四十八条", security_level="public")


@pytest.fixture
def app(store: Store) -> Flask:
    """The web app over the parametrized store (SQLite and PostgreSQL)."""
    app = create_app(store.settings, store=store)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def clock(world: World) -> Clock:
    return freeze(world.services)


@pytest.fixture
def dataset(world: World, clock: Clock) -> str:
    return publish(world.services, world.steward, world.reviewer,
                   record(security_level="public"))


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def file(world: World, dataset_id: str, **changes: Any) -> str:
    return str(world.services.sharing.file(world.staff, payload(dataset_id, **changes))["id"])


def version(world: World, request_id: str) -> str:
    return str(world.services.sharing.get(world.admin, request_id)["version"])


def decide(browser: Browser, world: World, request_id: str, action: str,
           *pairs: tuple[str, str], **fields: str) -> Any:
    """Post the decision form of ``action`` as the request page offers it."""
    data = [("action", action), ("version", version(world, request_id)), *pairs,
            *fields.items()]
    return browser.post(f"/sharing/requests/{request_id}/decisions", data,
                        form_page=f"/sharing/requests/{request_id}")


def section(page: str, marker: str) -> str:
    start = page.index(marker)
    return page[start:page.index("</section>", start)]


def plain(page: str) -> str:
    """The page's text without its tags."""
    return re.sub(r"<[^>]+>", "", page)


def test_every_action_status_and_list_has_words() -> None:
    for action in machine.ACTIONS:
        for kind in ("btn", "help", "flash"):
            assert f"sharing.{kind}.{action}" in UI, (kind, action)
    for status in GRANT_STATUSES:
        assert f"sharing.grant.status.{status}" in UI
    for tab in TABS:
        assert f"sharing.intro.{tab}" in UI and f"sharing.empty.{tab}" in UI
    for role in ("provider", "reviewer"):
        assert f"sharing.tab.to_review.{role}" in UI


# -- the lists --------------------------------------------------------------------------------


def test_lists_show_state_deadline_and_working_days(browser_as, world: World, dataset: str,
                                                    clock: Clock) -> None:
    first = file(world, dataset)
    clock.set(date(2026, 2, 11))
    second = file(world, dataset, target_system="个体工商户登记系统")
    staff = text(browser_as("staff").get("/sharing/mine"))
    assert "我的申请" in staff and "待我答复" not in staff and "待我审核" not in staff
    assert "共 2 条" in staff and staff.count("待提供部门答复") == 2
    assert "2026-03-02" in staff and "2026-03-03" in staff  # 10 working days, 春节 skipped
    assert staff.index(second) < staff.index(first)  # newest first
    steward = text(browser_as("steward").get("/sharing/to_review"))
    assert 'aria-current="page">待我答复' in steward
    assert steward.index(first) < steward.index(second)  # nearest deadline first
    assert "剩余 10 个工作日" in steward and "剩余 9 个工作日" in steward
    assert "即将超期" not in steward
    assert "待我审核" in text(browser_as("reviewer").get("/sharing/mine"))
    # two working days before the deadline the request is flagged, after it it is late
    clock.set(date(2026, 2, 27))  # 28th (a make-up Saturday) and 2 March left
    near = text(browser_as("steward").get("/sharing/to_review"))
    assert "即将超期" in near and "near-breach" in near
    clock.set(date(2026, 3, 3))
    assert "已超期" in text(browser_as("steward").get("/sharing/to_review"))
    world.services.sharing.run_deadlines()
    escalated = text(browser_as("staff").get("/sharing/escalated"))
    assert "已逾期升级" in escalated and first in escalated
    assert "已督办" in escalated


def test_sharing_home_opens_the_list_of_the_viewer(browser_as, browser, world: World) -> None:
    assert browser_as("staff").get("/sharing").headers["Location"] == "/sharing/mine"
    assert browser_as("steward").get("/sharing").headers["Location"] == "/sharing/to_review"
    assert browser_as("reviewer").get("/sharing").headers["Location"] == "/sharing/to_review"
    assert browser.get("/sharing/mine").headers["Location"].startswith("/login?next=")
    assert browser_as("staff").get("/sharing/everything").status_code == 404


def test_lists_page_and_take_a_fixed_number_of_queries(app: Flask, browser_as, world: World,
                                                       dataset: str) -> None:
    """A page of 20 requests costs the queries a page of 2 does (no query a row)."""
    store: Store = world.services.store
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    staff = browser_as("staff")
    for n in range(2):
        file(world, dataset, target_system=f"系统{n}")
    event.listen(store.engine, "before_cursor_execute", count)
    try:
        staff.get("/sharing/mine")
        few = len(statements)
        for n in range(2, 23):
            file(world, dataset, target_system=f"系统{n}")
        statements.clear()
        page = text(staff.get("/sharing/mine"))
        many = len(statements)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert "共 23 条" in page and "第 1 / 2 页" in page and page.count('href="/sharing/requests/') == 20
    assert many == few, (few, many)
    assert text(staff.get("/sharing/mine?page=2")).count('href="/sharing/requests/') == 3


# -- one request and its decision forms ---------------------------------------------------------


def test_request_page_shows_the_request_and_only_the_forms_of_the_viewer(
        browser_as, browser, world: World, dataset: str) -> None:
    filed = file(world, dataset)
    url = f"/sharing/requests/{filed}"
    steward = text(browser_as("steward").get(url))
    for words in ("全省常住人口基本信息", "安徽省公安厅", "安徽省市场监督管理局", "staff",
                  "市场主体登记时核验经营者身份", "《市场主体登记管理条例》第十条", "姓名、公民身份号码",
                  "企业登记全程电子化系统", "2026-02-10 至 2026-12-31", "王敏 0551-62345678",
                  "2026-03-02", "剩余 10 个工作日", "待提供部门答复", "办理记录", "提出共享申请"):
        assert words in steward, words
    forms = set(re.findall(r'id="form-(\w+)"', steward))
    assert forms == {"approve", "narrow", "reject"}
    assert set(re.findall(r'id="form-(\w+)"', text(browser_as("staff").get(url)))) == {"withdraw"}
    # the dataset page's history links the request: its page holds the provider's forms
    dataset_page = text(browser_as("steward").get(f"/datasets/{dataset}"))
    assert f'href="/sharing/requests/{filed}" class="request-link">查看申请' in dataset_page
    reviewer = text(browser_as("reviewer").get(url))
    assert set(re.findall(r'id="form-(\w+)"', reviewer)) == set()
    assert "您对此申请暂无可办理的事项" in reviewer
    justice = add_user(world.services, "justice", "staff", JUSTICE)
    assert justice.username == "justice"
    other = browser_as("justice").get(url)
    assert other.status_code == 404 and "全省常住人口基本信息" not in text(other)
    assert browser.get(url).headers["Location"].startswith("/login?next=")
    assert browser_as("steward").get("/sharing/requests/not-a-uuid").status_code == 404


def test_narrow_then_approve_target_issues_the_grant(browser_as, world: World,
                                                     dataset: str) -> None:
    filed = file(world, dataset, data_items=["姓名", "公民身份号码", "出生日期"])
    steward = browser_as("steward")
    narrowed = decide(steward, world, filed, "narrow", ("has_items", "1"),
                      ("data_items", "姓名"), ("data_items", "公民身份号码"),
                      period_start="2026-02-10", period_end="2026-06-30",
                      reason="出生日期不属于核验所需")
    assert narrowed.status_code == 302 and narrowed.headers["Location"] == f"/sharing/requests/{filed}"
    page = text(steward.get(f"/sharing/requests/{filed}"))
    assert "已缩减范围同意" in page and "待审核共享目标" in page
    approved = plain(section(page, 'class="fact-approved"'))
    assert "批准范围" in approved and "姓名、公民身份号码 · 2026-02-10 至 2026-06-30" in approved
    reviewer = browser_as("reviewer")
    queue = text(reviewer.get("/sharing/to_review"))
    assert filed in queue and "待审核共享目标" in queue
    assert set(re.findall(r'id="form-(\w+)"', text(reviewer.get(f"/sharing/requests/{filed}")))) \
        == {"approve_target", "return"}
    assert decide(reviewer, world, filed, "approve_target").status_code == 302
    page = text(reviewer.get(f"/sharing/requests/{filed}"))
    assert "共享目标已审核通过，授权已生效" in page and "已授权" in page and "有效" in page
    [grant] = world.services.sharing.grants(world.reviewer)
    assert grant["data_items"] == ["姓名", "公民身份号码"] and grant["period_end"] == "2026-06-30"
    register = text(browser_as("staff").get("/sharing/grants"))
    assert f'id="grant-{grant["id"]}"' in register and "企业登记全程电子化系统" in register
    assert "2026-02-10 至 2026-06-30" in register and "有效" in register
    assert 'action="/sharing/grants/' not in register  # staff revoke nothing
    history = section(page, 'id="request-history"')
    for words in ("提出共享申请", "缩小范围同意", "出生日期不属于核验所需", "共享目标审核通过", "授权生效"):
        assert words in history, words


def test_reject_needs_a_reason_then_appeal(browser_as, world: World, dataset: str) -> None:
    filed = file(world, dataset)
    steward = browser_as("steward")
    before = world.services.sharing.get(world.admin, filed)
    bare = decide(steward, world, filed, "reject", reason="  ")
    assert bare.status_code == 422
    page = text(bare)
    assert "未能办理" in page and "该操作必须说明理由" in page
    assert 'id="form-reject"' in page and "field invalid" in section(page, 'id="decide"')
    assert world.services.sharing.get(world.admin, filed) == before  # nothing written
    assert decide(steward, world, filed, "reject", reason="用途与法定职责不符").status_code == 302
    staff = browser_as("staff")
    page = text(staff.get(f"/sharing/requests/{filed}"))
    assert "已拒绝" in page and "用途与法定职责不符" in page
    assert set(re.findall(r'id="form-(\w+)"', page)) == {"appeal", "withdraw"}
    assert decide(staff, world, filed, "appeal", reason="登记条例明确规定须核验").status_code == 302
    reviewer = browser_as("reviewer")
    assert filed in text(reviewer.get("/sharing/to_review"))
    page = text(reviewer.get(f"/sharing/requests/{filed}"))
    assert "申诉中" in page and "登记条例明确规定须核验" in page
    assert set(re.findall(r'id="form-(\w+)"', page)) == {"approve", "narrow", "reject"}
    assert decide(reviewer, world, filed, "approve").status_code == 302
    assert world.services.sharing.get(world.admin, filed)["state"] == "granted"


def test_a_stale_or_foreign_decision_is_refused_on_the_page(browser_as, world: World,
                                                             dataset: str) -> None:
    filed = file(world, dataset)
    steward = browser_as("steward")
    old = version(world, filed)
    world.services.sharing.decide(world.staff, filed, {"action": "withdraw"})
    stale = steward.post(f"/sharing/requests/{filed}/decisions",
                         [("action", "approve"), ("version", old)],
                         form_page=f"/sharing/requests/{filed}")
    assert stale.status_code == 409 and "请刷新后重试" in text(stale)
    again = file(world, dataset)
    staff = browser_as("staff")
    refused = decide(staff, world, again, "approve")
    assert refused.status_code == 403 and "只有提供部门的数据管理员可以答复该申请" in text(refused)
    unknown = decide(steward, world, again, "accept")
    assert unknown.status_code == 422 and 'id="error-summary"' in text(unknown)
    assert world.services.sharing.get(world.admin, again)["state"] == "pending_provider"
    narrow_all = decide(steward, world, again, "narrow", ("has_items", "1"),
                        ("data_items", "姓名"), ("data_items", "公民身份号码"),
                        period_start="2026-02-10", period_end="2026-12-31", reason="全部")
    assert narrow_all.status_code == 422 and "全部同意请用 approve" in text(narrow_all)
    none_left = decide(steward, world, again, "narrow", ("has_items", "1"), reason="都不给")
    assert none_left.status_code == 422
    page = text(none_left)
    assert 'id="form-narrow"' in page and "都不给</textarea>" in page
    bare = steward.client.post(f"/sharing/requests/{again}/decisions",
                               data={"action": "approve"})
    assert bare.status_code == 400
    assert world.services.sharing.get(world.admin, again)["state"] == "pending_provider"


# -- the grant register -------------------------------------------------------------------------


def granted(world: World, dataset_id: str, **changes: Any) -> str:
    filed = file(world, dataset_id, **changes)
    world.services.sharing.decide(world.steward, filed, {"action": "approve"})
    world.services.sharing.decide(world.reviewer, filed, {"action": "approve_target"})
    return filed


def test_register_filters_revokes_and_exports(browser_as, world: World, dataset: str) -> None:
    granted(world, dataset)
    granted(world, dataset, target_system="个体工商户登记系统", data_items=["姓名"])
    [second, first] = world.services.sharing.grants(world.reviewer)
    steward = browser_as("steward")
    page = text(steward.get("/sharing/grants"))
    assert "授权登记簿" in page and "共 2 条" in page
    assert page.count('action="/sharing/grants/') == 2  # the provider's steward may revoke
    no_reason = steward.post(f"/sharing/grants/{first['id']}/revoke",
                             {"reason": "", "next": "/sharing/grants"},
                             form_page="/sharing/grants")
    assert no_reason.status_code == 302
    assert "撤销授权须说明理由" in text(steward.get("/sharing/grants"))
    revoked = steward.post(f"/sharing/grants/{first['id']}/revoke",
                           {"reason": "目标系统已停用", "next": "/sharing/grants?status=revoked"},
                           form_page="/sharing/grants")
    assert revoked.headers["Location"] == "/sharing/grants?status=revoked"
    page = text(steward.get("/sharing/grants?status=revoked"))
    assert "授权已撤销" in page and "共 1 条" in page
    assert "steward 撤销：目标系统已停用" in page and first["id"] in page
    active = text(steward.get("/sharing/grants?status=active"))
    assert "共 1 条" in active and second["id"] in active
    twice = steward.post(f"/sharing/grants/{first['id']}/revoke", {"reason": "再撤"},
                         form_page="/sharing/grants")
    assert twice.status_code == 302 and "该授权已撤销" in text(steward.get("/sharing/grants"))
    staff = browser_as("staff")
    assert staff.post(f"/sharing/grants/{second['id']}/revoke", {"reason": "x"},
                      form_page="/sharing/grants").status_code == 302
    assert "只有提供部门的数据管理员或治理审核员可以撤销授权" in text(staff.get("/sharing/grants"))
    assert world.services.sharing.grants(world.reviewer, status="active")[0]["id"] == second["id"]
    csv = staff.get("/sharing/grants.csv?status=revoked")
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    body = csv.get_data().decode("utf-8-sig")
    assert "授权编号 (id)" in body and first["id"] in body and second["id"] not in body
    assert "已撤销" in body and "目标系统已停用" in body
    one = text(staff.get(f"/sharing/grants?dataset={dataset}&department=&status=bogus"))
    assert "仅显示一个信息资源的授权" in one and "共 2 条" in one


# -- the dataset page: no 信息项, already granted, disputes ---------------------------------------


def test_a_dataset_without_items_is_requested_whole_or_described(browser_as, world: World,
                                                                 clock: Clock) -> None:
    dataset = publish(world.services, world.steward, world.reviewer, NO_ITEMS)
    staff = browser_as("staff")
    page = text(staff.get(f"/datasets/{dataset}"))
    form = section(page, 'id="share-form"')
    assert "未登记信息项。" in form and 'name="needed"' in form and 'name="data_items"' not in form
    fields = {k: v for k, v in payload(dataset).items() if k not in ("dataset_id", "data_items")}
    fields["no_items"] = "1"  # as the form sends it
    whole = staff.post(f"/datasets/{dataset}/sharing-requests", fields,
                       form_page=f"/datasets/{dataset}")
    assert whole.status_code == 302
    request_url = whole.headers["Location"]
    assert request_url.startswith("/sharing/requests/")
    shown = text(staff.get(request_url))
    assert "共享申请已提交" in shown and "整个信息资源" in shown
    described = staff.post(f"/datasets/{dataset}/sharing-requests",
                           {**fields, "target_system": "个体工商户登记系统",
                            "needed": "各市县户籍业务办理量月度统计"},
                           form_page=f"/datasets/{dataset}")
    assert described.status_code == 302
    request_id = described.headers["Location"].rsplit("/", 1)[-1].removesuffix("#main")
    world.services.sharing.decide(world.steward, request_id, {"action": "approve"})
    world.services.sharing.decide(world.reviewer, request_id, {"action": "approve_target"})
    page = text(staff.get(described.headers["Location"]))
    assert "所需内容说明：各市县户籍业务办理量月度统计" in page
    register = text(staff.get("/sharing/grants"))
    assert "整个信息资源" in register and "各市县户籍业务办理量月度统计" in register
    wrong = staff.post(f"/datasets/{dataset}/sharing-requests",
                       [*fields.items(), ("data_items", "姓名")],
                       form_page=f"/datasets/{dataset}")
    assert wrong.status_code == 422 and "该信息资源未登记信息项" in text(wrong)


def test_a_second_request_for_granted_data_says_so_and_links_the_grant(
        browser_as, world: World, dataset: str) -> None:
    filed = granted(world, dataset)
    [grant] = world.services.sharing.grants(world.staff)
    staff = browser_as("staff")
    form = section(text(staff.get(f"/datasets/{dataset}")), 'id="share-form"')
    assert "本部门已获该资源的共享授权" in form
    assert f'href="/sharing/grants?dataset={dataset}#grant-{grant["id"]}"' in form
    assert f'href="/sharing/requests/{filed}"' in form
    fields = payload(dataset)
    pairs = [(k, v) for k, v in fields.items() if k not in ("dataset_id", "data_items")] + \
        [("data_items", "姓名")]
    again = staff.post(f"/datasets/{dataset}/sharing-requests", pairs,
                       form_page=f"/datasets/{dataset}")
    assert again.status_code == 409
    page = text(again)
    assert "本部门已获该资源的共享授权" in page and grant["id"] in page and "无需再次申请" in page
    assert f'#grant-{grant["id"]}"' in page
    assert world.services.sharing.list(world.staff)["total"] == 1
    # another system, or an item the grant lacks, is a new request
    more = staff.post(f"/datasets/{dataset}/sharing-requests",
                      [*pairs, ("data_items", "出生日期")], form_page=f"/datasets/{dataset}")
    assert more.status_code == 302


def test_a_not_shared_dataset_is_disputed_with_governance(browser_as, world: World,
                                                          clock: Clock) -> None:
    dataset = publish(world.services, world.steward, world.reviewer, NONE)
    staff = browser_as("staff")
    page = text(staff.get(f"/datasets/{dataset}"))
    assert 'id="share-form"' not in page
    form = section(page, 'id="dispute-form"')
    assert "对不予共享提出异议" in form and "《中华人民共和国反恐怖主义法》第四十八条" in form
    assert 'name="kind" value="dispute"' in form and 'name="reason"' in form
    pairs = [(k, v) for k, v in payload(dataset).items() if k not in ("dataset_id", "data_items")]
    pairs += [("data_items", "姓名"), ("kind", "dispute")]
    no_grounds = staff.post(f"/datasets/{dataset}/sharing-requests", pairs,
                            form_page=f"/datasets/{dataset}")
    assert no_grounds.status_code == 422 and "提出异议必须说明理由" in text(no_grounds)
    filed = staff.post(f"/datasets/{dataset}/sharing-requests",
                       [*pairs, ("reason", "市场主体登记须核验在逃人员")],
                       form_page=f"/datasets/{dataset}")
    assert filed.status_code == 302
    shown = text(staff.get(filed.headers["Location"]))
    assert "异议已提交治理审核员" in shown and "异议审核中" in shown and "对不予共享的异议" in shown
    request_id = filed.headers["Location"].rsplit("/", 1)[-1].removesuffix("#main")
    reviewer = browser_as("reviewer")
    assert request_id in text(reviewer.get("/sharing/to_review"))
    assert decide(reviewer, world, request_id, "reject",
                  reason="涉及侦查秘密，维持不予共享").status_code == 302
    assert world.services.sharing.get(world.admin, request_id)["state"] == "refused"


# -- the inbox ----------------------------------------------------------------------------------


def test_inbox_counts_links_and_marks_read(browser_as, world: World, dataset: str) -> None:
    filed = file(world, dataset)
    steward = browser_as("steward")
    home = text(steward.get("/"))
    assert re.search(r'class="inbox-link">消息 <span class="unread-count" aria-label="1 条未读">1</span>',
                     home)
    inbox = text(steward.get("/inbox"))
    assert "共享申请待您处理" in inbox and "共 1 条，未读 1 条" in inbox
    assert f'href="/sharing/requests/{filed}"' in inbox
    assert f"http://localhost/sharing/requests/{filed}" in inbox or \
        f"/sharing/requests/{filed}" in inbox
    [note] = world.services.sharing.inbox(world.steward)["items"]
    assert steward.post("/inbox/read", {"id": str(note["id"]), "next": "/inbox?unread=1"},
                        form_page="/inbox").headers["Location"] == "/inbox?unread=1"
    assert "暂无通知" in text(steward.get("/inbox?unread=1"))
    assert "unread-count" not in text(steward.get("/"))
    # a notification of someone else is not found; a malformed id neither
    staff = browser_as("staff")
    for bad in (str(note["id"]), "abc", "9" * 40, str(2**31)):
        assert staff.post("/inbox/read", {"id": bad}, form_page="/inbox").status_code == 404, bad
    for n in range(23):
        world.services.sharing.decide(world.staff, file(world, dataset, target_system=f"系统{n}"),
                                      {"action": "withdraw"})
    inbox = text(steward.get("/inbox"))
    # each filing asks the steward to act, each withdrawal tells them: 1 + 23 + 23
    assert "共 47 条，未读 46 条" in inbox and "第 1 / 3 页" in inbox
    assert inbox.count('class="note ') == 20
    done = steward.post("/inbox/read-all", {}, form_page="/inbox")
    assert done.headers["Location"] == "/inbox"
    assert "已将 46 条通知标为已读" in text(steward.get("/inbox"))
    assert world.services.sharing.inbox(world.steward)["unread"] == 0


def test_pages_in_english(browser_as, world: World, dataset: str) -> None:
    filed = granted(world, dataset)
    staff = browser_as("staff")
    staff.get("/?lang=en")
    for url, words in ((f"/sharing/requests/{filed}",
                        ("Sharing request", "Granted", "Purpose", "Receiving system", "History",
                         "Requested", "Grant issued", "See it in the grant register")),
                       ("/sharing/mine", ("My requests", "Escalated", "Filed", "1 in total")),
                       ("/sharing/grants", ("Grant register", "Export CSV", "Active",
                                            "Receiving department")),
                       ("/inbox", ("Inbox", "A sharing request was decided", "Open the request",
                                   "Mark all read"))):
        page = text(staff.get(url))
        for word in words:
            assert word in page, (url, word)
        assert not re.search(r"我的申请|授权登记簿|办理记录|共享申请已有处理结果", page), url
