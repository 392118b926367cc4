"""The batch's background thread: ticks every interval, outlives a failed tick, stops on exit."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from zenodo.engine.periodic import PeriodicThread


class Counting(PeriodicThread):
    failure = "counting failed"

    def __init__(self, fail_first: int) -> None:
        super().__init__(0.01, "counting")
        self.calls = 0
        self.fail_first = fail_first
        self.third = threading.Event()

    def tick(self) -> None:
        self.calls += 1
        if self.calls == 3:
            self.third.set()
        if self.calls <= self.fail_first:
            raise RuntimeError(f"tick {self.calls}")


def test_a_failed_tick_is_logged_and_the_next_interval_ticks_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="zenodo.engine.periodic"), \
            Counting(fail_first=2) as thread:
        assert thread.third.wait(5), "the thread stopped ticking after a failure"
    assert [r.getMessage() for r in caplog.records][:2] == ["counting failed"] * 2
    assert "tick 1" in caplog.text


def test_leaving_the_with_stops_the_thread() -> None:
    with Counting(fail_first=0) as thread:
        assert thread.third.wait(5)
    assert not thread._thread.is_alive()
    stopped_at = thread.calls
    time.sleep(0.05)
    assert thread.calls == stopped_at
