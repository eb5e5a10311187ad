"""Who may do what with a harvest source: one rule each, called by the service (which refuses)
and by the pages (which show only the controls the rule allows).

Seeing a source (and its jobs and reports) is ``harvesters.provenance.may_see_source``; these
rules apply to a source the actor may see."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.actors import Actor
from catalog.errors import Message

MANAGERS = ("steward", "admin")     # register, edit, disable / enable, run
REVIEWERS = ("reviewer", "admin")   # approve or reject
RUNNABLE = ("approved",)
DISABLEABLE = ("approved", "pending")


def may_manage(actor: Actor) -> bool:
    """The department's stewards (and administrators) register, change and run its sources."""
    return actor.role in MANAGERS


def may_review_sources(actor: Actor) -> bool:
    return actor.role in REVIEWERS


def review_refusal(actor: Actor, department_id: int, created_by: int | None) -> Message | None:
    """Why the actor may not approve (or reject) a source of ``department_id`` registered by
    user ``created_by``; None when they may. Never one's own source, nor, for a reviewer, one of
    their own department."""
    if not may_review_sources(actor):
        return Message("只有治理审核员或管理员可以审批采集数据源。",
                       "Only governance reviewers and administrators approve sources.")
    if created_by is not None and created_by == actor.user_id:
        return Message("不能审批自己登记的数据源。", "You cannot approve your own source.")
    if actor.role == "reviewer" and actor.department_id == department_id:
        return Message("不能审批本部门的数据源。", "You cannot approve your own department's source.")
    return None


@dataclass(frozen=True)
class SourceActions:
    """What the actor may do with a source in its present state (the page's controls)."""

    edit: bool
    review: bool
    run: bool
    disable: bool
    enable: bool


def actions_for(actor: Actor, state: str, department_id: int,
                created_by: int | None) -> SourceActions:
    manage = may_manage(actor)
    return SourceActions(
        edit=manage,
        review=state == "pending" and review_refusal(actor, department_id, created_by) is None,
        run=manage and state in RUNNABLE,
        disable=manage and state in DISABLEABLE,
        enable=manage and state == "disabled")
