"""Sharing test helpers: a frozen clock, request payloads, readable API steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from catalog.actors import SYSTEM, Actor
from catalog.services import Services
from catalog.sharing.workdays import CHINA
from tests.api.conftest import ApiWorld, body_of
from tests.factories import record

FILED = date(2026, 2, 10)  # a Tuesday, just before 春节 2026


def at(day: date, hour: int = 9) -> datetime:
    """``hour`` o'clock China time on ``day``."""
    return datetime.combine(day, time(hour, tzinfo=CHINA))


@dataclass
class Clock:
    """A frozen clock the sharing service reads; tests move it, nobody sleeps."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: date, hour: int = 9) -> None:
        self.now = at(day, hour)

    def forward(self, days: int) -> None:
        self.now += timedelta(days=days)


def freeze(services: Services, day: date = FILED) -> Clock:
    clock = Clock(at(day))
    services.sharing.clock = clock
    return clock


def payload(dataset_id: str, **changes: Any) -> dict[str, Any]:
    """A complete request for 姓名 and 公民身份号码 of the population dataset."""
    data: dict[str, Any] = {
        "dataset_id": dataset_id,
        "purpose": "市场主体登记时核验经营者身份",
        "legal_duty": "《市场主体登记管理条例》第十条：登记机关依法核验申请人身份信息",
        "data_items": ["姓名", "公民身份号码"],
        "target_system": "企业登记全程电子化系统",
        "period_end": "2026-12-31",
        "contact": "王敏 0551-62345678",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


NONE_RECORD = record(
    title="全省在逃人员信息", share_type="none", share_method=None,
    share_basis="《中华人民共和国反恐怖主义法》第四十八条；涉及侦查秘密",
    description="全省公安机关网上在逃人员的基本信息和案件信息，仅供公安机关内部使用。",
    data_items=[{"name": "姓名", "data_type": "string"},
                {"name": "案件编号", "data_type": "string"}])


def publish(services: Services, steward: Actor, reviewer: Actor, data: dict[str, Any]) -> str:
    view = services.datasets.register(steward, data, submit=True)
    services.datasets.review(reviewer, view.id, "publish")
    return view.id


def add_user(services: Services, username: str, role: str, department: str | None) -> Actor:
    services.accounts.create_user(SYSTEM, username, f"{username}-password", role,
                                  department_code=department)
    return services.accounts.authenticate(username, f"{username}-password")


def token_for(api_world: ApiWorld, username: str) -> str:
    token = api_world.services.accounts.create_token(SYSTEM, username, "tests")
    api_world.tokens[username] = token
    api_world.clients.pop(username, None)
    return token


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.get_data()[:600])
    return body_of(response)


class Steps:
    """Readable API steps of a scenario."""

    def __init__(self, world: ApiWorld, clock: Clock):
        self.world, self.clock = world, clock

    def file(self, role: str = "staff", dataset: str | None = None, status: int = 201,
             **changes: Any) -> dict[str, Any]:
        body = payload(dataset or self.world.published, **changes)
        return ok(self.world.client(role).post("/api/sharing-requests", json=body), status)

    def decide(self, role: str, request_id: str, action: str, status: int = 200,
               **fields: Any) -> dict[str, Any]:
        response = self.world.client(role).post(
            f"/api/sharing-requests/{request_id}/decisions", json={"action": action, **fields})
        return ok(response, status)

    def get(self, role: str, request_id: str) -> dict[str, Any]:
        return ok(self.world.client(role).get(f"/api/sharing-requests/{request_id}"))

    def grants(self, role: str = "reviewer", **query: str) -> list[dict[str, Any]]:
        return ok(self.world.client(role).get("/api/grants", query_string=query))

    def inbox(self, role: str) -> dict[str, Any]:
        return ok(self.world.client(role).get("/api/inbox"))

    def history(self, role: str, dataset_id: str) -> list[dict[str, Any]]:
        return ok(self.world.client(role).get(f"/api/datasets/{dataset_id}/sharing-history"))
