"""Batch statistics: what one upload batch sent, what came back, and how its specimens ended.

:class:`BatchStats` collects them while the batch runs; :func:`save_batch` writes them as one
``batch_stats`` row, :func:`load_batches` reads a run's rows back, and :func:`table4` (with its
total line, :func:`table4_total`) and :func:`table5` lay them out with pandas as the 2019
report's tables.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
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
    status and by kind (see :func:`error_kind`); ``zenodo_seconds`` adds up how long the
    workers waited for answers; the timeline keeps, per ``bin_seconds`` since the start, the
    requests sent, the errors and the specimens finished.

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
    zenodo_seconds: float = 0.0
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

    def request_done(self, status: int | None, transport: str | None = None,
                     seconds: float = 0.0) -> None:
        """Count how one request ended (a status, or a transport failure kind) and the
        ``seconds`` its worker waited for it."""
        kind = error_kind(status, transport)
        with self._lock:
            self.zenodo_seconds += seconds
            if kind is None:
                return
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
        handed = self.outcomes.get(OutcomeKind.HANDED_OVER, 0)  # counted by their new batch
        width = self.bins_used()
        return {
            "collection": self.collection, "run_id": self.run_id, "batch_id": self.batch_id,
            "started_at": datetime.fromtimestamp(self.started, UTC),
            "ended_at": datetime.fromtimestamp(ended, UTC),
            "specimens": self.specimens - handed, "concurrency": self.concurrency,
            "requests": self.requests, "bytes_sent": self.bytes_sent, "errors": self.errors,
            "zenodo_seconds": round(self.zenodo_seconds, 3),
            "errors_by_status": dict(self.errors_by_status),
            "errors_by_kind": dict(self.errors_by_kind),
            "published": ok, "failed": sum(self.outcomes.values()) - ok - quarantined - handed,
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


def paused_spans(rows: Iterable[Mapping[str, Any]]) -> list[tuple[float, float]]:
    """When a run's workers were paused, as ``(start, end)`` seconds since its first batch
    started: its batches' pauses merged (every running batch pauses when Zenodo is down, so
    their pauses overlap and their sum is not time the run lost)."""
    rows = list(rows)
    if not rows:
        return []
    start = min(r["started_at"] for r in rows)
    spans = sorted((offset + s, offset + e) for r in rows
                   for offset in [(r["started_at"] - start).total_seconds()]
                   for s, e in r.get("pauses") or ())
    merged: list[tuple[float, float]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def paused_seconds(spans: Iterable[tuple[float, float]]) -> float:
    """Return the time covered by ``spans`` (from :func:`paused_spans`)."""
    return sum(end - start for start, end in spans)


#: The 2019 report's Table 4 columns, plus records/min, MB/s, requests, breaker pauses and the
#: share of the workers' time spent waiting for Zenodo's answers.
T4_COLUMNS = ("batch", "n", "c", "t (s)", "t/n", "errors", "unsuccess", "records/min", "MB/s",
              "requests", "paused (s)", "on Zenodo (%)")
#: Transport failures without a status, listed in Table 5 beside the statuses.
TRANSPORT_KINDS = ("timeout", "reset")
#: How a run's batches sum into its total line (per column of ``batch_stats``; the paused time
#: is then replaced by the run's, see :func:`table4_total`).
_RUN_TOTAL = {"started_at": "min", "ended_at": "max", "specimens": "sum", "concurrency": "max",
              "errors": "sum", "failed": "sum", "published": "sum", "bytes_sent": "sum",
              "requests": "sum", "paused_seconds": "sum", "zenodo_seconds": "sum",
              "thread_seconds": "sum"}
_NUMBERS = {"specimens": "int64", "concurrency": "int64", "errors": "int64", "failed": "int64",
            "published": "int64", "bytes_sent": "int64", "requests": "int64",
            "paused_seconds": "float64", "zenodo_seconds": "float64"}


def _batch_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Return the columns of ``rows`` (``batch_stats`` rows) that Table 4 reads, a line each,
    and each batch's ``thread_seconds`` (its workers' time: concurrency x wall time). A row
    written before ``zenodo_seconds`` was kept has NaN there."""
    columns = ["batch_id", *_NUMBERS, "started_at", "ended_at"]
    frame = pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=columns)
    for column in ("started_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame = frame.astype(_NUMBERS)
    frame["thread_seconds"] = _seconds(frame) * frame["concurrency"]
    return frame


def _seconds(frame: pd.DataFrame) -> pd.Series:
    return (frame["ended_at"] - frame["started_at"]).dt.total_seconds().clip(lower=1e-9)


def _labels(frame: pd.DataFrame) -> pd.Series:
    """A line's batch: its id, and which try it was when the batch was tried more than once."""
    tries = frame.groupby("batch_id").cumcount() + 1
    retried = frame["batch_id"].duplicated(keep=False)
    return frame["batch_id"].where(~retried, frame["batch_id"] + " (try " + tries.astype(str) + ")")


def _table4_lines(frame: pd.DataFrame, labels: pd.Series | None = None) -> pd.DataFrame:
    """Lay out a :func:`_batch_frame` (or its summed lines) as Table 4."""
    seconds = _seconds(frame)
    n = frame["specimens"]
    table = pd.DataFrame({
        "batch": frame["batch_id"] if labels is None else labels, "n": n, "c": frame["concurrency"],
        "t (s)": seconds.round(1), "t/n": (seconds / n.where(n > 0)).round(3),
        "errors": frame["errors"], "unsuccess": frame["failed"],
        "records/min": (frame["published"] / seconds * 60).round(2),
        "MB/s": (frame["bytes_sent"] / seconds / 1e6).round(3),
        "requests": frame["requests"], "paused (s)": frame["paused_seconds"].round(1),
        "on Zenodo (%)": (100 * frame["zenodo_seconds"]
                          / frame["thread_seconds"].clip(lower=1e-9)).round(1),
    })
    return table.reset_index(drop=True)


def zenodo_wait(rows: Iterable[Mapping[str, Any]]) -> tuple[float, float]:
    """Return how long ``rows``' (``batch_stats`` rows) workers waited for Zenodo's answers and
    their whole time (concurrency x wall time), in seconds: Table 4's ``on Zenodo (%)`` is the
    one over the other. A row recorded before the wait was kept adds nothing to the wait."""
    frame = _batch_frame(rows)
    return float(frame["zenodo_seconds"].fillna(0.0).sum()), float(frame["thread_seconds"].sum())


def table4(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Return the 2019 report's Table 4, a line per batch row, plus records/min and MB/s.

    ``n`` specimens, ``c`` concurrency, ``t (s)`` wall time, ``t/n`` seconds per specimen
    (NaN for an empty batch), ``errors`` error responses, ``unsuccess`` specimens not done
    (failed, stuck, lost), ``paused (s)`` time waited on the circuit breaker, ``on Zenodo (%)``
    the share of the workers' time (``c`` x ``t``) spent waiting for Zenodo's answers (the rest
    went on the ledger, on the CPU, or idle at the batch's end). A retried batch has a line per
    try, ``<batch> (try <n>)``.
    """
    frame = _batch_frame(rows)
    return _table4_lines(frame, _labels(frame))


def table4_total(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Return Table 4's ``total`` line, as a frame of one line (of none for fewer than two batches).

    The wall time runs from the first start to the last end, ``c`` is the highest concurrency.
    A retried batch counts once in ``n``, ``unsuccess`` and ``published``, by its last try (its
    specimens are the same each try, the last one counts those an earlier try published as
    published, and what a try left undone the next one did); what every try sent and met is
    summed, and the share on Zenodo is that of all the batches' worker time. The paused time
    is the run's (:func:`paused_spans`), not the sum of the batches'.
    """
    rows = list(rows)
    frame = _batch_frame(rows)
    if len(frame) < 2:
        return _table4_lines(frame.iloc[:0])
    total = frame.groupby(lambda _: "total").agg(_RUN_TOTAL)
    last = frame.drop_duplicates("batch_id", keep="last")
    for column in ("specimens", "failed", "published"):
        total[column] = last[column].sum()
    total["paused_seconds"] = round(paused_seconds(paused_spans(rows)), 3)
    return _table4_lines(total.rename_axis("batch_id").reset_index())


def table5(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Return Table 5: errors by HTTP status over ``rows`` (status, n, %), most first.

    Transport failures without a status are listed as ``timeout`` and ``reset``; ties keep
    the order in which the statuses first occur.
    """
    rows = list(rows)
    by_status = pd.DataFrame([row["errors_by_status"] for row in rows], dtype="float64")
    by_kind = pd.DataFrame([row["errors_by_kind"] for row in rows], columns=list(TRANSPORT_KINDS),
                           dtype="float64")
    counts = pd.concat([by_status.sum(), by_kind.sum()]).astype("int64")
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    table = pd.DataFrame({"status": counts.index.astype(str), "n": counts.to_numpy()})
    table["%"] = (100 * table["n"] / table["n"].sum()).round().astype("int64")
    return table


def lookup_totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Return what the batches' unknown-outcome lookups found (``published`` …) and how often."""
    found = pd.DataFrame([row["lookup_results"] for row in rows], dtype="float64").sum()
    return {str(name): int(n) for name, n in found.items()}
