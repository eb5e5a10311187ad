"""The sharing state machine, declared once: (state, action, role) -> next state.

Roles here are relations to one request, not account roles:
- ``requester``: a member of the requesting department;
- ``provider``: a data steward of the department that provides the dataset;
- ``reviewer``: a governance reviewer (or administrator) of neither department who did not
  file the request (separation of duties);
- ``system``: the deadline run that escalates breached requests.

A request starts in ``pending_provider`` (有条件共享), ``granted`` (无条件共享, at once) or
``disputed`` (a dispute of a 不予共享 entry). Everything else is a row of TRANSITIONS.
"""

from __future__ import annotations

from catalog import policy
from catalog.actors import Actor
from catalog.conditions import evaluate
from catalog.db import SharingRequest

STATES = ("pending_provider", "pending_target", "rejected", "appealed", "disputed", "escalated",
          "granted", "refused", "withdrawn")
FINAL = frozenset({"granted", "refused", "withdrawn"})
ACTIONS = ("approve", "narrow", "reject", "approve_target", "return", "appeal", "escalate",
           "withdraw")
ROLES = ("requester", "provider", "reviewer", "system")
INITIAL = {"unconditional": "granted", "conditional": "pending_provider", "dispute": "disputed"}

# actions that decide someone else's request (the "to review" list)
REVIEW_ACTIONS = frozenset({"approve", "narrow", "reject", "approve_target", "return"})
# a reason is required for these (a refusal must give its reason, 国发〔2016〕51号)
NEEDS_REASON = frozenset({"narrow", "reject", "return", "appeal", "escalate"})
# escalation is for breached requests only
NEEDS_BREACH = frozenset({"escalate"})

TRANSITIONS: dict[tuple[str, str, str], str] = {
    # the provider answers within the deadline
    ("pending_provider", "approve", "provider"): "pending_target",
    ("pending_provider", "narrow", "provider"): "pending_target",
    ("pending_provider", "reject", "provider"): "rejected",
    ("pending_provider", "escalate", "system"): "escalated",
    ("pending_provider", "escalate", "requester"): "escalated",
    ("pending_provider", "withdraw", "requester"): "withdrawn",
    # governance approves the sharing target, or sends it back to the provider
    ("pending_target", "approve_target", "reviewer"): "granted",
    ("pending_target", "return", "reviewer"): "pending_provider",
    ("pending_target", "withdraw", "requester"): "withdrawn",
    # a rejected requester may appeal to governance
    ("rejected", "appeal", "requester"): "appealed",
    ("rejected", "withdraw", "requester"): "withdrawn",
    ("appealed", "approve", "reviewer"): "granted",
    ("appealed", "narrow", "reviewer"): "granted",
    ("appealed", "reject", "reviewer"): "refused",
    ("appealed", "withdraw", "requester"): "withdrawn",
    # a dispute of a 不予共享 entry goes to governance only
    ("disputed", "approve", "reviewer"): "granted",
    ("disputed", "narrow", "reviewer"): "granted",
    ("disputed", "reject", "reviewer"): "refused",
    ("disputed", "withdraw", "requester"): "withdrawn",
    # a breached request: the provider may still answer; governance decides or urges (return)
    ("escalated", "approve", "provider"): "pending_target",
    ("escalated", "narrow", "provider"): "pending_target",
    ("escalated", "reject", "provider"): "rejected",
    ("escalated", "approve", "reviewer"): "granted",
    ("escalated", "narrow", "reviewer"): "granted",
    ("escalated", "reject", "reviewer"): "refused",
    ("escalated", "return", "reviewer"): "pending_provider",
    ("escalated", "withdraw", "requester"): "withdrawn",
}

# states in which the provider's working-day deadline runs
DEADLINE_STATES = frozenset({"pending_provider"})


REQUEST_FIELDS = ("requester_department_id", "provider_department_id", "requester_id", "state")


def fields(request: SharingRequest) -> dict[str, object]:
    """The request's fields the policy's conditions read."""
    return {name: getattr(request, name) for name in REQUEST_FIELDS}


def roles_of(actor: Actor, request: SharingRequest) -> set[str]:
    """The actor's relations to the request (``catalog.policy.request_relations``)."""
    row = fields(request)
    return {role for role, holds in policy.request_relations(actor).items()
            if evaluate(holds, row)}


def may_see(actor: Actor, request: SharingRequest) -> bool:
    """Both departments, governance reviewers and administrators see a request."""
    return evaluate(policy.sharing_request_seen(actor), fields(request))


def review_states(role: str) -> tuple[str, ...]:
    """States in which ``role`` has a deciding action, read off the transition table."""
    return tuple(sorted({state for (state, action, r) in TRANSITIONS
                         if r == role and action in REVIEW_ACTIONS}))


def allowed(state: str, action: str) -> dict[str, str]:
    """role -> next state for ``action`` in ``state`` (empty: the action is illegal there)."""
    return {role: target for (s, a, role), target in TRANSITIONS.items()
            if s == state and a == action}


def actions_for(actor: Actor, request: SharingRequest) -> list[str]:
    """The actions the actor may take on the request now (breach guards not applied)."""
    roles = roles_of(actor, request)
    return [action for action in ACTIONS
            if any(role in roles for role in allowed(request.state, action))]
