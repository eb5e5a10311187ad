"""End-to-end over HTTP, on SQLite and PostgreSQL, time frozen: each path a request can take.

The world (tests.api.conftest): 省公安厅 provides a published 有条件共享 population dataset
(``published``) and a 无条件共享 one (``public``); staff of 省市场监管局 request them; the
reviewer of 省数据资源局 governs. The request is filed on Tuesday 2026-02-10, just before 春节.
"""

from __future__ import annotations

from datetime import date

from catalog import audit
from tests.api.conftest import ApiWorld
from tests.factories import record
from tests.sharing.helpers import FILED, NONE_RECORD, Clock, Steps, ok, publish

DEADLINE = "2026-03-02"  # 10 working days after 2026-02-10 across 春节 (调休 2-14 and 2-28)


def audit_actions(api_world: ApiWorld, request_id: str) -> list[str]:
    with api_world.store.reading() as session:
        return [e.action for e in audit.history(session, "sharing_request", request_id)]


def test_unconditional_is_granted_at_once(steps: Steps, api_world: ApiWorld) -> None:
    filed = steps.file(dataset=api_world.public, data_items=["网点名称", "地址"])
    assert filed["state"] == "granted" and filed["share_type"] == "unconditional"
    assert filed["deadline"] is None and filed["allowed_actions"] == []
    grant = filed["grant"]
    assert grant["status"] == "active" and grant["data_items"] == ["网点名称", "地址"]
    assert grant["department"]["name"] == "安徽省市场监督管理局"
    assert grant["period_start"] == FILED.isoformat() and grant["period_end"] == "2026-12-31"
    assert [g["id"] for g in steps.grants("staff", dataset=api_world.public)] == [grant["id"]]
    assert audit_actions(api_world, filed["id"]) == ["sharing.file"]
    with api_world.store.reading() as session:
        assert audit.verify(session).ok


def test_conditional_approved_then_target_approved(steps: Steps, api_world: ApiWorld) -> None:
    filed = steps.file()
    assert (filed["state"], filed["deadline"], filed["working_days_left"]) == \
        ("pending_provider", DEADLINE, 10)
    assert filed["near_breach"] is False and filed["grant"] is None
    assert filed["allowed_actions"] == ["withdraw"]
    # the provider's steward finds it waiting, in the list and in the inbox
    waiting = ok(api_world.client("steward").get("/api/sharing-requests",
                                                  query_string={"filter": "to_review"}))
    assert [r["id"] for r in waiting["items"]] == [filed["id"]]
    assert steps.get("steward", filed["id"])["allowed_actions"] == ["approve", "narrow", "reject"]
    assert [n["kind"] for n in steps.inbox("steward")["items"]] == ["action_needed"]
    steps.clock.set(date(2026, 2, 25))
    approved = steps.decide("steward", filed["id"], "approve", reason="符合共享条件")
    assert approved["state"] == "pending_target" and approved["approved_items"] == \
        ["姓名", "公民身份号码"]
    assert steps.get("reviewer", filed["id"])["allowed_actions"] == ["approve_target", "return"]
    granted = steps.decide("reviewer", filed["id"], "approve_target", version=approved["version"])
    assert granted["state"] == "granted" and granted["grant"]["status"] == "active"
    assert granted["grant"]["target_system"] == "企业登记全程电子化系统"
    assert audit_actions(api_world, filed["id"]) == \
        ["sharing.file", "sharing.approve", "sharing.approve_target"]
    kinds = [n["kind"] for n in steps.inbox("staff")["items"]]
    assert kinds.count("decided") == 2  # approved by the provider, then granted
    history = steps.history("staff", api_world.published)
    assert [h["action"] for h in history] == ["sharing.file", "sharing.approve",
                                              "sharing.approve_target", "grant.create"]
    assert history[1]["actor"] == "steward" and history[1]["detail"]["reason"] == "符合共享条件"


