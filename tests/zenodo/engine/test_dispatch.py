"""The pass that hands a batch's specimens to its threads, driven with stand-in steps: what
it drives when, what it waits for, and when it hands the waiting ones over (the real steps
are in the batch and operator tests, against the sandbox)."""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from zenodo.engine import dispatch
from zenodo.engine.outcomes import Outcome, OutcomeKind
from zenodo.engine.progress import Progress


class Steps:
    """Stand-in steps: ``plan`` gives each key's outcomes, one per drive, in order."""

    aside = None  # no claims ahead

    def __init__(self, plan: dict[str, list[Outcome]], busy: dict[str, float] | None = None):
        self.plan = plan
        self.busy = busy or {}
        self.driven: list[str] = []
        self.let_go_keys: list[str] = []

    def drive(self, key: str, _payload_for: object, _claimed: object) -> Outcome:
        self.driven.append(key)
        time.sleep(self.busy.get(key, 0.0))
        return self.plan[key].pop(0)

    def let_go(self, key: str) -> None:
        self.let_go_keys.append(key)


def run(steps: Steps, keys: list[str], workers: int = 1, hand_over: Any = None,
        ) -> dict[str, str]:
    with ThreadPoolExecutor(workers) as pool:
        outcomes = dispatch.run_pass(pool, steps, keys, lambda key: None,  # type: ignore[arg-type]
                                     Progress(len(keys)), workers, hand_over)
    return {key: outcome.kind.value for key, outcome in outcomes.items()}


def test_a_due_specimen_waits_for_a_busy_pool_without_spinning() -> None:
    # ``a`` is deferred for 0.05 s; ``b`` then holds the only worker for 0.5 s. The loop must
    # sleep until ``b`` ends, not poll for a place.
    steps = Steps({"a": [Outcome(OutcomeKind.DEFERRED, after=0.05), Outcome(OutcomeKind.PUBLISHED)],
                   "b": [Outcome(OutcomeKind.PUBLISHED)]}, busy={"b": 0.5})
    cpu, wall = time.thread_time(), time.monotonic()
    outcomes = run(steps, ["a", "b"])
    cpu, wall = time.thread_time() - cpu, time.monotonic() - wall
    assert outcomes == {"a": "published", "b": "published"}
    assert steps.driven == ["a", "b", "a"] and wall >= 0.5
    assert cpu < 0.1, f"the loop spent {cpu:.2f} s of CPU in {wall:.2f} s waiting for the pool"


def test_specimens_left_waiting_long_are_handed_over_once_nothing_else_runs() -> None:
    handed: list[list[str]] = []
    steps = Steps({"a": [Outcome(OutcomeKind.DEFERRED, after=5.0)],
                   "b": [Outcome(OutcomeKind.DEFERRED, after=8.0)],
                   "c": [Outcome(OutcomeKind.PUBLISHED)]}, busy={"c": 0.3})
    started = time.monotonic()
    outcomes = run(steps, ["a", "b", "c"], workers=2,
                   hand_over=lambda keys: handed.append(keys) or "b0007")
    assert time.monotonic() - started < 2.0
    assert outcomes == {"a": "handed_over", "b": "handed_over", "c": "published"}
    assert handed == [["a", "b"]], "once, when c had ended"
    assert sorted(steps.let_go_keys) == ["a", "b"], "their leases given up"


def test_a_wait_due_soon_is_waited_for_and_so_is_every_wait_once_no_batch_is_free() -> None:
    asked: list[list[str]] = []
    steps = Steps({
        "a": [Outcome(OutcomeKind.DEFERRED, after=0.3), Outcome(OutcomeKind.DEFERRED, after=2.2),
              Outcome(OutcomeKind.DEFERRED, after=2.2), Outcome(OutcomeKind.PUBLISHED)]})
    outcomes = run(steps, ["a"], hand_over=lambda keys: asked.append(keys))  # returns None
    assert outcomes == {"a": "published"}
    assert asked == [["a"]], "not for the 0.3 s wait; asked once, then the batch waits"
    assert steps.let_go_keys == []


def test_the_pass_takes_every_finished_specimen_at_once_and_waits_no_longer_than_asked(
) -> None:
    finished: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
    started = time.monotonic()
    assert dispatch.finished_futures(finished, 0.2) == []
    assert 0.2 <= time.monotonic() - started < 2.0

    release = threading.Event()
    with ThreadPoolExecutor(3) as pool:
        quick = [pool.submit(lambda n=n: n) for n in range(2)]
        slow = pool.submit(release.wait, 10)
        for future in (*quick, slow):
            future.add_done_callback(finished.put)
        for future in quick:
            future.result(5)
        assert set(dispatch.finished_futures(finished, None)) == set(quick)
        assert dispatch.finished_futures(finished, 0.05) == [], "the running one is not done"
        release.set()
        assert dispatch.finished_futures(finished, 5) == [slow]
