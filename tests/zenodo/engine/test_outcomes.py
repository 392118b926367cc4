"""Outcome kinds own which of them count as done ("ok") and as nothing left to retry."""

from __future__ import annotations

import json

from zenodo.engine.outcomes import Outcome, OutcomeKind


def test_only_published_and_drafted_are_ok_and_quarantined_and_handed_over_settled_too(
) -> None:
    assert {k for k in OutcomeKind if k.ok} == {OutcomeKind.PUBLISHED, OutcomeKind.DRAFTED}
    assert {k for k in OutcomeKind if k.settled} == {
        OutcomeKind.PUBLISHED, OutcomeKind.DRAFTED, OutcomeKind.QUARANTINED,
        OutcomeKind.HANDED_OVER}
    for waiting in (OutcomeKind.BUSY, OutcomeKind.DEFERRED, OutcomeKind.FAILED):
        assert not waiting.ok and not waiting.settled


def test_a_handed_over_specimen_is_not_reported_unsuccessful_by_the_batch_that_gave_it() -> None:
    assert {k for k in OutcomeKind if not k.unsuccessful} == {
        OutcomeKind.PUBLISHED, OutcomeKind.DRAFTED, OutcomeKind.HANDED_OVER}


def test_outcomes_travel_as_their_plain_names() -> None:
    assert json.dumps({OutcomeKind.PUBLISHED: 1}) == '{"published": 1}'
    assert Outcome(OutcomeKind.FAILED, "HTTP 500").ok is False
