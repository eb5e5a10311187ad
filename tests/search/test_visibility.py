"""The search visibility filter is catalog.visibility's rule, case by case (no backend needed)."""

from __future__ import annotations

import itertools

from catalog.actors import ANONYMOUS, Actor
from catalog.conditions import And, Const, Eq, Le, Not, Or, evaluate
from catalog.visibility import view_of
from search.documents import (
    CURRENT,
    PUBLISHED,
    DatasetState,
    actor_filter,
)

STATES = ("draft", "submitted", "published", "returned", "withdrawn")
CLEARANCES = ("public", "internal", "secret", "confidential", "top_secret")


def every_dataset() -> list[DatasetState]:
    out = []
    for state, rank, published, department in itertools.product(
            STATES, range(5), (None, 0, 1, 2, 3, 4), (1, 2, 3)):
        if state == "published" and published is None:
            continue
        out.append(DatasetState("d", state, "101001/000001", rank, 2,
                                None if published is None else 1, published, department))
    return out


def every_actor() -> list[Actor]:
    return [ANONYMOUS, *(Actor(7, "someone", role, department, clearance)
                         for role in ("staff", "steward", "reviewer", "admin")
                         for department in (None, 1, 2, 3) for clearance in CLEARANCES)]


def docs_of(dataset: DatasetState) -> list[dict[str, object]]:
    """The documents search.documents.documents writes (only the filter's fields)."""
    base = {"department_id": dataset.department_id, "state": dataset.state,
            "security_rank": dataset.security_rank}
    out = [{**base, "view": CURRENT, "rank": dataset.security_rank}]
    if dataset.published_revision is not None and dataset.state != "withdrawn":
        out.append({**base, "view": PUBLISHED, "rank": dataset.published_security_rank})
    return out


def test_filter_shows_exactly_the_view_visibility_chooses() -> None:
    """Every state × working-copy rank × published rank × department, for every kind of actor."""
    checked = 0
    for actor in every_actor():
        condition = actor_filter(actor)
        for dataset in every_dataset():
            expected = view_of(actor, dataset)  # type: ignore[arg-type]
            seen = [d["view"] for d in docs_of(dataset) if evaluate(condition, d)]
            assert seen == ([expected] if expected else []), (actor, dataset)
            checked += 1
    assert checked > 30000


def test_evaluate_covers_every_node() -> None:
    doc = {"view": CURRENT, "rank": 1}
    assert evaluate(And((Eq("view", CURRENT), Le("rank", 1))), doc)
    assert evaluate(Or((Const(False), Not(Eq("rank", 2)))), doc)
    assert not evaluate(Const(False), doc)
