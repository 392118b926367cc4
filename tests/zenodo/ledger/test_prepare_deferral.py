"""A specimen whose image server failed at prepare: FAILED with reason and retry time, left
alone by the engine, registered as NEW by the next prepare (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.zenodo.ledger.test_ledger import FILES, C, Clock, register
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.prepare import PrepareResult
from zenodo.ledger.states import State


@pytest.fixture
def ledger(database_url: str) -> Iterator[tuple[Ledger, Clock]]:
    clock = Clock()
    led = Ledger(database_url, clock=clock)
    led.migrate()
    yield led, clock
    led.dispose()


def _defer(ledger: Ledger, key: str, when: datetime) -> State:
    return ledger.defer_prepare(C, key, kind="image", status=503, message="images: HTTP 503",
                                retry_after=when, source_modified=None, actor="test")


def test_a_deferred_specimen_waits_for_the_next_prepare(ledger: tuple[Ledger, Clock]) -> None:
    led, clock = ledger
    retry = clock.now + timedelta(minutes=15)
    assert _defer(led, "K1", retry) == State.FAILED
    row = led.get(C, "K1")
    assert (row.state, row.last_error_status, row.retry_after) == (State.FAILED, 503, retry)
    assert row.last_error_message == "images: HTTP 503"
    assert led.keys_needing_work(C, now=retry + timedelta(hours=1)) == [], "no payload: not sent"
    assert _defer(led, "K1", retry + timedelta(minutes=5)) == State.FAILED
    assert led.get(C, "K1").attempts == 1
    assert register(led, "K1") == State.NEW
    assert led.keys_needing_work(C) == ["K1"]


def test_a_specimen_already_in_the_ledger_keeps_its_state(ledger: tuple[Ledger, Clock]) -> None:
    led, clock = ledger
    register(led, "K2", files=FILES)
    assert _defer(led, "K2", clock.now) == State.NEW
    assert led.get(C, "K2").last_error_kind is None


def test_the_watermark_stays_at_the_oldest_deferred_row() -> None:
    result = PrepareResult()
    for stamp in ("2024-01-01T00:00:03Z", "2024-01-01T00:00:01Z", "2024-01-01T00:00:09Z"):
        result.saw(stamp)
    assert result.watermark == "2024-01-01T00:00:09Z"
    result.hold("2024-01-01T00:00:03Z")
    result.hold("2024-01-01T00:00:05Z")
    assert result.watermark == "2024-01-01T00:00:03Z", "the next run reads the deferred rows"
    result.hold(None)
    assert result.watermark is None, "a deferred row without a stamp: the watermark stays"
