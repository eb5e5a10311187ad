"""Which revision of a dataset an actor sees (DESIGN §4), and a department's work: the rules of
``catalog.policy`` compiled for the store.

- the owning department and administrators see the working copy;
- reviewers see the working copy once it has left the department (not a draft);
- everyone else sees the published revision, if there is one and it is not withdrawn;
- nobody sees anything above their clearance.

``visible`` (SQL, for lists) and ``view_of`` (one dataset) evaluate the same conditions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.actors import Actor
from catalog.conditions import FALSE, evaluate, row_of, to_sql
from catalog.db import Dataset

View = Literal["current", "published"]
DATASET_COLUMNS = {"department_id": Dataset.department_id, "state": Dataset.state,
                   "security_rank": Dataset.security_rank,
                   "published_rank": Dataset.published_security_rank}


def visible(actor: Actor, title_contains: str | None = None) -> ColumnElement[bool]:
    """SQL condition: the actor may see some revision of the dataset (whose title, when
    ``title_contains`` is given, contains that text — matched on the revision they see)."""
    working = to_sql(policy.dataset_working_copy(actor), DATASET_COLUMNS)
    current, published = working, to_sql(policy.dataset_published(actor), DATASET_COLUMNS)
    if title_contains:
        current = and_(working, Dataset.title.contains(title_contains, autoescape=True))
        published = and_(published, ~working,
                         Dataset.published_title.contains(title_contains, autoescape=True))
    return current | published


def working_copy(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the actor may see the dataset's working copy."""
    return to_sql(policy.dataset_working_copy(actor), DATASET_COLUMNS)


def seen_title_sort(actor: Actor) -> ColumnElement[str | None]:
    """SQL: the pinyin sort key of the title of the revision the actor sees (the working
    copy's, or the published one's), to order a list by name in the store."""
    working = policy.dataset_working_copy(actor)
    if working == FALSE:
        return Dataset.published_title_sort.expression
    return case((to_sql(working, DATASET_COLUMNS), Dataset.title_sort),
                else_=Dataset.published_title_sort)


def view_of(actor: Actor, dataset: Any) -> View | None:
    """Which revision the actor sees of ``dataset`` (a ``Dataset`` or an object with its
    visibility columns), or None."""
    row = row_of(dataset, DATASET_COLUMNS)
    if evaluate(policy.dataset_working_copy(actor), row):
        return "current"
    if evaluate(policy.dataset_published(actor), row):
        return "published"
    return None


def working_copies_seen(session: Session, actor: Actor, ids: Iterable[str | None]) -> set[str]:
    """The datasets among ``ids`` whose working copy the actor may see: who may read what a
    harvest item or an import row became (its payload, title and messages)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return set()
    return {d.id for d in session.scalars(select(Dataset).where(Dataset.id.in_(wanted)))
            if view_of(actor, d) == "current"}


def may_see_department_work(actor: Actor, department_id: int | None) -> bool:
    """A department's sources, jobs and their reports (not its datasets: those follow the
    rule above)."""
    return evaluate(policy.department_work(actor), {"department_id": department_id})


def department_work(actor: Actor, department_id: ColumnElement[int] | Any) -> ColumnElement[bool]:
    """``may_see_department_work`` as an SQL condition on a department id column."""
    return to_sql(policy.department_work(actor), {"department_id": department_id})
