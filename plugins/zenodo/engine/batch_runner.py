"""Run one batch: drive every specimen from its ledger state to PUBLISHED on a thread pool.

``publish_specimens`` is plain Python (no Airflow). The steps of one specimen are in
:mod:`zenodo.engine.specimen_steps`; this module claims, renews and releases leases, runs the
specimens concurrently (a deferred one is driven again when its wait is over) and reports
progress and statistics.
"""

from __future__ import annotations

import heapq
import logging
import os
import queue
import socket
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zenodo.engine.outcomes import Outcome, OutcomeKind
from zenodo.engine.periodic import PeriodicThread
from zenodo.engine.published_writer import PublishedWriter
from zenodo.engine.settings import EngineSettings
from zenodo.engine.specimen_steps import SpecimenSteps
from zenodo.engine.statistics import BatchStats, save_batch
from zenodo.errors import AuthFailed
from zenodo.ledger.payloads import SpecimenPayload
from zenodo.ledger.view import LedgerView
from zenodo.repository.choose import remote_for
from zenodo.repository.remote import Remote
from zenodo.traffic.breaker import ZenodoUnavailable

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook
    from zenodo.ledger.actor import Actor
    from zenodo.ledger.ledger import Ledger

log = logging.getLogger(__name__)

#: The interpreter's thread switch interval while a batch runs (Python's default: 5 ms).
SWITCH_INTERVAL_S = 0.001
_switch_lock = threading.Lock()
_switch_users: list[float] = []  # the interval each running batch found, oldest first


@dataclass
class BatchResult:
    """What one batch did: counts per outcome and every failure with its reason.

    :param batch_id: the caller's id for the batch (mapped results can arrive out of order).
    :param outcomes: outcome kind (its string value) → number of specimens.
    :param failures: ``[(key, reason), …]`` for every specimen that did not get through.
    """

    batch_id: str
    total: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    stats: BatchStats | None = None

    def as_dict(self) -> dict[str, Any]:
        """A small JSON-able summary (for XCom and reports)."""
        return {
            "batch_id": self.batch_id,
            "total": self.total,
            "outcomes": dict(self.outcomes),
            "failures": [{"key": k, "reason": r} for k, r in self.failures],
            "seconds": round(self.seconds, 3),
        }


class Progress:
    """Log done/total, rate, ETA and errors every ``every`` specimens or ``seconds``."""

    def __init__(self, total: int, *, every: int = 50, seconds: float = 30.0,
                 stats: BatchStats | None = None) -> None:
        self.total = total
        self.stats = stats
        self.every = every
        self.seconds = seconds
        self.done = 0
        self.errors = 0
        self.started = time.monotonic()
        self._last_log = self.started
        self._lock = threading.Lock()

    def step(self, outcome: OutcomeKind) -> None:
        """Count one finished specimen (its ``outcome`` in the stats) and log when it is time to."""
        if self.stats is not None:
            self.stats.finished(outcome.value)
        with self._lock:
            self.done += 1
            self.errors += 0 if outcome.ok else 1
            now = time.monotonic()
            due = self.done % self.every == 0 or now - self._last_log >= self.seconds
            if due or self.done == self.total:
                self._last_log = now
                elapsed = max(now - self.started, 1e-9)
                rate = self.done / elapsed
                eta = (self.total - self.done) / rate if rate else float("inf")
                log.info(
                    "progress %d/%d specimens, %.1f/min, ETA %.0fs, errors %d",
                    self.done,
                    self.total,
                    rate * 60,
                    eta,
                    self.errors,
                )


class LeaseKeeper(PeriodicThread):
    """Renew the leases of the specimens a run is working on, from a background thread.

    A short lease (so a killed worker's specimens are taken over soon) then never runs out
    under a live worker, however long one step (a multi-GB file) takes.

    :param ledger: the collection's ledger, bound to this run's lease owner.
    :param lease_seconds: the lease length; renewed every third of it.
    """

    failure = "could not renew the leases; trying again"

    def __init__(self, ledger: LedgerView, lease_seconds: float) -> None:
        super().__init__(lease_seconds / 3, "lease-keeper")
        self._ledger = ledger
        self._ttl = lease_seconds
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def hold(self, key: str) -> None:
        """Start renewing ``key``."""
        with self._lock:
            self._held.add(key)

    def drop(self, key: str) -> None:
        """Stop renewing ``key``."""
        with self._lock:
            self._held.discard(key)

    def tick(self) -> None:
        """Renew every held lease in one statement."""
        with self._lock:
            keys = sorted(self._held)
        if keys:
            self._ledger.renew(keys, ttl_s=self._ttl)