def test_narrowed_items_and_period(steps: Steps, api_world: ApiWorld) -> None:
    filed = steps.file(data_items=["姓名", "公民身份号码", "出生日期"])
    narrowed = steps.decide("steward", filed["id"], "narrow", reason="最小必要原则：不提供出生日期",
                            data_items=["姓名", "公民身份号码"], period_end="2026-06-30")
    assert narrowed["state"] == "pending_target"
    assert narrowed["approved_items"] == ["姓名", "公民身份号码"]
    assert narrowed["approved_period_end"] == "2026-06-30"
    assert narrowed["data_items"] == ["姓名", "公民身份号码", "出生日期"]  # the request as filed
    granted = steps.decide("reviewer", filed["id"], "approve_target")
    assert granted["grant"]["data_items"] == ["姓名", "公民身份号码"]
    assert granted["grant"]["period_end"] == "2026-06-30"
    history = steps.history("steward", api_world.published)
    assert history[1]["detail"]["items"] == ["姓名", "公民身份号码"]
    assert history[1]["detail"]["period"] == [FILED.isoformat(), "2026-06-30"]


def test_rejected_with_a_reason(steps: Steps, api_world: ApiWorld) -> None:
    filed = steps.file()
    refused = steps.decide("steward", filed["id"], "reject", status=422)
    assert "reason" in refused["errors"]
    rejected = steps.decide("steward", filed["id"], "reject",
                            reason="申请用途与所列法定职责不符（《居民身份证法》第十九条）")
    assert rejected["state"] == "rejected" and rejected["grant"] is None
    assert rejected["reason"].startswith("申请用途")
    assert steps.get("staff", filed["id"])["allowed_actions"] == ["appeal", "withdraw"]
    assert steps.grants("reviewer") == []
    note = steps.inbox("staff")["items"][0]
    assert note["kind"] == "decided" and "申请用途与所列法定职责不符" in note["body"]


def test_appealed_and_governance_overrules(steps: Steps, api_world: ApiWorld) -> None:
    filed = steps.file()
    steps.decide("steward", filed["id"], "reject", reason="不属于法定职责范围")
    steps.decide("staff", filed["id"], "appeal", status=422)  # an appeal gives its grounds
    appealed = steps.decide("staff", filed["id"], "appeal",
                            reason="《市场主体登记管理条例》明确要求核验身份")
    assert appealed["state"] == "appealed"
    assert [n["kind"] for n in steps.inbox("reviewer")["items"]] == ["action_needed"]
    steps.decide("steward", filed["id"], "approve", status=403)  # governance decides now
    granted = steps.decide("reviewer", filed["id"], "narrow", reason="仅核验所需",
                           data_items=["公民身份号码"])
    assert granted["state"] == "granted" and granted["grant"]["data_items"] == ["公民身份号码"]
    assert audit_actions(api_world, filed["id"]) == \
        ["sharing.file", "sharing.reject", "sharing.appeal", "sharing.narrow"]


def test_appeal_upheld_refusal_is_final(steps: Steps) -> None:
    filed = steps.file()
    steps.decide("steward", filed["id"], "reject", reason="不属于法定职责范围")
    steps.decide("staff", filed["id"], "appeal", reason="属于法定职责")
    refused = steps.decide("reviewer", filed["id"], "reject", reason="维持提供部门意见")
    assert refused["state"] == "refused" and refused["allowed_actions"] == []
    steps.decide("staff", filed["id"], "appeal", reason="再次申诉", status=409)


