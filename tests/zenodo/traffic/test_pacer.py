"""The shared pacer: moving windows, server corrections, and the limit across real processes."""

from __future__ import annotations

import logging
import multiprocessing
import time

import pytest

from zenodo.ledger.ledger import Ledger
from zenodo.traffic.pacer import ZENODO_AUTHENTICATED, Pacer, PacerTimeout


class FakeTime:
    """A clock whose sleep advances it, shared by every pacer of a test."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def url(sqlite_url: str) -> str:
    ledger = Ledger(sqlite_url)
    ledger.migrate()
    ledger.dispose()
    return sqlite_url


def make(url: str, fake: FakeTime, limits, **kw) -> Pacer:
    return Pacer(url, "zenodo:test", limits, clock=fake.clock, sleep=fake.sleep, **kw)


def send_times(pacer: Pacer, fake: FakeTime, n: int) -> list[float]:
    start, times = fake.now, []
    for _ in range(n):
        pacer.acquire()
        times.append(round(fake.now - start, 6))
    return times


def test_an_idle_token_sends_a_windows_budget_at_once(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, [(5, 10)], margin=0.0)
    times = send_times(pacer, fake, 6)
    assert times[:5] == [0.0] * 5
    assert 10.0 < times[5] <= 10.2 + 1e-6  # the oldest left the window (slot 0.1 s, transit 0.1 s)


def test_the_window_moves_freeing_one_request_as_the_oldest_leaves(
    url: str, fake: FakeTime
) -> None:
    pacer = make(url, fake, [(3, 10)], margin=0.0, transit_s=0.0)
    start, times = fake.now, []
    for _ in range(3):
        pacer.acquire()
        times.append(fake.now - start)
        fake.sleep(4.0)
    fake.now = start + 9.0
    for _ in range(3):
        pacer.acquire()
        times.append(fake.now - start)
    assert times[:3] == [0.0, 4.0, 8.0]
    for sent, freed in zip(times[:3], times[3:], strict=True):
        assert sent + 10.0 < freed <= sent + 10.1 + 1e-6


def test_the_margin_leaves_part_of_each_window_unused(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, [(10, 60)], margin=0.2)
    times = send_times(pacer, fake, 9)
    assert times[:8] == [0.0] * 8
    assert times[8] > 60.0


def test_zenodos_minute_limit_binds_until_the_hours_budget_is_spent(
    url: str, fake: FakeTime
) -> None:
    pacer = make(url, fake, ZENODO_AUTHENTICATED)
    times = send_times(pacer, fake, 99)
    assert times[:98] == [0.0] * 98, "100/min less 2%, not one every 0.74 s for 5000/h"
    assert 60.0 < times[98] <= 60.8

    hourly = Pacer(url, "zenodo:hourly", [(10, 1.0), (30, 60.0)], margin=0.0,
                   clock=fake.clock, sleep=fake.sleep)
    times = send_times(hourly, fake, 31)
    assert times[:10] == [0.0] * 10
    assert times[29] < 3.5, "three seconds' budgets while the hour has room"
    assert 60.0 < times[30] <= 60.8, "then the hour's window holds until its oldest leave"


def test_two_pacers_on_one_bucket_share_its_budget(url: str, fake: FakeTime) -> None:
    a = make(url, fake, [(2, 10)], margin=0.0)
    b = make(url, fake, [(2, 10)], margin=0.0)
    start, times = fake.now, []
    for pacer in (a, b, a):
        pacer.acquire()
        times.append(fake.now - start)
    assert times[:2] == [0.0, 0.0]
    assert times[2] > 10.0


def test_a_long_wait_is_logged_with_its_length(
    url: str, fake: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    pacer = make(url, fake, [(1, 60)], margin=0.0)
    pacer.acquire()
    with caplog.at_level(logging.INFO, logger="zenodo.traffic.pacer"):
        pacer.acquire()
    assert "zenodo:test: the token's budget is spent; next request in 60 s" in caplog.text


def test_buckets_are_independent(url: str, fake: FakeTime) -> None:
    a = Pacer(url, "api", [(60, 60)], margin=0.0, clock=fake.clock, sleep=fake.sleep)
    b = Pacer(url, "oai", [(60, 60)], margin=0.0, clock=fake.clock, sleep=fake.sleep)
    a.acquire()
    assert b.acquire() == 0.0


def test_a_429_blocks_every_worker_until_retry_after(url: str, fake: FakeTime) -> None:
    a = make(url, fake, [(100, 60)])
    b = make(url, fake, [(100, 60)])
    a.acquire()
    a.observe({"Retry-After": "30", "X-RateLimit-Remaining": "0"}, 429)
    assert b.state().blocked_until == pytest.approx(fake.now + 30)
    assert b.acquire() == pytest.approx(30.0)


def test_a_429_uses_the_exact_reset_when_it_agrees_with_retry_after(
    url: str, fake: FakeTime
) -> None:
    pacer = make(url, fake, [(100, 60)])
    reset = fake.now + 12.6
    pacer.observe({"retry-after": "12", "x-ratelimit-reset": str(reset)}, 429)
    assert pacer.acquire() == pytest.approx(12.6)


def test_a_429_without_headers_blocks_for_the_default(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, [(100, 60)], default_block_s=45)
    pacer.observe({}, 429)
    assert pacer.acquire() == pytest.approx(45.0)


def test_server_remaining_zero_holds_requests_until_its_reset(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, [(100, 60)], margin=0.0)
    reset = fake.now + 20
    pacer.observe(
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
        200,
    )
    assert send_times(pacer, fake, 2) == [20.0, 20.0]


def test_a_positive_remaining_is_not_spent_down_as_a_budget(url: str, fake: FakeTime) -> None:
    # Zenodo's window moves: its reset frees the oldest slot, not the whole window, so a
    # small "remaining" must not stall every worker until the reset (only 0 does).
    pacer = make(url, fake, [(100, 60)], margin=0.0)
    reset = str(fake.now + 30)
    pacer.observe({"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": reset}, 200)
    pacer.observe({"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": reset}, 200)
    assert pacer.state().server_remaining == 5, "the latest answer wins"
    assert send_times(pacer, fake, 3) == [0.0, 0.0, 0.0]


def test_retry_after_on_a_success_does_not_block(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, [(100, 60)])
    pacer.observe(
        {
            "Retry-After": "40",
            "X-RateLimit-Remaining": "80",
            "X-RateLimit-Reset": str(fake.now + 40),
        },
        200,
    )
    assert pacer.state().blocked_until == 0.0
    assert pacer.acquire() == 0.0


def test_retry_after_as_an_http_date_is_understood(url: str, fake: FakeTime) -> None:
    from email.utils import formatdate

    pacer = Pacer(url, "zenodo:date", [(100, 60)])
    pacer.observe({"Retry-After": formatdate(time.time() + 120, usegmt=True)}, 429)
    assert pacer.state().blocked_until == pytest.approx(time.time() + 120, abs=2)


def test_a_429_with_an_http_date_blocks_until_that_date_on_the_pacers_clock(
    url: str, fake: FakeTime
) -> None:
    from email.utils import formatdate

    a = make(url, fake, [(100, 60)])
    b = make(url, fake, [(100, 60)])
    a.observe({"Retry-After": formatdate(fake.now + 75, usegmt=True)}, 429)
    assert b.state().blocked_until == pytest.approx(fake.now + 75)
    assert b.acquire() == pytest.approx(75.0)


@pytest.mark.parametrize("value", ["-30", "later"])
def test_a_429_with_a_negative_or_unreadable_retry_after_blocks_for_the_default(
    url: str, fake: FakeTime, value: str
) -> None:
    pacer = make(url, fake, [(100, 60)], default_block_s=45)
    pacer.observe({"Retry-After": value}, 429)
    assert pacer.acquire() == pytest.approx(45.0)


def test_timeout_raises_and_takes_nothing(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, [(100, 60)])
    pacer.observe({"Retry-After": "50"}, 429)
    before = pacer.state()
    with pytest.raises(PacerTimeout, match="zenodo:test"):
        pacer.acquire(timeout=10)
    assert pacer.state().windows == before.windows
    assert fake.now == 1_700_000_000.0


def test_bad_limits_are_rejected_naming_the_bucket(url: str) -> None:
    with pytest.raises(ValueError, match="'b': limits"):
        Pacer(url, "b", [])
    with pytest.raises(ValueError, match="'b': limits: bad limit"):
        Pacer(url, "b", [(0, 60)])


LIMIT, WINDOW = 20, 5.0


def _hammer(url: str, start_at: float, stop_at: float, out) -> None:
    pacer = Pacer(url, "zenodo:shared", [(LIMIT, WINDOW)])
    times = []
    time.sleep(max(0.0, start_at - time.time()))
    while True:
        pacer.acquire()
        now = time.time()
        if now >= stop_at:
            break
        times.append(now)
    out.put(times)


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_eight_processes_together_stay_within_the_window(database_url: str) -> None:
    ledger = Ledger(database_url)
    ledger.migrate()
    ledger.dispose()
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    duration = 12.0  # the run touches three windows: at 0, 5 and 10 s
    start_at = time.time() + 2.0
    procs = [
        ctx.Process(target=_hammer, args=(database_url, start_at, start_at + duration, out))
        for _ in range(8)
    ]
    for p in procs:
        p.start()
    times = sorted(t for _ in procs for t in out.get(timeout=60))
    for p in procs:
        p.join(10)
    allowed = 19  # 20 less the 2% margin
    for t in times:  # no window holds more than the limit allows
        assert sum(1 for u in times if t <= u < t + WINDOW) <= allowed
    assert len(times) >= 0.95 * 3 * allowed  # and each of the three windows is used