def default_owner() -> str:
    """A lease owner id unique to this process and call: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def publish_specimens(
    collection: str,
    keys: Iterable[str],
    *,
    hook: ZenodoHook,
    ledger: Ledger,
    payload_for: Callable[[str], SpecimenPayload],
    settings: EngineSettings | None = None,
    batch_id: str = "batch",
    owner: str | None = None,
    actor: Actor = None,
) -> BatchResult:
    """Drive every specimen in ``keys`` to PUBLISHED (or to an uploaded draft) exactly once.

    :param collection: the collection id (the ledger's namespace).
    :param keys: the specimens of this batch.
    :param hook: the Zenodo hook (its pacers pace every request).
    :param ledger: where each step's outcome is written before the next step starts.
    :param payload_for: key → metadata and files to send.
    :param settings: how to run the batch (default: the :class:`EngineSettings` defaults).
    :param batch_id: echoed in the result.
    :param owner: lease owner (default: host, pid and a random part).
    :param actor: who acts, written with every ledger event (dag run, task, map index).
    :raises AuthFailed: the token is wrong: nothing in the batch can succeed.
    :raises ZenodoUnavailable: the hook's circuit breaker stayed open past its limit; every
        specimen keeps its ledger state, so a retry continues where this one stopped.
    """
    settings = settings or EngineSettings()
    keys = list(dict.fromkeys(keys))
    result = BatchResult(batch_id=batch_id, total=len(keys))
    run_id = actor.get("run_id") if isinstance(actor, Mapping) else None
    stats = result.stats = BatchStats(collection, batch_id, len(keys), settings.workers,
                                      run_id=run_id)
    progress = Progress(len(keys), every=settings.progress_every, stats=stats)
    started = time.monotonic()
    hook.watch.add(stats)
    try:
        remote = remote_for(hook, community=settings.community)
        view = LedgerView(ledger, collection, owner or default_owner(), actor or {})
        final = _drive_all(view, keys, remote=remote, payload_for=payload_for,
                           thread_setup=hook.leave_retries_to_caller, settings=settings,
                           progress=progress)
        for key in keys:
            outcome = final[key]
            result.outcomes[outcome.kind.value] += 1
            if not outcome.ok:
                result.failures.append((key, outcome.reason))
                log.warning("specimen %s: %s: %s", key, outcome.kind.value, outcome.reason)
        stats.outcomes = Counter(result.outcomes)
    finally:
        hook.watch.remove(stats)
        stats.close()
        if settings.record_stats:
            try:
                save_batch(ledger, stats)
            except Exception:
                log.exception("batch %s: could not save its statistics", batch_id)
    result.seconds = time.monotonic() - started
    return result


def _drive_all(
    ledger: LedgerView, keys: list[str], *, remote: Remote,
    payload_for: Callable[[str], SpecimenPayload], thread_setup: Callable[[], None],
    settings: EngineSettings, progress: Progress,
) -> dict[str, Outcome]:
    """Drive ``keys`` on a thread pool, then again those another worker held, for up to
    ``settings.busy_seconds`` after the first pass (a long batch still waits for the leases
    of a killed try to expire).

    ``thread_setup`` runs on each pool thread first: the hook leaves retries to the engine,
    which defers a specimen after a transient failure instead of sleeping on the thread.
    """
    with LeaseKeeper(ledger, settings.lease_seconds) as keeper, \
            PublishedWriter(ledger) as published:
        steps = SpecimenSteps(ledger, remote, settings, keeper=keeper, stats=progress.stats,
                              published=published)
        final: dict[str, Outcome] = {}
        pending = keys
        deadline: float | None = None
        with _quick_thread_switches(), ThreadPoolExecutor(
                settings.workers, thread_name_prefix="zenodo", initializer=thread_setup) as pool:
            while pending:
                final.update(_run_pass(pool, steps, pending, payload_for, progress,
                                       settings.workers))
                pending = [k for k in pending if final[k].kind is OutcomeKind.BUSY]
                if deadline is None:
                    deadline = time.monotonic() + settings.busy_seconds
                if not pending or time.monotonic() >= deadline:
                    break
                log.info("%d specimens held by another worker; waiting", len(pending))
                time.sleep(1.0)
    return final


def _run_pass(
    pool: ThreadPoolExecutor,
    steps: SpecimenSteps,
    keys: list[str],
    payload_for: Callable[[str], SpecimenPayload],
    progress: Progress,
    workers: int,
) -> dict[str, Outcome]:
    """Drive ``keys`` once on the pool; an auth failure or a long outage stops the batch.

    At most ``workers`` specimens are in the pool at once, so a deferred specimen (its
    lookup waits for the search index) is driven again as soon as its wait is over, ahead of
    the specimens not started yet; meanwhile its thread serves them.
    """
    waiting = deque(keys)
    later: list[tuple[float, str]] = []  # (when due, key), a heap
    running: dict[Future[Outcome], str] = {}
    finished: queue.SimpleQueue[Future[Outcome]] = queue.SimpleQueue()
    outcomes: dict[str, Outcome] = {}
    try:
        while waiting or later or running:
            now = time.monotonic()
            while len(running) < workers and (waiting or (later and later[0][0] <= now)):
                key = heapq.heappop(later)[1] if later and later[0][0] <= now else waiting.popleft()
                future = pool.submit(steps.drive, key, payload_for)
                running[future] = key
                future.add_done_callback(finished.put)
            # With every worker busy only a finished specimen frees a place: a due deferred
            # specimen must wait for it too (a zero timeout here would spin on the GIL).
            full = len(running) >= workers
            pause = max(0.0, later[0][0] - now) if later and not full else None
            if not running:
                time.sleep(pause or 0.0)
                continue
            for future in _finished(finished, pause):
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
        raise
    return outcomes


def _finished(finished: queue.SimpleQueue[Future[Outcome]],
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


@contextmanager
def _quick_thread_switches() -> Iterator[None]:
    """Let threads take turns every :data:`SWITCH_INTERVAL_S` while batches run, then restore.

    The engine's threads queue for the ledger's write lock (SQLite has one writer). The thread
    holding it gives the GIL up in every database call and must get it back to go on; at the
    default 5 ms interval it may wait that long each time while the others run, and the whole
    pool ends up queued on the lock (measured: a third of the batch's time).
    """
    with _switch_lock:
        _switch_users.append(sys.getswitchinterval())
        sys.setswitchinterval(min(SWITCH_INTERVAL_S, _switch_users[0]))
    try:
        yield
    finally:
        with _switch_lock:
            found = _switch_users.pop()
            if not _switch_users:  # the last batch out: ``found`` is what the first one found
                sys.setswitchinterval(found)
