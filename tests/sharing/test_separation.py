"""Separation of duties, as a matrix: (state, action) x who -> outcome, on both stores.

No one reviews a request of their own department; a provider cannot approve its own sharing
target; a reviewer cannot decide a request they filed. A refused action changes nothing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from catalog.actors import Actor
from catalog.errors import Conflict, Forbidden, MuluError, NotFound
from catalog.services import Services
from catalog.sharing import machine
from catalog.store import Store
from tests.factories import GOVERNANCE, JUSTICE, MARKET, PUBLIC_SECURITY, build_world, record
from tests.sharing.helpers import add_user, freeze, payload, publish

OK, DENIED, HIDDEN, ILLEGAL = "ok", 403, 404, 409
STATUS = {Forbidden: DENIED, NotFound: HIDDEN, Conflict: ILLEGAL}
WHO = ("filer", "colleague", "provider", "provider_staff", "reviewer", "reviewer_requesting",
       "reviewer_providing", "admin", "outsider")


def row(default: Any, **who: Any) -> dict[str, Any]:
    return {name: who.get(name, default) for name in WHO}


# outsiders (another department's staff) never see the request
MATRIX: dict[tuple[str, str], dict[str, Any]] = {
    ("pending_provider", "approve"): row(DENIED, provider=OK, outsider=HIDDEN),
    ("pending_provider", "reject"): row(DENIED, provider=OK, outsider=HIDDEN),
    ("pending_provider", "withdraw"): row(DENIED, filer=OK, colleague=OK,
                                          reviewer_requesting=OK, outsider=HIDDEN),
    ("pending_target", "approve_target"): row(DENIED, reviewer=OK, admin=OK, outsider=HIDDEN),
    ("pending_target", "return"): row(DENIED, reviewer=OK, admin=OK, outsider=HIDDEN),
    ("pending_target", "approve"): row(ILLEGAL, outsider=HIDDEN),
    ("rejected", "appeal"): row(DENIED, filer=OK, colleague=OK, reviewer_requesting=OK,
                                outsider=HIDDEN),
    ("appealed", "approve"): row(DENIED, reviewer=OK, admin=OK, outsider=HIDDEN),
    ("appealed", "reject"): row(DENIED, reviewer=OK, admin=OK, outsider=HIDDEN),
    ("granted", "reject"): row(ILLEGAL, outsider=HIDDEN),
}

MESSAGES = {  # the specific reasons the rules give
    ("pending_target", "approve_target", "provider"): "A provider cannot approve its own",
    ("pending_target", "approve_target", "reviewer_providing"): "A provider cannot approve",
    ("pending_target", "approve_target", "reviewer_requesting"): "own department's request",
    ("appealed", "approve", "reviewer_requesting"): "own department's request",
    ("appealed", "approve", "reviewer_providing"): "your own department's data",
    ("pending_provider", "approve", "reviewer"): "Only a data steward of the providing",
}


@dataclass
class Cast:
    services: Services
    actors: dict[str, Actor]
    dataset: str
    serial: itertools.count

    def file(self, by: str = "filer") -> str:
        body = payload(self.dataset, target_system=f"业务系统{next(self.serial)}",
                       reason="")
        return self.services.sharing.file(self.actors[by], body)["id"]

    def act(self, who: str, request_id: str, action: str) -> dict[str, Any]:
        reason = {"approve": "", "approve_target": "", "withdraw": ""}.get(action, "理由充分")
        return self.services.sharing.decide(self.actors[who], request_id,
                                            {"action": action, "reason": reason})

    def in_state(self, state: str, by: str = "filer") -> str:
        request_id = self.file(by)
        steps = {"pending_provider": [], "pending_target": [("provider", "approve")],
                 "rejected": [("provider", "reject")],
                 "appealed": [("provider", "reject"), (by, "appeal")],
                 "granted": [("provider", "approve"), ("reviewer", "approve_target")]}[state]
        for who, action in steps:
            self.act(who, request_id, action)
        return request_id


@pytest.fixture
def cast(store: Store) -> Cast:
    services = Services.build(store)
    w = build_world(services)
    freeze(services)
    actors = {"filer": w.staff, "colleague": w.steward_other, "provider": w.steward,
              "provider_staff": w.staff_own, "reviewer": w.reviewer, "admin": w.admin,
              "reviewer_requesting": add_user(services, "reviewer-market", "reviewer", MARKET),
              "reviewer_providing": add_user(services, "reviewer-police", "reviewer",
                                             PUBLIC_SECURITY),
              "outsider": add_user(services, "justice-staff", "staff", JUSTICE),
              "reviewer_filer": add_user(services, "reviewer-justice", "reviewer", JUSTICE),
              "reviewer_gov2": add_user(services, "reviewer-two", "reviewer", GOVERNANCE)}
    dataset = publish(services, w.steward, w.reviewer, record())
    return Cast(services, actors, dataset, itertools.count(1))


def outcome(cast: Cast, who: str, request_id: str, action: str) -> tuple[Any, str]:
    try:
        cast.act(who, request_id, action)
    except MuluError as exc:
        return STATUS[type(exc)], exc.message.en
    return OK, ""


def test_matrix_is_legal_against_the_table() -> None:
    for (state, action), expected in MATRIX.items():
        legal = bool(machine.allowed(state, action))
        assert legal == (ILLEGAL not in expected.values()), (state, action)


def test_separation_of_duties_matrix(cast: Cast) -> None:
    wrong = []
    for (state, action), expected in MATRIX.items():
        for who in WHO:
            request_id = cast.in_state(state)
            before = cast.services.sharing.get(cast.actors["admin"], request_id)
            got, message = outcome(cast, who, request_id, action)
            if got != expected[who]:
                wrong.append(f"{state}/{action} by {who}: expected {expected[who]}, got {got}")
            if got != OK:
                after = cast.services.sharing.get(cast.actors["admin"], request_id)
                assert after == before, f"{state}/{action} by {who} changed the request"
            hint = MESSAGES.get((state, action, who))
            if hint:
                assert hint in message, (state, action, who, message)
    assert not wrong, "\n".join(wrong)


def test_a_reviewer_cannot_decide_a_request_they_filed(cast: Cast) -> None:
    request_id = cast.in_state("pending_target", by="reviewer_filer")
    status, message = outcome(cast, "reviewer_filer", request_id, "approve_target")
    assert (status, message) == (DENIED, "You cannot decide a request you filed.")
    assert outcome(cast, "reviewer_gov2", request_id, "approve_target") == (OK, "")
    listed = cast.services.sharing.list(cast.actors["reviewer_filer"], filter="to_review")
    assert request_id not in [r["id"] for r in listed["items"]]


def test_to_review_lists_only_what_one_may_decide(cast: Cast) -> None:
    pending = cast.in_state("pending_provider")
    target = cast.in_state("pending_target")
    appealed = cast.in_state("appealed")

    def waiting(who: str) -> set[str]:
        found = cast.services.sharing.list(cast.actors[who], filter="to_review")["items"]
        return {r["id"] for r in found}

    assert waiting("provider") == {pending}
    assert waiting("reviewer") == {target, appealed}
    assert waiting("admin") == {target, appealed}
    for who in ("filer", "colleague", "provider_staff", "reviewer_requesting",
                "reviewer_providing", "outsider"):
        assert waiting(who) == set(), who
    mine = cast.services.sharing.list(cast.actors["colleague"], filter="mine")
    assert {r["id"] for r in mine["items"]} == {pending, target, appealed}
    assert cast.services.sharing.list(cast.actors["outsider"])["total"] == 0
