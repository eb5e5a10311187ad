"""Two reviewers deciding the same request at the same moment: exactly one decision wins.

Run on both stores (the PostgreSQL one is the point: SELECT … FOR UPDATE on the request row
plus the version check; SQLite serializes writers with BEGIN IMMEDIATE). Threads start
together at a barrier; the loser gets a 409 and nothing of its decision is stored.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from catalog import audit
from catalog.actors import Actor
from catalog.db import AuditEntry, SharingGrant
from catalog.errors import Conflict
from catalog.services import Services
from catalog.store import Store
from tests.api.conftest import ApiWorld
from tests.factories import GOVERNANCE, build_world, record
from tests.sharing.helpers import add_user, body_of, freeze, payload, publish, token_for

ROUNDS = 4


def race(calls: list[Any]) -> list[Any]:
    """Run the calls in threads released together; each result or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_racing_decisions_one_wins(store: Store) -> None:
    services = Services.build(store)
    w = build_world(services)
    second: Actor = add_user(services, "reviewer-two", "reviewer", GOVERNANCE)
    dataset = publish(services, w.steward, w.reviewer, record())
    freeze(services)
    sharing = services.sharing
    for round_ in range(ROUNDS):
        request = sharing.file(w.staff, payload(dataset, target_system=f"系统{round_}"))
        sharing.decide(w.steward, request["id"], {"action": "approve"})
        decisions = [(w.reviewer, {"action": "approve_target"}),
                     (second, {"action": "return", "reason": "目标系统未备案"}),
                     (second, {"action": "approve_target"})]
        request_id = request["id"]
        calls = [lambda who=who, body=body, rid=request_id: sharing.decide(who, rid, body)
                 for who, body in decisions]
        results = race(calls)
        winners = [r for r in results if isinstance(r, dict)]
        losers = [r for r in results if not isinstance(r, dict)]
        assert len(winners) == 1, results
        assert all(isinstance(r, Conflict) for r in losers), losers
        final = sharing.get(w.admin, request["id"])
        assert final["state"] == winners[0]["state"]
        with store.reading() as session:
            actions = Counter(e.action for e in audit.history(session, "sharing_request",
                                                              request["id"]))
            grants = session.scalar(select(func.count()).select_from(SharingGrant).where(
                SharingGrant.request_id == request["id"])) or 0
        assert actions["sharing.approve_target"] + actions["sharing.return"] == 1, actions
        assert grants == (1 if final["state"] == "granted" else 0)
    with store.reading() as session:
        assert audit.verify(session).ok
        assert session.scalar(select(func.count()).select_from(AuditEntry)) > 0


def test_racing_http_decisions_one_wins(api_world: ApiWorld) -> None:
    services = api_world.services
    add_user(services, "reviewer-two", "reviewer", GOVERNANCE)
    token_for(api_world, "reviewer-two")
    freeze(services)
    filed = body_of(api_world.client("staff").post("/api/sharing-requests",
                                                   json=payload(api_world.published)))
    path = f"/api/sharing-requests/{filed['id']}/decisions"
    api_world.client("steward").post(path, json={"action": "approve"})
    version = body_of(api_world.client("reviewer").get(
        f"/api/sharing-requests/{filed['id']}"))["version"]
    clients = [api_world.client("reviewer"), api_world.client("reviewer-two")]
    # separate test clients per thread; both decide on the version they read
    calls = [lambda c=c: c.post(path, json={"action": "approve_target", "version": version})
             for c in clients]
    statuses = sorted(r.status_code for r in race(calls))
    assert statuses == [200, 409]
    stale = api_world.client("reviewer").post(path, json={"action": "return", "reason": "晚了",
                                                          "version": version})
    assert stale.status_code == 409
    assert len(body_of(api_world.client("staff").get("/api/grants"))) == 1
