"""Run one batch: drive every specimen from its ledger state to PUBLISHED on a thread pool.

``publish_specimens`` is plain Python (no Airflow). The steps of one specimen are in
:mod:`zenodo.engine.specimen_steps`, the pass that hands them to the threads in
:mod:`zenodo.engine.dispatch`; this module renews and releases leases, runs the passes and
reports progress and statistics.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zenodo.engine.dispatch import HandOver, run_pass
from zenodo.engine.outcomes import Outcome, OutcomeKind
from zenodo.engine.periodic import PeriodicThread
from zenodo.engine.progress import Progress
from zenodo.engine.published_writer import PublishedWriter
from zenodo.engine.settings import EngineSettings
from zenodo.engine.specimen_steps import SpecimenSteps
from zenodo.engine.statistics import BatchStats, save_batch
from zenodo.ledger.payloads import SpecimenPayload
from zenodo.ledger.view import LedgerView
from zenodo.repository.choose import remote_for
from zenodo.repository.remote import Remote

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
    hand_over: HandOver | None = None,
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
    :param hand_over: moves the specimens the batch would end waiting for (lookups, retry
        waits) to a batch of the run not taken up yet (see :mod:`zenodo.engine.dispatch`).
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
                           progress=progress, hand_over=hand_over)
        for key in keys:
            outcome = final[key]
            result.outcomes[outcome.kind.value] += 1
            if outcome.kind.unsuccessful:
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
    settings: EngineSettings, progress: Progress, hand_over: HandOver | None = None,
) -> dict[str, Outcome]:
    """Drive ``keys`` on a thread pool, then again those another worker held, for up to
    ``settings.busy_seconds`` after the first pass (a long batch still waits for the leases
    of a killed try to expire).

    ``thread_setup`` runs on each pool thread first: the hook leaves retries to the engine,
    which defers a specimen after a transient failure instead of sleeping on the thread.
    """
    with LeaseKeeper(ledger, settings.lease_seconds) as keeper, \
            PublishedWriter(ledger) as published, \
            ThreadPoolExecutor(settings.workers, thread_name_prefix="zenodo-ledger") as aside:
        steps = SpecimenSteps(ledger, remote, settings, keeper=keeper, stats=progress.stats,
                              published=published, aside=aside)
        final: dict[str, Outcome] = {}
        pending = keys
        deadline: float | None = None
        with _quick_thread_switches(), ThreadPoolExecutor(
                settings.workers, thread_name_prefix="zenodo", initializer=thread_setup) as pool:
            while pending:
                final.update(run_pass(pool, steps, pending, payload_for, progress,
                                      settings.workers, hand_over))
                pending = [k for k in pending if final[k].kind is OutcomeKind.BUSY]
                if deadline is None:
                    deadline = time.monotonic() + settings.busy_seconds
                if not pending or time.monotonic() >= deadline:
                    break
                log.info("%d specimens held by another worker; waiting", len(pending))
                time.sleep(1.0)
    return final


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
