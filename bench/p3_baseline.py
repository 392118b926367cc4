"""P3: our engine against the seed-style baseline: same concurrency, latency and faults.

Ours runs as the DAG runs it (4 mapped-task processes x 4 threads), the baseline as the
pilot's uploader (16 threads): 16 requests in flight each. Every run gets a fresh sandbox with
the same seeded faults: 100 ms latency, 5 % 5xx on every kind, 2 % commit-then-fail on create
and publish, 1 % resets mid-upload. Two conditions:

- **Latency and faults** (scored, the condition the issue names: same concurrency, latency
  and faults): both clients are bound by latency at three requests a record. Ours frees the
  thread during every wait (a retry after a 5xx, a lookup after a lost answer) where the
  baseline sleeps on it and starts the record again from the create. Where the faults fall
  moves one run by up to a sixth either way (the baseline took 14 to 19 s in repeated runs on
  the 2-core machine, ours 9.5 to 11.2 s), so each client runs :data:`REPEATS` times,
  alternately, and the row compares their medians.
- **Zenodo's per-token limit** (context): Zenodo's 100 requests a minute with time scaled
  six-fold, 100 per 10 s (moving window; a refused request is not counted, as on Zenodo), so
  the run spans many windows as a collection's upload does. Ours takes its requests from the
  shared pacer, which counts the window as the server does; the baseline has no pacer, so it
  meets 429s, and each one costs it the record's attempt. Both clients are then bound by the
  limit, not by their own speed: no client within the limit can publish more than the rate
  bound, so whenever the baseline reaches two thirds of it (it ranged from 0.55 to 0.72) no
  client could be 1.5 times as fast. The note gives ours as a share of the rate bound and
  that ceiling.

Each client finishes the job as its operator would: ours runs again over what the ledger says
is not published (the next scheduled run); the baseline's operator submits again what its log
says failed, until the log shows no failure (at most :data:`PASSES` runs each). Throughput is
specimens published (at least once, counted on the sandbox) per minute of the clients' wall
time. Duplicates are counted on the sandbox by specimen key.
"""

from __future__ import annotations

import os
import pathlib
import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench.baseline_uploader import BaselineUploader, Upload
from bench.census import Census, take_census
from bench.common import (
    COLLECTION,
    REQUESTS_PER_RECORD,
    Row,
    Sizes,
    at_least,
    at_most,
    for_context,
    new_ledger,
    register_specimens,
    start_sandbox,
    use_connection,
)
from bench.engine_worker import WorkerGroup, WorkerSpec
from zenodo.engine.settings import EngineSettings
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore
from zenodo.ledger.states import State

CONN_ID = "zenodo_bench_p3"
CONCURRENCY = 16
#: Our run's processes (mapped tasks); the baseline runs CONCURRENCY threads in one process.
PROCESSES = 4
#: Runs per client at most: the first, then again for what is left (ours: not published in
#: the ledger; the baseline: logged as failed), as an operator finishes a collection.
PASSES = 5
#: Zenodo's 100 requests a minute for a token, time scaled six-fold: (requests, seconds).
LIMIT = (100, 10.0)
LIMIT_PER_MIN = LIMIT[0] * 60 / LIMIT[1]
#: Runs of each client under latency and faults; the scored row compares their medians.
REPEATS = 5
#: The sandbox here indexes deposits at once (no search lag), so one search after a short wait
#: settles a lost create; against Zenodo the engine's default waits (1, 3, 6 s) cover its lag.
LOOKUP_WAITS = (0.5,)
LATENCY_S = 0.1
_WRITE_FAULTS = {"latency": LATENCY_S, "error_rate": 0.05, "commit_then_fail": 0.02,
                 "commit_fail_mode": "mixed"}
FAULTS: dict[str, Any] = {
    "seed": 2019,
    "kinds": {
        "*": {"latency": LATENCY_S, "error_rate": 0.05},
        "create": _WRITE_FAULTS,
        "publish": _WRITE_FAULTS,
        "file_put": {"latency": LATENCY_S, "error_rate": 0.05, "reset_upload": 0.01},
    },
}


@dataclass(frozen=True)
class Outcome:
    """One client's run under one condition, as the sandbox saw it."""

    seconds: float
    passes: int
    census: Census
    requests: int
    limited: int  # answers 429
    faults: int  # faults the sandbox injected

    @property
    def per_minute(self) -> float:
        """Specimens published (at least once) per minute of wall time."""
        return self.census.published / (self.seconds / 60)

    def describe(self) -> str:
        """The outcome in a few words for the table's notes."""
        return (f"{self.census.published}/{self.census.total} in {self.seconds:.1f} s, "
                f"{self.passes} pass(es), {self.requests} requests ({self.limited} x 429), "
                f"{self.faults} faults injected")


def run_ours(ledger: Ledger, keys: list[str], conn: str,
             limit: tuple[int, float] | None) -> tuple[float, int]:
    """Publish as the DAG does, then again for leftovers; return (seconds, passes).

    The DAG runs a collection as mapped upload tasks, each its own process with a few
    threads: here ``PROCESSES`` x ``CONCURRENCY // PROCESSES`` threads, the same 16
    requests in flight as the baseline's 16 threads, sharing one pacer when ``limit`` is set.
    """
    passes, pending, elapsed = 0, keys, 0.0
    while pending and passes < PASSES:
        passes += 1
        group = WorkerGroup([
            WorkerSpec(ledger.url, CONN_ID, conn, tuple(pending[i::PROCESSES]), limit=limit,
                       settings=EngineSettings(concurrency=CONCURRENCY // PROCESSES,
                                               lookup_waits=LOOKUP_WAITS))
            for i in range(PROCESSES)
        ])
        group.wait_ready()
        started = time.monotonic()
        group.release()
        group.join()
        elapsed += group.finished - started
        pending = [k for k in pending
                   if State(ledger.get(COLLECTION, k).state) is not State.PUBLISHED]
    return elapsed, passes


