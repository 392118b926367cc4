"""P3: our engine against the seed-style baseline, same concurrency and latency, faults on.

Ours runs as the DAG runs it (4 mapped-task processes × 4 threads), the baseline as the
pilot's uploader (16 threads): 16 requests in flight each. Both run against a fresh sandbox
with the same seeded faults: 100 ms latency, 5 % 5xx on
every kind, 2 % commit-then-fail on create and publish, 1 % resets mid-upload. Throughput is
specimens published (at least once, counted on the sandbox) per minute of wall time; our run
includes a second pass for leftovers, as the next scheduled run would make. Duplicates are
counted on the sandbox by specimen key.
"""

from __future__ import annotations

import os
import pathlib
import time
from typing import Any

from bench.baseline_uploader import BaselineUploader, Upload
from bench.census import Census, take_census
from bench.common import (
    COLLECTION,
    Row,
    Sizes,
    at_least,
    at_most,
    new_ledger,
    register_specimens,
    start_sandbox,
    use_connection,
)
from bench.engine_worker import WorkerGroup, WorkerSpec
from zenodo.ledger import Ledger
from zenodo.payloads import PayloadStore
from zenodo.states import State

CONN_ID = "zenodo_bench_p3"
CONCURRENCY = 16
#: Our run's processes (mapped tasks); the baseline runs CONCURRENCY threads in one process.
PROCESSES = 4
#: The sandbox here indexes deposits at once (no search lag), so a lost create is looked up
#: again after short waits; against Zenodo the engine's default waits (1, 3, 6 s) cover its lag.
LOOKUP_WAITS = (0.2, 0.5)
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


def run_ours(ledger: Ledger, keys: list[str], conn: str) -> tuple[float, int]:
    """Publish as the DAG does, then once more for leftovers; return (seconds, passes).

    The DAG runs a collection as mapped upload tasks, each its own process with a few
    threads: here ``PROCESSES`` × ``CONCURRENCY // PROCESSES`` threads, the same 16
    requests in flight as the baseline's 16 threads.
    """
    passes, pending, elapsed = 0, keys, 0.0
    while pending and passes < 2:
        passes += 1
        group = WorkerGroup([
            WorkerSpec(ledger.url, CONN_ID, conn, tuple(pending[i::PROCESSES]),
                       concurrency=CONCURRENCY // PROCESSES, lookup_waits=LOOKUP_WAITS)
            for i in range(PROCESSES)
        ])
        group.wait_ready()
        started = time.monotonic()
        group.release()
        group.join()
        elapsed += time.monotonic() - started
        pending = [k for k in pending
                   if State(ledger.get(COLLECTION, k).state) is not State.PUBLISHED]
    return elapsed, passes


def run_baseline(ledger: Ledger, keys: list[str], url: str, token: str) -> float:
    """Upload the same specimens with the baseline client; return its seconds."""
    store = PayloadStore(ledger)
    uploads = []
    for key in keys:
        payload = store.get(COLLECTION, key)
        uploads.append(Upload(key, payload.metadata, payload.files[0].path))
    return BaselineUploader(url, token, workers=CONCURRENCY).run(uploads).seconds


def _measure(ledger: Ledger, keys: list[str], *, ours: bool) -> tuple[float, Census, str]:
    sandbox = start_sandbox(faults=FAULTS)
    try:
        conn = use_connection(CONN_ID, sandbox)
        if ours:
            seconds, passes = run_ours(ledger, keys, conn)
            detail = (f"{PROCESSES} processes x {CONCURRENCY // PROCESSES} threads, "
                      f"{passes} pass(es)")
        else:
            seconds = run_baseline(ledger, keys, sandbox.url, sandbox.token)
            detail = "3 blind tries per record"
        census = take_census(sandbox.admin, keys, ledger if ours else None)
        injected = sandbox.admin.faults()["injected"]
    finally:
        sandbox.stop()
        os.environ.pop(f"AIRFLOW_CONN_{CONN_ID.upper()}", None)
    detail += f", faults injected {sum(injected.values())}"
    return seconds, census, detail


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Run the baseline, then ours, on fresh sandboxes with the same faults."""
    ledger = new_ledger(work / "p3")
    keys = register_specimens(ledger, work / "p3", sizes.p3_specimens)
    base_s, base, base_detail = _measure(ledger, keys, ours=False)
    ours_s, ours, ours_detail = _measure(ledger, keys, ours=True)
    base_rate = base.published / (base_s / 60)
    ours_rate = ours.published / (ours_s / 60)
    speed_note = (f"ours {ours.published}/{ours.total} in {ours_s:.1f} s ({ours_detail}); "
                  f"baseline {base.published}/{base.total} in {base_s:.1f} s ({base_detail}); "
                  f"concurrency {CONCURRENCY}, latency {LATENCY_S * 1000:.0f} ms")
    dup_note = (f"baseline made {base.duplicates} duplicate records and left {base.drafts} "
                f"drafts; ours left {ours.drafts} drafts")
    return [
        at_least("P3 records/min vs baseline", ours_rate, base_rate, "rec/min", 1.5,
                 speed_note),
        at_most("P3 our duplicates (sandbox)", ours.duplicates, 0, "", dup_note),
        at_most("P3 ours not published", ours.lost, 0, ""),
        at_most("P3 ours ledger != sandbox", ours.mismatched, 0, ""),
    ]
