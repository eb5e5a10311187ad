"""Who sees which dataset, and which revision of it (DESIGN §4).

One rule, used for single reads and for lists alike:
- the owning department and administrators see the working copy;
- reviewers see the working copy once it has left the department (not a draft);
- everyone else sees the published revision, if there is one and it is not withdrawn;
- nobody sees anything above their clearance.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, false, or_, true

from catalog.actors import Actor
from catalog.db import Dataset

View = Literal["current", "published"]
SEE_EVERY_DEPARTMENT = ("admin", "reviewer")   # governance: every department's work


def may_see_department_work(actor: Actor, department_id: int | None) -> bool:
    """A department's sources, jobs and their reports (not its datasets: those follow the
    rule below): its stewards and staff, governance reviewers and administrators."""
    return actor.role in SEE_EVERY_DEPARTMENT or (
        actor.department_id is not None and actor.department_id == department_id
        and actor.role in ("steward", "staff"))


def department_work(actor: Actor, department_id: ColumnElement[int] | Any) -> ColumnElement[bool]:
    """``may_see_department_work`` as an SQL condition on a department id column."""
    if actor.role in SEE_EVERY_DEPARTMENT:
        return true()
    if actor.department_id is None or actor.role not in ("steward", "staff"):
        return false()
    return department_id == actor.department_id


def _current_allowed(actor: Actor) -> ColumnElement[bool]:
    if actor.role == "admin":
        scope: ColumnElement[bool] = true()
    elif actor.role == "reviewer":
        scope = Dataset.state != "draft"
        if actor.department_id is not None:
            scope = or_(scope, Dataset.department_id == actor.department_id)
    elif actor.department_id is not None and actor.role in ("steward", "staff"):
        scope = Dataset.department_id == actor.department_id
    else:
        scope = false()
    return and_(scope, Dataset.security_rank <= actor.clearance_rank)


def _published_allowed(actor: Actor) -> ColumnElement[bool]:
    return and_(Dataset.published_revision.is_not(None), Dataset.state != "withdrawn",
                Dataset.published_security_rank <= actor.clearance_rank)


def visible(actor: Actor, title_contains: str | None = None) -> ColumnElement[bool]:
    """SQL condition: the actor may see some revision of the dataset (whose title, when
    ``title_contains`` is given, contains that text — matched on the revision they see)."""
    current, published = _current_allowed(actor), _published_allowed(actor)
    if title_contains:
        current = and_(current, Dataset.title.contains(title_contains, autoescape=True))
        published = and_(published, ~_current_allowed(actor),
                         Dataset.published_title.contains(title_contains, autoescape=True))
    return or_(current, published)


def seen_title_sort(actor: Actor) -> ColumnElement[str | None]:
    """SQL: the pinyin sort key of the title of the revision the actor sees (the working
    copy's, or the published one's), to order a list by name in the store."""
    if actor.department_id is None and actor.role not in SEE_EVERY_DEPARTMENT:
        return Dataset.published_title_sort.expression
    return case((_current_allowed(actor), Dataset.title_sort),
                else_=Dataset.published_title_sort)


def view_of(actor: Actor, dataset: Dataset) -> View | None:
    """Which revision the actor sees, or None."""
    rank = actor.clearance_rank
    if dataset.security_rank <= rank and (
        actor.role == "admin"
        or (actor.department_id is not None and actor.department_id == dataset.department_id
            and actor.role in ("steward", "staff", "reviewer"))
        or (actor.role == "reviewer" and dataset.state != "draft")
    ):
        return "current"
    if (dataset.published_revision is not None and dataset.state != "withdrawn"
            and (dataset.published_security_rank or 0) <= rank):
        return "published"
    return None