def run_baseline(ledger: Ledger, keys: list[str], url: str, token: str) -> tuple[float, int]:
    """Upload with the baseline client, then again what it logged failed; (seconds, passes)."""
    store = PayloadStore(ledger)
    uploads = []
    for key in keys:
        payload = store.get(COLLECTION, key)
        uploads.append(Upload(key, payload.metadata, payload.files[0].path))
    client = BaselineUploader(url, token, workers=CONCURRENCY)
    passes, elapsed = 0, 0.0
    while uploads and passes < PASSES:
        passes += 1
        result = client.run(uploads)
        elapsed += result.seconds
        uploads = [u for u in uploads if u.key in result.failed]
    return elapsed, passes


def measure(ledger: Ledger, keys: list[str], *, ours: bool,
            limit: tuple[int, float] | None) -> Outcome:
    """Run one client on a fresh sandbox with :data:`FAULTS` (and ``limit`` if set)."""
    limits = {"api": f"{limit[0]}/{limit[1]:g}s"} if limit else None
    sandbox = start_sandbox(faults=FAULTS, limits=limits)
    try:
        conn = use_connection(CONN_ID, sandbox)
        if ours:
            seconds, passes = run_ours(ledger, keys, conn, limit)
        else:
            seconds, passes = run_baseline(ledger, keys, sandbox.url, sandbox.token)
        census = take_census(sandbox.admin, keys, ledger if ours else None)
        statuses = sandbox.admin.requests()["counts"]["by_status"]
        injected = sandbox.admin.faults()["injected"]
    finally:
        sandbox.stop()
        os.environ.pop(f"AIRFLOW_CONN_{CONN_ID.upper()}", None)
    return Outcome(seconds, passes, census, sum(statuses.values()), statuses.get("429", 0),
                   sum(injected.values()))


def _fresh_run(work: pathlib.Path, name: str, count: int, *, ours: bool,
               limit: tuple[int, float] | None) -> Outcome:
    """One client's run on a fresh ledger with ``count`` specimens, in ``work / name``."""
    ledger = new_ledger(work / name)
    keys = register_specimens(ledger, work / name, count)
    return measure(ledger, keys, ours=ours, limit=limit)


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Run both clients under both conditions, on fresh ledgers and sandboxes."""
    count = sizes.p3_specimens
    free: dict[bool, list[Outcome]] = {False: [], True: []}
    for i in range(REPEATS):  # alternately, so a slow spell of the machine hits both
        for ours in (False, True):
            name = f"p3-{'ours' if ours else 'baseline'}-free-{i + 1}"
            free[ours].append(_fresh_run(work, name, count, ours=ours, limit=None))
    base, ours = (_fresh_run(work, f"p3-{side}-limited", count, ours=side == "ours", limit=LIMIT)
                  for side in ("baseline", "ours"))
    bound = LIMIT_PER_MIN / REQUESTS_PER_RECORD
    free_note = (f"medians of {REPEATS} runs each, concurrency {CONCURRENCY}, latency "
                 f"{LATENCY_S * 1000:.0f} ms; rec/min ours "
                 f"{', '.join(f'{o.per_minute:.0f}' for o in free[True])}, baseline "
                 f"{', '.join(f'{o.per_minute:.0f}' for o in free[False])}; "
                 f"ours {'; '.join(o.describe() for o in free[True])}; "
                 f"baseline {'; '.join(o.describe() for o in free[False])}")
    limited_note = (f"sandbox limit {LIMIT[0]} per {LIMIT[1]:g} s (rate bound "
                    f"{bound:.0f} rec/min); "
                    f"ours {ours.describe()}, {ours.per_minute / bound:.2f} of the rate bound; "
                    f"baseline {base.describe()}; the most any client within the limit could "
                    f"reach here is {bound / base.per_minute:.2f}x the baseline (rate bound / "
                    f"baseline)")
    dup_note = "; ".join(
        f"{name}: baseline made {sum(b.census.duplicates for b in bases)} duplicates and left "
        f"{sum(b.census.drafts for b in bases)} drafts, ours left "
        f"{sum(o.census.drafts for o in ourses)} drafts"
        for name, bases, ourses in ((f"{REPEATS} runs without limit", free[False], free[True]),
                                    ("limited", [base], [ours])))
    everyone = [o.census for o in (*free[True], ours)]
    return [
        at_least("P3 records/min vs baseline, faults", _median_rate(free[True]),
                 _median_rate(free[False]), "rec/min", 1.5, free_note),
        for_context("P3 records/min vs baseline, Zenodo limits", ours.per_minute,
                    base.per_minute, "rec/min", limited_note),
        at_most("P3 our duplicates (sandbox)", sum(c.duplicates for c in everyone), 0, "",
                dup_note),
        at_most("P3 ours not published", sum(c.lost for c in everyone), 0, "",
                f"after {', '.join(str(o.passes) for o in free[True])} pass(es) in the runs "
                f"without limit, {ours.passes} with it"),
        at_most("P3 ours ledger != sandbox", sum(c.mismatched for c in everyone), 0, ""),
    ]


def _median_rate(outcomes: list[Outcome]) -> float:
    return statistics.median(o.per_minute for o in outcomes)
