"""Batch statistics: what one upload batch sent, what came back, and how its specimens ended.

:class:`BatchStats` collects them while the batch runs; :func:`save_batch` writes them as one
``batch_stats`` row, :func:`load_batches` reads a run's rows back, and :func:`table4` and
:func:`table5` lay them out as the 2019 report's tables.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zenodo.engine.outcomes import OutcomeKind
from zenodo.store.tables import BatchStat

if TYPE_CHECKING:
    from zenodo.ledger.ledger import Ledger

_S = BatchStat.__table__
TIMELINE_SERIES = ("requests", "errors", "done")


def error_kind(status: int | None, transport: str | None = None) -> str | None:
    """Return the error kind of one request (None when it succeeded).

    :param status: the HTTP status, when an answer came.
    :param transport: ``timeout`` or ``reset`` when no (complete) answer came.
    """
    if transport:
        return transport
    if status is None or status < 400:
        return None
    if status == 429:
        return "429"
    return "5xx" if status >= 500 else "4xx"


@dataclass
class BatchStats:
    """Collect one batch's numbers while its worker threads run.

    The hook reports every request (sent, answered with a status, or failed in transport);
    the engine reports lookups of unknown outcomes, breaker pauses and each specimen's
    outcome. Errors (every status of 400 or more, every transport failure) are counted by
    status and by kind (see :func:`error_kind`); the timeline keeps, per ``bin_seconds`` since
    the start, the requests sent, the errors and the specimens finished.

    :param collection: the ledger namespace.
    :param batch_id: the batch's id.
    :param specimens: how many specimens the batch holds.
    :param concurrency: worker threads.
    :param run_id: the Airflow run (None outside Airflow).
    :param bin_seconds: width of one timeline bin.
    """

    collection: str
    batch_id: str
    specimens: int
    concurrency: int
    run_id: str | None = None
    bin_seconds: float = 5.0
    started: float = field(default_factory=time.time)
    ended: float | None = None
    requests: int = 0
    bytes_sent: int = 0
    errors_by_status: Counter[str] = field(default_factory=Counter)
    errors_by_kind: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    lookup_results: Counter[str] = field(default_factory=Counter)
    pauses: list[list[float]] = field(default_factory=list)
    bins: dict[str, Counter[int]] = field(
        default_factory=lambda: {name: Counter() for name in TIMELINE_SERIES}
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- what the hook reports (see ZenodoHook.add_observer) --

    def request_sent(self, method: str, operation: str, nbytes: int) -> None:
        """Count one request about to go out with ``nbytes`` of body."""
        with self._lock:
            self.requests += 1
            self.bytes_sent += nbytes
            self._tick("requests")

    def request_done(self, status: int | None, transport: str | None = None) -> None:
        """Count how one request ended: a status, or a transport failure kind."""
        kind = error_kind(status, transport)
        if kind is None:
            return
        with self._lock:
            self.errors_by_kind[kind] += 1
            if status is not None and not transport:
                self.errors_by_status[str(status)] += 1
            self._tick("errors")

    def paused(self, started: float, ended: float) -> None:
        """Record that a worker waited on the open circuit breaker from ``started`` to ``ended``."""
        with self._lock:
            for span in self.pauses:
                if started <= span[1] and ended >= span[0]:
                    span[0], span[1] = min(span[0], started), max(span[1], ended)
                    return
            self.pauses.append([started, ended])

    # -- what the engine reports --

    def lookup(self, found: str) -> None:
        """Count one unknown-outcome lookup and what it found (``published``, ``draft`` …)."""
        with self._lock:
            self.lookup_results[found] += 1

    def finished(self, outcome: str) -> None:
        """Count one specimen's final outcome."""
        with self._lock:
            self.outcomes[outcome] += 1
            self._tick("done")

    def close(self) -> None:
        """Mark the end of the batch."""
        self.ended = time.time()

    def _tick(self, series: str) -> None:
        self.bins[series][int((time.time() - self.started) // self.bin_seconds)] += 1

    # -- derived numbers --

    @property
    def errors(self) -> int:
        """Return every error response and transport failure."""
        return sum(self.errors_by_kind.values())

    def as_row(self) -> dict[str, Any]:
        """Return the values of this batch's ``batch_stats`` row."""
        ended = self.ended if self.ended is not None else time.time()
        ok = sum(n for name, n in self.outcomes.items() if OutcomeKind(name).ok)
        quarantined = self.outcomes.get(OutcomeKind.QUARANTINED, 0)
        width = self.bins_used()
        return {
            "collection": self.collection, "run_id": self.run_id, "batch_id": self.batch_id,
            "started_at": datetime.fromtimestamp(self.started, UTC),
            "ended_at": datetime.fromtimestamp(ended, UTC),
            "specimens": self.specimens, "concurrency": self.concurrency,
            "requests": self.requests, "bytes_sent": self.bytes_sent, "errors": self.errors,
            "errors_by_status": dict(self.errors_by_status),
            "errors_by_kind": dict(self.errors_by_kind),
            "published": ok, "failed": sum(self.outcomes.values()) - ok - quarantined,
            "quarantined": quarantined, "outcomes": dict(self.outcomes),
            "lookups": sum(self.lookup_results.values()),
            "lookup_results": dict(self.lookup_results),
            "paused_seconds": round(sum(e - s for s, e in self.pauses), 3),
            "pauses": [[round(s - self.started, 3), round(e - self.started, 3)]
                       for s, e in self.pauses],
            "timeline": {"bin_seconds": self.bin_seconds, **{
                name: [self.bins[name].get(i, 0) for i in range(width)]
                for name in TIMELINE_SERIES}},
        }

    def bins_used(self) -> int:
        """Return how many timeline bins the batch spans so far."""
        used = [max(c) + 1 for c in self.bins.values() if c]
        return max(used, default=0)


def save_batch(ledger: Ledger, stats: BatchStats) -> int:
    """Write ``stats`` as a new ``batch_stats`` row; return its id."""
    with ledger.engine.begin() as conn:
        result = conn.execute(sa.insert(_S).values(**stats.as_row()))
        return int(result.inserted_primary_key[0])


def load_batches(ledger: Ledger, collection: str, run_id: str | None = None,
                 *, limit: int | None = None) -> list[dict[str, Any]]:
    """Return a collection's batch rows (one run's, or the newest ``limit``), oldest first."""
    query = sa.select(_S).where(_S.c.collection == collection)
    if run_id is not None:
        query = query.where(_S.c.run_id == run_id)
    query = query.order_by(_S.c.id.desc()).limit(limit)
    with ledger.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    return rows[::-1]


def table4(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the 2019 report's Table 4 columns per batch, plus records/min and MB/s.

    ``n`` specimens, ``c`` concurrency, ``t (s)`` wall time, ``t/n`` seconds per specimen,
    ``errors`` error responses, ``unsuccess`` specimens not done (failed, stuck, lost),
    ``paused (s)`` time waited on the circuit breaker.
    """
    table = []
    for row in rows:
        seconds = max((row["ended_at"] - row["started_at"]).total_seconds(), 1e-9)
        n = row["specimens"]
        table.append({
            "batch": row["batch_id"], "n": n, "c": row["concurrency"],
            "t (s)": round(seconds, 1), "t/n": round(seconds / n, 3) if n else None,
            "errors": row["errors"], "unsuccess": row["failed"],
            "records/min": round(row["published"] / seconds * 60, 2),
            "MB/s": round(row["bytes_sent"] / seconds / 1e6, 3),
            "requests": row["requests"], "paused (s)": round(row["paused_seconds"], 1),
        })
    return table


def table5(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return errors by HTTP status over ``rows`` (Table 5: status, n, %), most first.

    Transport failures without a status are listed as ``timeout`` and ``reset``.
    """
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(row["errors_by_status"])
        for kind in ("timeout", "reset"):
            counts[kind] += row["errors_by_kind"].get(kind, 0)
    total = sum(counts.values())
    return [{"status": status, "n": n, "%": round(100 * n / total) if total else 0}
            for status, n in counts.most_common() if n]
