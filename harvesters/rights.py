"""The controls a harvest source offers an actor in its present state (the source page).

Who may register, change, run and review a source is ``catalog.policy`` (the service refuses
through ``policy.check``); this module only combines those rules with the source's state.
Seeing a source (and its jobs and reports) is ``harvesters.provenance.may_see_source``."""

from __future__ import annotations

from dataclasses import dataclass

from catalog import policy
from catalog.actors import Actor

RUNNABLE = ("approved",)
DISABLEABLE = ("approved", "pending")


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
    change = policy.may(actor, "source.change")
    return SourceActions(
        edit=change,
        review=state == "pending" and policy.may(actor, "source.review",
                                                 policy.Subject(department_id, created_by)),
        run=policy.may(actor, "source.run") and state in RUNNABLE,
        disable=change and state in DISABLEABLE,
        enable=change and state == "disabled")
