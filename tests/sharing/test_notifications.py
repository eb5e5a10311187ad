"""Notifications: the in-app inbox, and e-mail through a real SMTP server (aiosmtpd) on
127.0.0.1 at a free port: a request needs action, was decided, a deadline is near or breached,
a grant expires soon. A mail server that is down delays e-mail and loses nothing."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from catalog.db import Notification
from catalog.services import Services
from catalog.sharing import notify
from catalog.store import Store
from tests.api.conftest import ApiWorld
from tests.factories import World, build_world, record
from tests.sharing.helpers import Clock, Steps, freeze, ok, payload, publish


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def mailing(store: Store, port: int) -> Services:
    settings = store.settings.with_overrides(smtp_host="127.0.0.1", smtp_port=port,
                                             smtp_from="mulu@sjj.ah.gov.cn")
    return Services.build(Store(settings, store.engine, store.sessions))


def world_with_addresses(services: Services) -> tuple[World, str]:
    w = build_world(services)
    for actor in (w.steward, w.staff, w.reviewer):
        services.sharing.set_address(actor, {"email": f"{actor.username}@example.gov.cn"})
    return w, publish(services, w.steward, w.reviewer, record())


def test_each_kind_of_notice_is_mailed(sqlite_store: Store, smtp: tuple[Inbox, int]) -> None:
    received, port = smtp
    services = mailing(sqlite_store, port)
    w, dataset = world_with_addresses(services)
    clock = freeze(services)
    sharing = services.sharing
    request = sharing.file(w.staff, payload(dataset, period_end="2026-04-30"))
    [needed] = received.to("steward@example.gov.cn")
    assert needed["From"] == "mulu@sjj.ah.gov.cn"
    assert "共享申请待您处理" in needed["Subject"] and "needs your action" in needed["Subject"]
    body = needed.get_content()
    assert "全省常住人口基本信息" in body and "2026-03-02" in body and request["id"] in body
    page = f"{services.settings.public_base_url}/datasets/{dataset}#sharing-history"
    assert page in body and "/api/" not in body   # a web page, not an API address
    clock.set(date(2026, 2, 27))
    assert sharing.run_deadlines().mailed == 1
    assert "即将超过答复期限" in received.to("steward@example.gov.cn")[-1]["Subject"]
    clock.set(date(2026, 3, 3))
    report = sharing.run_deadlines()
    assert report.escalated == [request["id"]] and report.mailed == 3
    assert "已超过答复期限" in received.to("staff@example.gov.cn")[-1]["Subject"]
    assert "待您处理" in received.to("reviewer@example.gov.cn")[-1]["Subject"]
    sharing.decide(w.reviewer, request["id"], {"action": "approve", "reason": "依法应予共享"})
    decided = received.to("staff@example.gov.cn")[-1]
    assert "已有处理结果" in decided["Subject"] and "依法应予共享" in decided.get_content()
    clock.set(date(2026, 4, 27))
    assert sharing.run_deadlines().expiring != []
    assert "共享授权即将到期" in received.to("staff@example.gov.cn")[-1]["Subject"]
    # nobody is mailed about their own action, and users without an address get none
    assert all(m["To"] != "admin@example.gov.cn" for m in received.messages)
    with sqlite_store.reading() as session:
        states = {n.mail_state for n in session.query(Notification)}
    assert states <= {"sent", ""} and "sent" in states


def test_mail_waits_while_the_server_is_down(sqlite_store: Store) -> None:
    port = free_port()  # nothing listens here yet
    services = mailing(sqlite_store, port)
    w, dataset = world_with_addresses(services)
    freeze(services)
    request = services.sharing.file(w.staff, payload(dataset))  # filing works regardless
    assert request["state"] == "pending_provider"
    assert services.sharing.deliver() == 0
    inbox, controller = Inbox(), None
    try:
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        assert services.sharing.deliver() == 1
        assert services.sharing.deliver() == 0  # sent once
        assert [m["To"] for m in inbox.messages] == ["steward@example.gov.cn"]
    finally:
        if controller:
            controller.stop()
    # down again: filing tries once, then two more runs; after three tries it is 'failed'
    services.sharing.file(w.staff, payload(dataset, target_system="另一系统"))
    services.sharing.deliver()
    services.sharing.deliver()
    assert notify.MAX_ATTEMPTS == 3
    with sqlite_store.reading() as session:
        last = session.query(Notification).order_by(Notification.id.desc()).first()
        assert last is not None and (last.mail_state, last.mail_attempts) == ("failed", 3)


def test_no_smtp_means_inbox_only(sqlite_store: Store) -> None:
    services = Services.build(sqlite_store)
    assert services.sharing.mailer is None
    w, dataset = world_with_addresses(services)
    freeze(services)
    services.sharing.file(w.staff, payload(dataset))
    inbox = services.sharing.inbox(w.steward)
    assert inbox["unread"] == 1 and inbox["items"][0]["mail_state"] == ""
    assert inbox["email"] == "steward@example.gov.cn"


def test_inbox_over_http(steps: Steps, api_world: ApiWorld, clock: Clock) -> None:
    steward = api_world.client("steward")
    filed = steps.file()
    inbox = ok(steward.get("/api/inbox"))
    assert inbox["unread"] == 1 and inbox["email"] is None
    [note] = inbox["items"]
    assert note["kind"] == "action_needed" and note["request_id"] == filed["id"]
    assert api_world.client("staff").post(f"/api/inbox/{note['id']}/read").status_code == 404
    read = ok(steward.post(f"/api/inbox/{note['id']}/read"))
    assert read["read_at"] is not None
    assert ok(steward.get("/api/inbox", query_string={"unread": "true"}))["items"] == []
    assert ok(steward.put("/api/inbox/address", json={"email": "gat@ah.gov.cn"})) == \
        {"email": "gat@ah.gov.cn"}
    assert ok(steward.get("/api/inbox"))["email"] == "gat@ah.gov.cn"
    assert ok(steward.put("/api/inbox/address", json={"email": None})) == {"email": None}
    assert ok(steward.get("/api/inbox"))["email"] is None