def test_breached_is_flagged_then_escalated(steps: Steps, api_world: ApiWorld,
                                           clock: Clock) -> None:
    filed = steps.file()
    sharing = api_world.services.sharing
    clock.set(date(2026, 2, 26))  # 3 working days left: 2-27, 2-28 (调休), 3-2
    assert sharing.run_deadlines().near_breach == []
    clock.set(date(2026, 2, 27))
    seen = steps.get("steward", filed["id"])
    assert (seen["working_days_left"], seen["near_breach"]) == (2, True)
    assert sharing.run_deadlines().near_breach == [filed["id"]]
    assert sharing.run_deadlines().near_breach == []  # flagged once
    assert [n["kind"] for n in steps.inbox("steward")["items"]][0] == "deadline_near"
    steps.decide("staff", filed["id"], "escalate", reason="逾期", status=409)  # not overdue yet
    clock.set(date(2026, 3, 2))  # the last day: still in time
    assert sharing.run_deadlines().escalated == []
    clock.set(date(2026, 3, 3))
    late = steps.get("staff", filed["id"])
    assert late["breached"] and late["working_days_left"] == -1
    assert sharing.run_deadlines().escalated == [filed["id"]]
    escalated = steps.get("reviewer", filed["id"])
    assert escalated["state"] == "escalated" and "自动提交治理审核" in escalated["reason"]
    listed = ok(api_world.client("reviewer").get("/api/sharing-requests",
                                                 query_string={"filter": "escalated"}))
    assert [r["id"] for r in listed["items"]] == [filed["id"]]
    assert [n["kind"] for n in steps.inbox("reviewer")["items"]] == ["action_needed"]
    assert steps.inbox("staff")["items"][0]["kind"] == "deadline_breached"
    assert audit_actions(api_world, filed["id"])[-1] == "sharing.escalate"
    with api_world.store.reading() as session:
        assert audit.history(session, "sharing_request", filed["id"])[-1].actor == "scheduler"
    # governance urges the provider: back with a fresh deadline of 10 working days
    returned = steps.decide("reviewer", filed["id"], "return", reason="请提供部门五日内答复")
    assert returned["state"] == "pending_provider" and returned["deadline"] == "2026-03-17"
    assert steps.decide("steward", filed["id"], "approve")["state"] == "pending_target"


def test_requester_escalates_an_overdue_request(steps: Steps, clock: Clock) -> None:
    filed = steps.file()
    clock.set(date(2026, 3, 4))
    assert "escalate" in steps.get("staff", filed["id"])["allowed_actions"]
    escalated = steps.decide("staff", filed["id"], "escalate", reason="提供部门逾期未答复")
    assert escalated["state"] == "escalated"
    granted = steps.decide("reviewer", filed["id"], "approve", reason="依法应予共享")
    assert granted["state"] == "granted"


def test_not_shared_can_only_be_disputed(steps: Steps, api_world: ApiWorld) -> None:
    w = api_world.world
    dataset = publish(api_world.services, w.steward, w.reviewer, NONE_RECORD)
    before = api_world.snapshot()
    refused = steps.file(dataset=dataset, data_items=["姓名"], status=409)
    assert "反恐怖主义法" in refused["message"]["zh"] and "dispute" in refused["message"]["en"]
    no_grounds = steps.file(dataset=dataset, data_items=["姓名"], kind="dispute", status=422)
    assert "reason" in no_grounds["errors"]
    assert api_world.snapshot() == before
    disputed = steps.file(dataset=dataset, data_items=["姓名"], kind="dispute",
                          reason="办理企业登记须核验是否为在逃人员")
    assert disputed["state"] == "disputed" and disputed["deadline"] is None
    assert steps.get("steward", disputed["id"])["allowed_actions"] == []
    assert [n["kind"] for n in steps.inbox("reviewer")["items"]] == ["action_needed"]
    decided = steps.decide("reviewer", disputed["id"], "reject",
                           reason="不予共享依据充分，可通过公安机关协查")
    assert decided["state"] == "refused"
    # a dispute is only for 不予共享 entries
    wrong = steps.file(kind="dispute", reason="想要", status=422)
    assert "kind" in wrong["errors"]


