"""The state machine table is whole: every state reachable, every open state has a way out,
final states have none, and every action and role is used."""

from __future__ import annotations

from catalog.sharing import machine


def test_every_state_is_reachable_from_an_initial_state() -> None:
    reached = set(machine.INITIAL.values())
    frontier = list(reached)
    while frontier:
        state = frontier.pop()
        for (source, _action, _role), target in machine.TRANSITIONS.items():
            if source == state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(machine.STATES)


def test_open_states_have_a_way_out_and_final_states_none() -> None:
    sources = {state for (state, _a, _r) in machine.TRANSITIONS}
    assert sources == set(machine.STATES) - machine.FINAL
    for state in set(machine.STATES) - machine.FINAL:
        assert machine.allowed(state, "withdraw") == {"requester": "withdrawn"}, state


def test_every_action_and_role_is_used_and_nothing_else() -> None:
    assert {a for (_s, a, _r) in machine.TRANSITIONS} == set(machine.ACTIONS)
    assert {r for (_s, _a, r) in machine.TRANSITIONS} == set(machine.ROLES)
    assert set(machine.TRANSITIONS.values()) <= set(machine.STATES)


def test_only_governance_grants_after_the_provider() -> None:
    """A grant comes from governance (or at once for 无条件共享), never from the provider."""
    for (_state, _action, role), target in machine.TRANSITIONS.items():
        if target == "granted":
            assert role == "reviewer"


def test_refusals_and_returns_need_reasons() -> None:
    assert {"reject", "return", "appeal", "narrow", "escalate"} <= machine.NEEDS_REASON
    assert "approve" not in machine.NEEDS_REASON
