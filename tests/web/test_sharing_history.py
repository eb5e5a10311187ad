"""The dataset page's sharing history (issue 5, Audit) and its request form, through the web UI.

省公安厅 (``steward``) provides a published 有条件共享 population dataset at the public level (so
anonymous visitors see the page); staff of 省市场监管局 (``staff``) request it; the governance
reviewer approves the sharing target. Time is frozen on 2026-02-10 for the sharing service.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

import pytest

from catalog.sharing import machine
from catalog.web.i18n import UI, local_time
from tests.factories import JUSTICE, World, record
from tests.sharing.helpers import add_user, freeze, payload, publish

REASON = "符合共享条件，按最小必要原则提供"


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def history_section(page: str) -> str:
    start = page.index('id="sharing-history"')
    return page[start:page.index("</section>", start)]


@pytest.fixture
def dataset(world: World) -> str:
    freeze(world.services)
    return publish(world.services, world.steward, world.reviewer,
                   record(security_level="public"))


@pytest.fixture
def granted(world: World, dataset: str) -> str:
    """A conditional request of 省市场监管局, approved by the provider, target approved."""
    sharing = world.services.sharing
    filed = sharing.file(world.staff, payload(dataset))
    sharing.decide(world.steward, filed["id"], {"action": "approve", "reason": REASON})
    sharing.decide(world.reviewer, filed["id"], {"action": "approve_target"})
    return filed["id"]


def test_every_state_and_action_has_words() -> None:
    for state in machine.STATES:
        assert f"share.state.{state}" in UI
    for action in (*machine.ACTIONS, "file", "dispute"):
        assert f"share.action.sharing.{action}" in UI
    for change in ("create", "revoke", "expire"):
        assert f"share.action.grant.{change}" in UI
    for role in machine.ROLES:
        assert f"share.relation.{role}" in UI


def test_history_in_chinese(browser_as, world: World, dataset: str, granted: str) -> None:
    page = text(browser_as("staff").get(f"/datasets/{dataset}"))
    section = history_section(page)
    assert "共享记录" in section
    # newest first: the grant, the target approval, the provider's approval, the filing
    events = ["授权生效", "共享目标审核通过", "同意", "提出共享申请"]
    positions = [section.index(f"<b>{e}</b>") for e in events]
    assert positions == sorted(positions)
    for words in ("待提供部门答复", "待审核共享目标", "已授权", REASON, "安徽省市场监督管理局",
                  "steward", "reviewer", "staff", "提供部门", "治理审核",
                  "信息项：姓名、公民身份号码", "企业登记全程电子化系统", "2026-02-10 至 2026-12-31"):
        assert words in section, words
    # times as Beijing time, exactly as the audit log has them
    entries = world.services.sharing.history(world.staff, dataset)
    assert len(entries) == 4
    for entry in entries:
        assert local_time(datetime.fromisoformat(entry["at"])) in section
    assert re.search(r'class="time">\d{4}-\d\d-\d\d \d\d:\d\d<', section)


def test_history_in_english(browser_as, world: World, dataset: str, granted: str) -> None:
    section = history_section(text(browser_as("staff").get(f"/datasets/{dataset}?lang=en")))
    for words in ("Sharing history", "Requested", "Approved", "Sharing target approved",
                  "Grant issued", "Awaiting the provider", "Awaiting target review", "Granted",
                  "Data items: 姓名, 公民身份号码", "Receiving system: 企业登记全程电子化系统",
                  "Requesting department", "Reason", REASON, "provider", "governance",
                  "姓名, 公民身份号码", "2026-02-10 to 2026-12-31"):
        assert words in section, words
    assert "提出共享申请" not in section and "共享记录" not in section


def test_reject_and_appeal_show_their_reasons(browser_as, world: World, dataset: str) -> None:
    sharing = world.services.sharing
    filed = sharing.file(world.staff, payload(dataset))
    sharing.decide(world.steward, filed["id"], {"action": "reject", "reason": "用途与法定职责不符"})
    sharing.decide(world.staff, filed["id"], {"action": "appeal", "reason": "登记条例明确规定须核验"})
    section = history_section(text(browser_as("steward").get(f"/datasets/{dataset}")))
    for words in ("拒绝", "已拒绝", "用途与法定职责不符", "提出申诉", "申诉中", "登记条例明确规定须核验",
                  "申请部门"):
        assert words in section, words


def test_anonymous_sees_no_history(browser, world: World, dataset: str, granted: str) -> None:
    response = browser.get(f"/datasets/{dataset}")
    assert response.status_code == 200
    page = text(response)
    section = history_section(page)
    assert "登录后可查看与本部门相关的共享记录" in section
    for words in ("提出共享申请", "授权生效", REASON, "安徽省市场监督管理局", "<table"):
        assert words not in section, words
    assert 'id="share-form"' not in page


def test_each_viewer_sees_what_the_api_gives_them(browser_as, world: World, dataset: str,
                                                  granted: str) -> None:
    """A third department sees only its own requests; the provider and governance see all."""
    justice = add_user(world.services, "justice", "staff", JUSTICE)
    world.services.sharing.file(justice, payload(dataset, target_system="社区矫正管理系统"))
    counts = {}
    for username in ("staff", "justice", "steward", "reviewer", "steward_other"):
        section = history_section(text(browser_as(username).get(f"/datasets/{dataset}")))
        counts[username] = section.count("<tr class=\"event-")
        actor = world.services.accounts.authenticate(username, f"{username}-password")
        assert counts[username] == len(world.services.sharing.history(actor, dataset))
    assert counts == {"staff": 4, "justice": 1, "steward": 5, "reviewer": 5, "steward_other": 4}
    justice_page = history_section(text(browser_as("justice").get(f"/datasets/{dataset}")))
    assert "安徽省司法厅" in justice_page and "安徽省市场监督管理局" not in justice_page
    assert "企业登记全程电子化系统" not in justice_page


def test_no_history_yet(browser_as, world: World, dataset: str) -> None:
    section = history_section(text(browser_as("steward").get(f"/datasets/{dataset}")))
    assert "暂无共享记录" in section


# -- the request form ----------------------------------------------------------------------------


def form(**changes: str | list[str]) -> list[tuple[str, str]]:
    fields: dict[str, str | list[str]] = {
        "purpose": "市场主体登记时核验经营者身份",
        "legal_duty": "《市场主体登记管理条例》第十条",
        "data_items": ["姓名", "公民身份号码"],
        "target_system": "企业登记全程电子化系统",
        "period_start": "", "period_end": "2026-12-31", "contact": "王敏 0551-62345678",
    }
    fields.update(changes)
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        pairs += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return pairs


def test_form_only_for_another_department(browser, browser_as, world: World,
                                                    dataset: str) -> None:
    url = f"/datasets/{dataset}"
    staff = text(browser_as("staff").get(url))
    assert 'id="share-form"' in staff and "申请共享" in staff
    for item in ("姓名", "公民身份号码", "出生日期"):
        assert f'type="checkbox" name="data_items" value="{item}"' in staff
    assert "10 个工作日" in staff
    assert 'id="share-form"' in text(browser_as("steward_other").get(url))
    # a reviewer belongs to 省数据资源局 and may request for it, as the API accepts (one rule)
    assert 'id="share-form"' in text(browser_as("reviewer").get(url))
    for username in ("steward", "staff_own", "admin"):
        assert 'id="share-form"' not in text(browser_as(username).get(url)), username
    assert 'id="share-form"' not in text(browser.get(url))
    refused = publish(world.services, world.steward, world.reviewer,
                      record(title="全省在逃人员信息", share_type="none", share_method=None,
                             security_level="public"))
    refused_page = text(browser_as("staff").get(f"/datasets/{refused}"))
    assert 'id="share-form"' not in refused_page  # not requested: disputed
    assert 'id="dispute-form"' in refused_page


def test_form_files_a_conditional_request(browser_as, world: World, dataset: str) -> None:
    staff = browser_as("staff")
    response = staff.post(f"/datasets/{dataset}/sharing-requests", form())
    assert response.status_code == 302
    [filed] = world.services.sharing.list(world.staff, filter="mine")["items"]
    assert response.headers["Location"] == f"/sharing/requests/{filed['id']}#main"  # its page
    assert filed["state"] == "pending_provider" and filed["deadline"] == "2026-03-02"
    assert filed["data_items"] == ["姓名", "公民身份号码"] and filed["period_start"] == "2026-02-10"
    assert "共享申请已提交" in text(staff.get(response.headers["Location"]))
    page = text(staff.get(f"/datasets/{dataset}"))
    assert "提出共享申请" in history_section(page) and "待提供部门答复" in history_section(page)


def test_form_grants_an_unconditional_dataset_at_once(browser_as, world: World) -> None:
    freeze(world.services)
    public = publish(world.services, world.steward, world.reviewer, record(
        title="省公安厅户籍业务办理网点", share_type="unconditional", share_condition=None,
        share_basis=None, security_level="public",
        data_items=[{"name": "网点名称", "data_type": "string"},
                    {"name": "地址", "data_type": "string"}]))
    staff = browser_as("staff")
    response = staff.post(f"/datasets/{public}/sharing-requests",
                          form(data_items=["网点名称"]))
    assert response.status_code == 302
    page = text(staff.get(f"/datasets/{public}?lang=en"))
    assert "granted" in page and "Grant issued" in history_section(page)


def test_form_errors_rerender_with_values(browser_as, world: World, dataset: str) -> None:
    staff = browser_as("staff")
    response = staff.post(f"/datasets/{dataset}/sharing-requests",
                          form(data_items=[], period_end="", purpose="核验身份"))
    assert response.status_code == 422
    page = text(response)
    assert "表单有以下问题" in page and 'href="#share-data_items">所需信息项' in page
    assert 'href="#share-period_end">使用期限止' in page
    assert "核验身份</textarea>" in page and 'value="企业登记全程电子化系统"' in page
    assert world.services.sharing.list(world.staff)["total"] == 0
    english = staff.post(f"/datasets/{dataset}/sharing-requests?lang=en",
                         form(data_items=["指纹"]))
    assert english.status_code == 422 and "Not data items of this dataset: 指纹" in text(english)


def test_duplicate_request_is_a_conflict_on_the_form(browser_as, world: World,
                                                     dataset: str) -> None:
    staff = browser_as("staff")
    assert staff.post(f"/datasets/{dataset}/sharing-requests", form()).status_code == 302
    again = staff.post(f"/datasets/{dataset}/sharing-requests", form())
    assert again.status_code == 409
    assert "尚在办理中" in text(again)
    assert world.services.sharing.list(world.staff)["total"] == 1


def test_form_needs_the_csrf_token_and_a_department_role(app, browser, browser_as,
                                                         world: World, dataset: str) -> None:
    staff = browser_as("staff")
    bare = staff.client.post(f"/datasets/{dataset}/sharing-requests", data=dict(form()))
    assert bare.status_code == 400
    anonymous = browser.post(f"/datasets/{dataset}/sharing-requests", form())
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    admin = browser_as("admin")   # of no department: nobody to request for
    assert admin.post(f"/datasets/{dataset}/sharing-requests", form()).status_code == 403
    assert world.services.sharing.list(world.admin)["total"] == 0