def test_revoked_grant(steps: Steps, api_world: ApiWorld) -> None:
    filed = steps.file()
    steps.decide("steward", filed["id"], "approve")
    grant = steps.decide("reviewer", filed["id"], "approve_target")["grant"]
    revoke = f"/api/grants/{grant['id']}/revoke"
    assert api_world.client("steward").post(revoke, json={}).status_code == 422
    assert api_world.client("staff").post(revoke, json={"reason": "x"}).status_code == 403
    revoked = ok(api_world.client("steward").post(
        revoke, json={"reason": "使用部门超范围使用数据，经核查属实"}))
    assert revoked["status"] == "revoked" and revoked["revoked_by"] == "steward"
    again = api_world.client("reviewer").post(revoke, json={"reason": "重复撤销"})
    assert again.status_code == 409
    assert [g["status"] for g in steps.grants("staff", status="revoked")] == ["revoked"]
    assert steps.grants("staff", status="active") == []
    assert steps.inbox("staff")["items"][0]["body"].endswith("使用部门超范围使用数据，经核查属实")
    actions = [h["action"] for h in steps.history("reviewer", api_world.published)]
    assert actions[-1] == "grant.revoke"


def test_expired_grant(steps: Steps, api_world: ApiWorld, clock: Clock) -> None:
    filed = steps.file(period_end="2026-04-30")
    steps.decide("steward", filed["id"], "approve")
    grant = steps.decide("reviewer", filed["id"], "approve_target")["grant"]
    sharing = api_world.services.sharing
    clock.set(date(2026, 4, 20))  # 8 working days before the end
    assert sharing.run_deadlines().expiring == []
    clock.set(date(2026, 4, 24))
    assert sharing.run_deadlines().expiring == [grant["id"]]
    assert steps.inbox("staff")["items"][0]["kind"] == "grant_expiring"
    clock.set(date(2026, 4, 30))
    assert steps.grants("staff")[0]["status"] == "active"  # the last day still counts
    clock.set(date(2026, 5, 1))
    assert steps.grants("staff")[0]["status"] == "expired"
    assert sharing.run_deadlines().expired == [grant["id"]]
    assert sharing.run_deadlines().expired == []
    refused = api_world.client("steward").post(f"/api/grants/{grant['id']}/revoke",
                                               json={"reason": "到期后撤销"})
    assert refused.status_code == 409
    assert [h["action"] for h in steps.history("staff", api_world.published)][-1] == \
        "grant.expire"


def test_withdrawn_by_the_requester(steps: Steps) -> None:
    filed = steps.file()
    withdrawn = steps.decide("steward_other", filed["id"], "withdraw")  # a colleague may too
    assert withdrawn["state"] == "withdrawn"
    steps.decide("steward", filed["id"], "approve", status=409)
    again = steps.file()  # the same target can be requested afresh
    assert again["state"] == "pending_provider"


def test_openapi_documents_the_sharing_interface(api_world: ApiWorld) -> None:
    spec = ok(api_world.client("anonymous").get("/api/openapi.json"))
    for path, methods in {"/api/sharing-requests": {"get", "post"},
                          "/api/sharing-requests/{request_id}": {"get"},
                          "/api/sharing-requests/{request_id}/decisions": {"post"},
                          "/api/grants": {"get"}, "/api/grants.csv": {"get"},
                          "/api/grants/{grant_id}/revoke": {"post"}, "/api/inbox": {"get"},
                          "/api/datasets/{dataset_id}/sharing-history": {"get"}}.items():
        assert methods <= set(spec["paths"].get(path, {})), path
    decision = spec["components"]["schemas"]["DecisionInput"]["properties"]
    assert set(decision["action"]["enum"]) == {"approve", "narrow", "reject", "approve_target",
                                               "return", "appeal", "escalate", "withdraw"}
    request = spec["components"]["schemas"]["RequestInput"]
    assert {"dataset_id", "purpose", "legal_duty", "data_items", "target_system",
            "period_end", "contact"} <= set(request["required"])


def test_requests_show_the_dataset_as_published(steps: Steps, api_world: ApiWorld) -> None:
    filed = steps.file()
    w = api_world.world
    api_world.services.datasets.update(w.steward, api_world.published,
                                       record(title="全省常住人口基本信息（含未公开字段）"))
    for role in ("staff", "steward", "reviewer"):
        assert steps.get(role, filed["id"])["dataset"]["title"] == "全省常住人口基本信息", role
    assert "未公开字段" not in str(steps.inbox("steward"))
