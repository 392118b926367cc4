"""The state table: the flows the engine and reconciliation need, and nothing else."""

from __future__ import annotations

import itertools

import pytest

from zenodo.ledger.states import (
    ADOPTABLE,
    ALLOWED_TRANSITIONS,
    FINAL,
    IN_FLIGHT,
    IllegalTransition,
    State,
    check_transition,
    is_allowed,
)

S = State


@pytest.mark.parametrize(
    "path",
    [
        [S.NEW, S.DRAFTED, S.UPLOADED, S.PUBLISHED, S.VERIFIED],
        [S.VERIFIED, S.STALE, S.DRAFTED, S.UPLOADED, S.PUBLISHED],
        [S.NEW, S.UNKNOWN, S.DRAFTED],
        [S.UPLOADED, S.UNKNOWN, S.PUBLISHED],
        [S.NEW, S.UNKNOWN, S.NEW],
        [S.STALE, S.UNKNOWN, S.STALE],
        [S.DRAFTED, S.FAILED, S.DRAFTED],
        [S.UNKNOWN, S.FAILED, S.UNKNOWN],
        [S.NEW, S.QUARANTINED, S.NEW],
        [S.PUBLISHED, S.NEW],
        [S.FAILED, S.VERIFIED],
        [S.VERIFIED, S.PUBLISHED],
    ],
)
def test_flows_the_engine_and_reconciliation_need_are_allowed(path: list[State]) -> None:
    for src, dst in itertools.pairwise(path):
        check_transition("c", "k", src, dst)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.NEW, S.UPLOADED),
        (S.PUBLISHED, S.DRAFTED),
        (S.PUBLISHED, S.FAILED),
        (S.QUARANTINED, S.VERIFIED),
        (S.QUARANTINED, S.FAILED),
        (S.UNKNOWN, S.QUARANTINED),
        (S.VERIFIED, S.UNKNOWN),
        (S.DRAFTED, S.STALE),
    ],
)
def test_illegal_transition_raises_naming_specimen_and_states(src: State, dst: State) -> None:
    with pytest.raises(IllegalTransition) as info:
        check_transition("herbarium", "urn:x:1", src, dst)
    message = str(info.value)
    assert "herbarium/urn:x:1" in message
    assert f"{src} -> {dst}" in message
    assert (info.value.from_state, info.value.to_state) == (src, dst)


@pytest.mark.parametrize("state", list(State))
def test_same_state_is_always_allowed(state: State) -> None:
    assert is_allowed(state, state)


@pytest.mark.parametrize("state", sorted(IN_FLIGHT))
def test_every_in_flight_state_can_fail_or_become_unknown(state: State) -> None:
    assert is_allowed(state, S.FAILED)
    assert is_allowed(state, S.UNKNOWN)


@pytest.mark.parametrize("state", sorted(ADOPTABLE))
def test_reconcile_adopts_every_non_final_state(state: State) -> None:
    assert is_allowed(state, S.PUBLISHED)
    assert is_allowed(state, S.VERIFIED)


def test_final_states_are_not_adopted_into_failure() -> None:
    for state in FINAL:
        assert not is_allowed(state, S.FAILED)
        assert not is_allowed(state, S.UNKNOWN)


def test_table_holds_only_distinct_state_pairs() -> None:
    assert all(src != dst for src, dst in ALLOWED_TRANSITIONS)


def test_every_state_can_reach_published() -> None:
    for start in State:
        seen, todo = {start}, [start]
        while todo:
            here = todo.pop()
            for src, dst in ALLOWED_TRANSITIONS:
                if src == here and dst not in seen:
                    seen.add(dst)
                    todo.append(dst)
        assert S.PUBLISHED in seen, start


def test_unknown_cannot_be_resolved_by_failing_into_quarantine() -> None:
    assert not is_allowed(S.UNKNOWN, S.QUARANTINED)
