"""Hand a batch's specimens to its worker threads, one pass over the batch.

A deferred specimen (waiting for the search index, or before a retry) is driven again as
soon as its wait is over, ahead of those not started yet. The next specimens are claimed
ahead, off the worker threads. When only deferred specimens are left and none is due soon,
the batch may hand them to a batch of the run not taken up yet, instead of holding its
task (and its slot) while they wait.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from zenodo.engine.outcomes import Outcome, OutcomeKind
from zenodo.engine.progress import Progress
from zenodo.engine.specimen_steps import Claim, SpecimenSteps
from zenodo.errors import AuthFailed
from zenodo.ledger.payloads import SpecimenPayload
from zenodo.traffic.breaker import ZenodoUnavailable

log = logging.getLogger(__name__)

#: Waiting specimens claimed ahead of the worker threads (a claim is one ledger write).
CLAIM_AHEAD = 2
#: Hand the deferred specimens over only when the first of them is due this far ahead.
HAND_OVER_AFTER_S = 2.0

#: Moves keys to a batch of the run not taken up yet; returns its id (None: there is none).
HandOver = Callable[[list[str]], "str | None"]


def run_pass(
    pool: ThreadPoolExecutor,
    steps: SpecimenSteps,
    keys: list[str],
    payload_for: Callable[[str], SpecimenPayload],
    progress: Progress,
    workers: int,
    hand_over: HandOver | None = None,
) -> dict[str, Outcome]:
    """Drive ``keys`` once on the pool; an auth failure or a long outage stops the batch.

    At most ``workers`` specimens are in the pool at once, so a deferred specimen is driven
    again as soon as its wait is over; meanwhile its thread serves the others.
    """
    waiting = deque(keys)
    later: list[tuple[float, str]] = []  # (when due, key), a heap
    running: dict[Future[Outcome], str] = {}
    finished: queue.SimpleQueue[Future[Outcome]] = queue.SimpleQueue()
    outcomes: dict[str, Outcome] = {}
    claims: dict[str, Future[Claim]] = {}  # the next waiting keys, claimed aside
    try:
        _claim_ahead(steps, waiting, claims)
        while waiting or later or running:
            now = time.monotonic()
            while len(running) < workers and (waiting or (later and later[0][0] <= now)):
                key = heapq.heappop(later)[1] if later and later[0][0] <= now else waiting.popleft()
                future = pool.submit(steps.drive, key, payload_for, claims.pop(key, None))
                running[future] = key
                future.add_done_callback(finished.put)
            _claim_ahead(steps, waiting, claims)
            if (hand_over is not None and later and not waiting and not running
                    and later[0][0] - now >= HAND_OVER_AFTER_S):
                left = [key for _due, key in later]
                taker = _hand_over(steps, left, hand_over)
                if taker is not None:
                    moved = Outcome(OutcomeKind.HANDED_OVER,
                                    f"waiting: handed to batch {taker} of this run")
                    for key in left:
                        outcomes[key] = moved
                        progress.step(OutcomeKind.HANDED_OVER)
                    later.clear()
                    continue
                hand_over = None  # every batch is taken up: wait here from now on
            # With every worker busy only a finished specimen frees a place: a due deferred
            # specimen must wait for it too (a zero timeout here would spin on the GIL).
            full = len(running) >= workers
            pause = max(0.0, later[0][0] - now) if later and not full else None
            if not running:
                time.sleep(pause or 0.0)
                continue
            for future in finished_futures(finished, pause):
                key = running.pop(future)
                outcome = future.result()
                if outcome.kind is OutcomeKind.DEFERRED:
                    heapq.heappush(later, (time.monotonic() + outcome.after, key))
                    continue
                outcomes[key] = outcome
                if outcome.kind is not OutcomeKind.BUSY:
                    progress.step(outcome.kind)
    except (AuthFailed, ZenodoUnavailable):
        for future in running:
            future.cancel()
        for _due, key in later:
            steps.let_go(key)
        for key, claim in claims.items():
            try:
                steps.unclaim(key, claim.result())
            except Exception:  # left UNKNOWN with its create pending: the next run looks it up
                log.exception("specimen %s: could not give its claim back", key)
        raise
    return outcomes


def _claim_ahead(steps: SpecimenSteps, waiting: deque[str],
                 claims: dict[str, Future[Claim]]) -> None:
    """Claim the next :data:`CLAIM_AHEAD` waiting specimens aside, so that a worker thread
    set free finds its next specimen leased (and its create intent committed) already."""
    if steps.aside is None:
        return
    for key in itertools.islice(waiting, CLAIM_AHEAD):
        if key not in claims:
            claims[key] = steps.aside.submit(steps.claim, key)


def _hand_over(steps: SpecimenSteps, keys: list[str],
               hand_over: HandOver) -> str | None:
    """Move the deferred ``keys`` to a batch not taken up yet and give their leases up;
    return that batch's id, or None (nothing moved: the batch waits for them itself)."""
    try:
        taker = hand_over(keys)
    except Exception:
        log.exception("could not hand %d waiting specimens over; waiting for them", len(keys))
        return None
    if taker is None:
        return None
    for key in keys:
        steps.let_go(key)
    log.info("%d specimens waiting for a lookup or a retry handed to batch %s: %s",
             len(keys), taker, ", ".join(keys))
    return taker


def finished_futures(finished: queue.SimpleQueue[Future[Outcome]],
                     timeout: float | None) -> list[Future[Outcome]]:
    """The specimens' futures done so far, after waiting up to ``timeout`` for the first.

    A queue their callbacks feed costs the same whatever the pool's size; waiting on the
    running futures themselves registers a waiter on each of them every time (measured: 5 %
    of an upload task's CPU at 8 threads).
    """
    try:
        done = [finished.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            done.append(finished.get_nowait())
        except queue.Empty:
            return done
