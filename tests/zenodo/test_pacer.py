"""The shared pacer: GCRA spacing, server corrections, and the rate across real processes."""

from __future__ import annotations

import itertools
import multiprocessing
import time

import pytest

from zenodo.ledger import Ledger
from zenodo.pacer import ZENODO_AUTHENTICATED, Pacer, PacerTimeout


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


def test_requests_are_spaced_at_the_limits_rate(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, [(60, 60)], margin=0.0)
    assert send_times(pacer, fake, 5) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_margin_slows_the_pace_slightly(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, [(100, 60)], margin=0.2)
    assert send_times(pacer, fake, 3) == [0.0, 0.75, 1.5]


def test_burst_lets_a_few_go_back_to_back_then_paces(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, [(60, 60)], margin=0.0, burst=3)
    assert send_times(pacer, fake, 5) == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_the_binding_window_sets_the_pace(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, ZENODO_AUTHENTICATED, margin=0.0)
    times = send_times(pacer, fake, 4)
    assert times == [0.0, 0.72, 1.44, 2.16]  # 5000/h binds, not 100/min


def test_two_pacers_on_one_bucket_share_its_budget(url: str, fake: FakeTime) -> None:
    a = make(url, fake, [(60, 60)], margin=0.0)
    b = make(url, fake, [(60, 60)], margin=0.0)
    start, times = fake.now, []
    for pacer in (a, b, a, b):
        pacer.acquire()
        times.append(fake.now - start)
    assert times == [0.0, 1.0, 2.0, 3.0]


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
    assert send_times(pacer, fake, 2) == [20.0, 20.6]


def test_a_positive_remaining_is_not_spent_down_as_a_budget(url: str, fake: FakeTime) -> None:
    # Zenodo's window moves: its reset frees the oldest slot, not the whole window, so a
    # small "remaining" must not stall every worker until the reset (only 0 does).
    pacer = make(url, fake, [(100, 60)], margin=0.0)
    reset = str(fake.now + 30)
    pacer.observe({"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": reset}, 200)
    pacer.observe({"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": reset}, 200)
    assert pacer.state().server_remaining == 5, "the latest answer wins"
    assert send_times(pacer, fake, 3) == [0.0, 0.6, 1.2]


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


def test_timeout_raises_and_takes_nothing(url: str, fake: FakeTime) -> None:
    pacer = make(url, fake, [(100, 60)])
    pacer.observe({"Retry-After": "50"}, 429)
    before = pacer.state()
    with pytest.raises(PacerTimeout, match="zenodo:test"):
        pacer.acquire(timeout=10)
    assert pacer.state().tats == before.tats
    assert fake.now == 1_700_000_000.0


def test_bad_limits_are_rejected_naming_the_bucket(url: str) -> None:
    with pytest.raises(ValueError, match="'b': limits"):
        Pacer(url, "b", [])
    with pytest.raises(ValueError, match="'b': limits: bad limit"):
        Pacer(url, "b", [(0, 60)])


def _hammer(url: str, start_at: float, stop_at: float, out) -> None:
    pacer = Pacer(url, "zenodo:shared", [(120, 60)])
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
def test_eight_processes_together_stay_at_the_limit(database_url: str) -> None:
    ledger = Ledger(database_url)
    ledger.migrate()
    ledger.dispose()
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    duration = 15.0
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
    rate = 120 / 60
    assert len(times) <= duration * rate + 1  # never above the limit
    assert len(times) >= 0.95 * duration * rate  # and close to it
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) > 0.5 / rate  # paced, not bursting
    for t in times:  # no 5 s window holds more than its share (+1 for jitter at the edges)
        assert sum(1 for u in times if t <= u < t + 5) <= 5 * rate + 1
