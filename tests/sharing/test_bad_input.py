"""Malformed and out-of-order sharing calls: a 4xx with bilingual per-field messages, JSON,
never a traceback, and nothing stored (the whole store compared before and after)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from tests.api.conftest import ApiWorld
from tests.sharing.helpers import Clock, Steps, body_of, payload

GOOD = "{published}"
CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Case:
    name: str
    request: dict[str, Any]
    fields: tuple[str, ...] = ()
    status: int | tuple[int, ...] = 422
    method: str = "POST"
    path: str = "/api/sharing-requests"
    role: str = "staff"


def req(name: str, body: Any, *fields: str, **options: Any) -> Case:
    return Case(name, {"json": body}, fields, **options)


def dec(name: str, body: Any, *fields: str, **options: Any) -> Case:
    options.setdefault("role", "steward")
    return Case(name, {"json": body}, fields, path="/api/sharing-requests/{pending}/decisions",
                **options)


def raw(data: str) -> dict[str, Any]:
    return {"data": data, "content_type": "application/json"}


P = payload(GOOD)
CASES: tuple[Case, ...] = (
    # filing
    req("every field missing", {}, "dataset_id", "purpose", "legal_duty", "data_items",
        "target_system", "period_end", "contact"),
    req("data_items is a string", {**P, "data_items": "姓名"}, "data_items"),
    req("data_items empty", {**P, "data_items": []}, "data_items"),
    req("data item is a number", {**P, "data_items": [5]}, "data_items.0"),
    req("data item not of the dataset", {**P, "data_items": ["姓名", "银行账号"]}, "data_items"),
    req("data item repeated", {**P, "data_items": ["姓名", "姓名"]}, "data_items"),
    req("period ends before it starts", {**P, "period_start": "2026-06-01",
                                         "period_end": "2026-05-01"}, "period_end"),
    req("period end is not a date", {**P, "period_end": "2026-02-30"}, "period_end"),
    req("period starts in the past", {**P, "period_start": "2025-01-01"}, "period_start"),
    req("period of six years", {**P, "period_end": "2032-03-01"}, "period_end"),
    req("unknown field", {**P, "priority": "urgent"}, "priority"),
    req("unknown dataset", {**P, "dataset_id": "6f1c1b8e-0000-4000-8000-000000000000"},
        "dataset_id"),
    req("dataset id not a uuid", {**P, "dataset_id": "../../etc"}, "dataset_id"),
    req("another department's draft", {**P, "dataset_id": "{draft}"}, "dataset_id"),
    req("own department's dataset", P, "dataset_id", role="staff_own"),
    req("unknown kind", {**P, "kind": "complaint"}, "kind"),
    req("NUL in purpose", {**P, "purpose": "核验\x00身份"}, "purpose"),
    req("purpose blank", {**P, "purpose": "   "}, "purpose"),
    req("purpose of 2001 characters", {**P, "purpose": "用" * 2001}, "purpose"),
    Case("lone surrogate in target system",
         raw(json.dumps({**P, "target_system": "系统\ud800"}, ensure_ascii=True)),
         ("target_system",)),
    req("JSON array", [P], "_schema"),
    Case("invalid JSON", raw('{"dataset_id": '), status=400),
    req("administrators do not request", P, status=403, role="admin"),
    req("anonymous", P, status=401, role="anonymous"),
    # decisions
    dec("unknown action", {"action": "accept"}, "action"),
    dec("action missing", {"reason": "好"}, "action"),
    dec("reject without reason", {"action": "reject"}, "reason"),
    dec("reject with a blank reason", {"action": "reject", "reason": "  "}, "reason"),
    dec("narrow with nothing narrowed", {"action": "narrow", "reason": "少给"}, "data_items"),
    dec("narrow to an item not requested", {"action": "narrow", "reason": "换",
                                            "data_items": ["出生日期"]}, "data_items"),
    dec("narrow beyond the period", {"action": "narrow", "reason": "延长",
                                     "period_end": "2027-12-31"}, "period_end"),
    dec("narrow to everything", {"action": "narrow", "reason": "全部",
                                 "data_items": ["姓名", "公民身份号码"]}, "data_items"),
    dec("approve with items", {"action": "approve", "data_items": ["姓名"]}, "data_items"),
    dec("version is a string", {"action": "approve", "version": "1"}, "version"),
    dec("version zero", {"action": "approve", "version": 0}, "version"),
    dec("decision with an unknown field", {"action": "approve", "by": "admin"}, "by"),
    dec("stale version", {"action": "approve", "version": 99}, status=409),
    dec("approve_target before the provider answered", {"action": "approve_target"},
        status=409, role="reviewer"),
    dec("appeal while pending", {"action": "appeal", "reason": "急"}, status=409, role="staff"),
    dec("escalate before the deadline", {"action": "escalate", "reason": "急"}, status=409,
        role="staff"),
    dec("a reviewer answering for the provider", {"action": "approve"}, status=403,
        role="reviewer"),
    Case("decide an unknown request", {"json": {"action": "approve"}}, status=404,
         path="/api/sharing-requests/6f1c1b8e-0000-4000-8000-000000000000/decisions"),
    Case("decide a request id that is no uuid", {"json": {"action": "approve"}}, status=404,
         path="/api/sharing-requests/%E2%80%AE/decisions"),
    # grants, inbox, queries
    Case("revoke without reason", {"json": {}}, ("reason",), path="/api/grants/{grant}/revoke",
         role="steward"),
    Case("revoke an unknown grant", {"json": {"reason": "x"}}, status=404, role="steward",
         path="/api/grants/6f1c1b8e-0000-4000-8000-000000000000/revoke"),
    Case("e-mail address invalid", {"json": {"email": "not-an-address"}}, ("email",),
         method="PUT", path="/api/inbox/address"),
    Case("mark someone else's notification read", {}, status=404, role="staff",
         path="/api/inbox/{note}/read"),
    Case("unknown list filter", {"query_string": {"filter": "all_of_them"}}, ("query.filter",),
         method="GET"),
    Case("page zero", {"query_string": {"page": 0}}, ("query.page",), method="GET"),
    Case("grant status unknown", {"query_string": {"status": "lost"}}, ("query.status",),
         method="GET", path="/api/grants"),
    Case("grant export format unknown", {"query_string": {"format": "xlsx"}}, ("query.format",),
         method="GET", path="/api/grants"),
)


def test_cases_are_many_and_distinct() -> None:
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)


@pytest.fixture
def targets(steps: Steps, api_world: ApiWorld, clock: Clock) -> dict[str, str]:
    pending = steps.file(target_system="待审核系统")["id"]
    granted = steps.file(dataset=api_world.public, data_items=["地址"])
    note = steps.inbox("steward")["items"][0]["id"]
    return {"published": api_world.published, "draft": api_world.draft, "pending": pending,
            "grant": granted["grant"]["id"], "note": str(note)}


def fill(value: Any, targets: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, found in targets.items():
            value = value.replace("{" + key + "}", found)
        return value
    if isinstance(value, dict):
        return {k: fill(v, targets) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, targets) for v in value]
    return value


def sharing_rows(api_world: ApiWorld) -> list[Any]:
    with api_world.store.engine.connect() as connection:
        return [tuple(r) for t in ("sharing_requests", "sharing_grants", "notifications",
                                   "notification_addresses")
                for r in connection.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]


def test_bad_sharing_input_is_refused_and_stores_nothing(
        api_world: ApiWorld, targets: dict[str, str], subtests: pytest.Subtests) -> None:
    before, rows = api_world.snapshot(), sharing_rows(api_world)
    for case in CASES:
        with subtests.test(msg=case.name):
            response = api_world.client(case.role).open(
                case.method, fill(case.path, targets), **fill(case.request, targets))
            expected = case.status if isinstance(case.status, tuple) else (case.status,)
            assert response.status_code in expected, \
                f"{case.name}: {response.status_code} {response.get_data()[:400]!r}"
            text = response.get_data(as_text=True)
            assert "Traceback" not in text
            body = body_of(response)
            assert set(body["message"]) == {"zh", "en"} and CJK.search(body["message"]["zh"])
            errors = body.get("errors", {})
            missing = [name for name in case.fields if name not in errors]
            assert not missing, f"{case.name}: no message for {missing} in {errors}"
            for name, messages in errors.items():
                for message in messages:
                    assert CJK.search(message["zh"]) and message["en"], (name, message)
    assert api_world.snapshot() == before
    assert sharing_rows(api_world) == rows
    # still works afterwards
    decided = api_world.client("steward").post(
        f"/api/sharing-requests/{targets['pending']}/decisions", json={"action": "approve"})
    assert decided.status_code == 200
