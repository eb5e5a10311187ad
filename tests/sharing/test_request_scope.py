"""What a request asks for (issue 11): a dataset without 信息项 is requested whole or with a
description of what is needed; a request a live grant of the department already covers is
refused naming the grant (409), and what it does not cover is a new request. Through the API."""

from __future__ import annotations

from tests.api.conftest import ApiWorld
from tests.factories import record
from tests.sharing.helpers import Steps, publish

NO_ITEMS = record(title="全省户籍业务统计报表", data_items=None)


def test_a_dataset_without_items_is_requested_whole_or_described(steps: Steps,
                                                                 api_world: ApiWorld) -> None:
    w = api_world.world
    dataset = publish(api_world.services, w.steward, w.reviewer, NO_ITEMS)
    whole = steps.file(dataset=dataset, data_items=[], status=201)
    assert whole["data_items"] == [] and whole["needed"] == ""
    described = steps.file(dataset=dataset, data_items=[], target_system="个体工商户登记系统",
                           needed="各市县户籍业务办理量月度统计")
    assert described["needed"] == "各市县户籍业务办理量月度统计"
    steps.decide("steward", described["id"], "narrow", period_end="2026-06-30", reason="半年")
    granted = steps.decide("reviewer", described["id"], "approve_target")
    assert granted["grant"]["data_items"] == [] and granted["grant"]["period_end"] == "2026-06-30"
    assert granted["grant"]["needed"] == "各市县户籍业务办理量月度统计"
    items = steps.file(dataset=dataset, target_system="第三个系统", status=422)
    assert "data_items" in items["errors"]
    # a dataset with 信息项: choose among them, no description
    empty = steps.file(data_items=[], status=422)
    assert "data_items" in empty["errors"]
    described_too = steps.file(needed="全部", status=422)
    assert "needed" in described_too["errors"]


def test_a_request_already_granted_is_refused_naming_the_grant(steps: Steps,
                                                              api_world: ApiWorld) -> None:
    filed = steps.file(data_items=["姓名", "公民身份号码"], period_end="2026-12-31")
    steps.decide("steward", filed["id"], "approve")
    grant = steps.decide("reviewer", filed["id"], "approve_target")["grant"]
    again = steps.file(data_items=["姓名"], period_end="2026-10-31", status=409)
    assert grant["id"] in again["message"]["zh"] and grant["id"] in again["message"]["en"]
    # an item the grant lacks, a longer period or another system: a new request
    more = steps.file(data_items=["姓名", "出生日期"], status=201)
    steps.decide("staff", more["id"], "withdraw")
    longer = steps.file(data_items=["姓名"], period_end="2027-03-31", status=201)
    steps.decide("staff", longer["id"], "withdraw")
    steps.file(target_system="个体工商户登记系统", status=201)
    assert steps.get("staff", filed["id"])["state"] == "granted"
    # revoked, it covers nothing any more
    api_world.services.sharing.revoke(api_world.world.steward, grant["id"], {"reason": "停用"})
    steps.file(data_items=["姓名"], period_end="2026-10-31", status=201)
