"""The shared circuit breaker: its rules on a real database, and a real outage ridden out.

The outage test puts the sandbox's outage window (every request answered 503) in the middle of
a 300-specimen run. The issue asks for 2 minutes; CI uses 30 s (the behaviour does not depend
on the length, only the test time does).
"""

from __future__ import annotations

import os
import pathlib
import threading
import time

import pytest
import sqlalchemy as sa

from tests.zenodo.engine_helpers import assert_server_and_ledger_agree, run_batch
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.engine.statistics import load_batches, paused_spans
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo.report.html import render_html
from zenodo.report.run_report import build_report
from zenodo.report.status_data import counts_by_collection
from zenodo.traffic.breaker import CircuitBreaker, ZenodoUnavailable
from zenodo_sandbox.testing import SandboxProcess

#: The issue's outage lasts 2 minutes; CI rides out 30 s (the breaker does not depend on the
#: length). ZENODO_TEST_OUTAGE_SECONDS=120 runs the full-length version.
OUTAGE_SECONDS = float(os.environ.get("ZENODO_TEST_OUTAGE_SECONDS", "15"))


class FakeClock:
    """Epoch seconds that move only when told (sleep advances them)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_an_answer_to_a_request_sent_before_the_breaker_opened_does_not_close_it(
    ledger: Ledger,
) -> None:
    # A request answered just before an outage, counted once the outage's 503s had opened
    # the breaker, closed it again: every worker resumed into the outage (seen under load).
    clock = FakeClock()
    breaker = CircuitBreaker(ledger.engine, "zenodo", threshold=2, clock=clock,
                             sleep=clock.sleep, check_interval=0)
    sent_before = clock.now
    clock.sleep(1.0)
    breaker.record(False)
    breaker.record(False)
    assert breaker.state().is_open
    breaker.record(True, sent_at=sent_before)
    assert breaker.state().is_open, "old news"
    clock.sleep(1.0)
    breaker.record(True, sent_at=clock.now - 0.5)
    assert not breaker.state().is_open and breaker.state().failures == 0


def test_a_run_of_failures_opens_and_a_success_resets(ledger: Ledger) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(ledger.engine, "zenodo", threshold=3, clock=clock,
                             sleep=clock.sleep, check_interval=0)
    for _ in range(2):
        breaker.record(False)
    breaker.record(True)
    assert breaker.state().failures == 0 and not breaker.state().is_open
    for _ in range(3):
        breaker.record(False)
    state = breaker.state()
    assert state.is_open and state.opened_at == clock.now and state.outages == 1


def test_a_request_after_a_failure_costs_one_statement(ledger: Ledger) -> None:
    """Every worker's first success after a failure resets the count; that is one UPDATE, and
    the next request trusts the view it left (no read of the row before it)."""
    breaker = CircuitBreaker(ledger.engine, "zenodo", threshold=5)
    statements: list[str] = []
    listen = ("before_cursor_execute",
              lambda *args: statements.append(str(args[2]).split()[0].upper()))
    breaker.record(False)
    sa.event.listen(ledger.engine, *listen)
    try:
        breaker.wait_until_closed(lambda: pytest.fail("closed: no probe"))
        breaker.record(True)
        breaker.wait_until_closed(lambda: pytest.fail("closed: no probe"))
        breaker.record(True)
    finally:
        sa.event.remove(ledger.engine, *listen)
    assert [s for s in statements if s != "BEGIN"] == ["UPDATE"]  # BEGIN: SQLite's write lock
    assert breaker.state().failures == 0


def test_one_worker_probes_and_all_resume(ledger: Ledger) -> None:
    clock = FakeClock()
    options = {"threshold": 1, "probe_interval": 5.0, "clock": clock, "sleep": clock.sleep,
               "check_interval": 0}
    first = CircuitBreaker(ledger.engine, "zenodo", **options)
    second = CircuitBreaker(ledger.engine, "zenodo", **options)  # another process's view
    first.record(False)
    answers = iter([False, False, True])
    probes: list[float] = []
    pauses: list[tuple[float, float]] = []

    def probe() -> bool:
        probes.append(clock.now)
        _state, mine = first._db.write_retrying(first._claim_probe)
        assert not mine, "while one worker probes, no other may"
        return next(answers)

    second.wait_until_closed(probe, on_pause=lambda s, e: pauses.append((s, e)))
    assert len(probes) == 3 and probes[1] - probes[0] >= 5.0 and probes[2] - probes[1] >= 5.0
    assert not first.state().is_open, "the probe closed it for every worker"
    assert pauses and pauses[0][1] - pauses[0][0] >= 10.0
    first.wait_until_closed(lambda: pytest.fail("closed: no probe"))


def test_past_the_limit_waiters_fail_with_a_clear_message(ledger: Ledger) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(ledger.engine, "zenodo", threshold=1, probe_interval=2.0,
                             max_outage=10.0, clock=clock, sleep=clock.sleep, check_interval=0)
    breaker.record(False)
    with pytest.raises(ZenodoUnavailable, match=r"Zenodo unavailable since 20\d\d-.*10 s limit"):
        breaker.wait_until_closed(lambda: False)
    assert clock.now - breaker.state().opened_at > 10.0
    breaker.wait_until_closed(lambda: True)  # Zenodo is back: the next try probes and goes on
    assert not breaker.state().is_open


def _outage_when_published(sandbox: SandboxProcess, count: int, seconds: float,
                           started: list[float]) -> threading.Thread:
    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if sandbox.admin.counts()["by_state"].get("done", 0) >= count:
                sandbox.admin.outage(seconds)
                started.append(time.time())
                return
            time.sleep(0.2)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_an_outage_mid_run_pauses_everyone_and_loses_nothing(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger,
    tmp_path: pathlib.Path,
) -> None:
    keys = register_specimens(sqlite_ledger, tmp_path, 300)
    zenodo_hook.watch.breaker = CircuitBreaker(sqlite_ledger.engine, "zenodo_test", threshold=5,
                                               probe_interval=2.0, max_outage=300.0)
    outage_started: list[float] = []
    watcher = _outage_when_published(sandbox, 100, OUTAGE_SECONDS, outage_started)
    result = run_batch(sqlite_ledger, zenodo_hook, keys, batch_id="outage")
    watcher.join()
    assert outage_started, "the outage began in the middle of the run"
    assert result.outcomes == {"published": 300}
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
    events = sqlite_ledger.events(COLLECTION)
    assert not [e for e in events if e.to_state == State.FAILED], "no specimen FAILED"
    # Workers paused instead of hammering: during the outage only the requests in flight, the
    # ones that opened the breaker and one probe every 2 s were answered 503.
    log = sandbox.admin.requests()
    outage_hits = log["counts"]["by_fault"].get("outage", 0)
    assert 5 <= outage_hits <= 8 + 5 + OUTAGE_SECONDS / 2 + 3
    (row,) = load_batches(sqlite_ledger, COLLECTION)
    assert OUTAGE_SECONDS - 3 <= row["paused_seconds"] <= OUTAGE_SECONDS + 15
    assert row["errors_by_status"].get("503", 0) == outage_hits
    assert row["requests"] == log["total"]
    html = render_html(build_report(sqlite_ledger, COLLECTION, run_id="outage-run"), [row],
                       counts_by_collection(sqlite_ledger.engine))
    assert "Zenodo was unavailable: the workers paused" in html
    waited = sum(end - start for start, end in paused_spans([row]))
    assert waited == pytest.approx(row["paused_seconds"], abs=0.01)
    assert f"for {waited:.0f} s of the run's time (" in html


def test_an_outage_past_the_limit_fails_the_batch_and_a_retry_continues(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger,
    tmp_path: pathlib.Path,
) -> None:
    keys = register_specimens(sqlite_ledger, tmp_path, 12)
    zenodo_hook.watch.breaker = CircuitBreaker(sqlite_ledger.engine, "zenodo_test", threshold=3,
                                               probe_interval=1.0, max_outage=3.0)
    sandbox.admin.outage(60)
    with pytest.raises(ZenodoUnavailable, match="Zenodo unavailable since"):
        run_batch(sqlite_ledger, zenodo_hook, keys, concurrency=4)
    states = {k: sqlite_ledger.get(COLLECTION, k).state for k in keys}
    assert set(states.values()) <= {State.NEW, State.UNKNOWN}, "touched specimens keep state"
    assert State.UNKNOWN in states.values(), "a create sent into the outage awaits its lookup"
    assert all(sqlite_ledger.get(COLLECTION, k).lease_owner is None for k in keys)
    sandbox.admin.outage(0)
    again = run_batch(sqlite_ledger, zenodo_hook, keys, concurrency=4)
    assert again.outcomes == {"published": 12}
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
    assert again.stats is not None and again.stats.lookup_results.get("nothing", 0) >= 1
