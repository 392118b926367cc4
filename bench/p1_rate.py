"""P1: rate-limited throughput of worker processes sharing one pacer kept in the ledger DB.

Bound: records/min >= 0.95 x limit / 3 (create, PUT, publish) with at most 1 % 429s, counted on
the sandbox's request log. The timed run starts with the moving window already in use (as an
hour into an upload): :func:`fill_one_window` spends it evenly first, else an idle token's
first window's budget goes at once.
"""

from __future__ import annotations

import pathlib
import time
from typing import Any

from bench.common import (
    REQUESTS_PER_RECORD,
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
from zenodo.engine.settings import EngineSettings
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.repository.deposit_api import DepositApi
from zenodo.traffic.pacer import Pacer, bucket_for

CONN_ID = "zenodo_bench_p1"


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Run P1; store ``p1_requests_per_record`` and ``p1_ratio`` in ``facts`` (for P6)."""
    ledger = new_ledger(work / "p1")
    keys = register_specimens(ledger, work / "p1", sizes.p1_specimens)
    limit, window = sizes.p1_limit, sizes.p1_window
    sandbox = start_sandbox(limits={"api": f"{limit}/{window}s"})
    try:
        conn = use_connection(CONN_ID, sandbox)
        slices = [tuple(keys[i:: sizes.p1_workers]) for i in range(sizes.p1_workers)]
        group = WorkerGroup([
            WorkerSpec(ledger.url, CONN_ID, conn, part, limit=(limit, float(window)),
                       settings=EngineSettings(concurrency=sizes.p1_threads))
            for part in slices
        ])
        group.wait_ready()
        fill_one_window(ledger, limit, float(window))
        sandbox.admin.clear_requests()
        started = time.monotonic()
        group.release()
        outcomes = group.join()
        minutes = (group.finished - started) / 60
        counts = sandbox.admin.requests()["counts"]
    finally:
        sandbox.stop()
    total = sum(counts["by_status"].values())
    limited = counts["by_status"].get("429", 0)
    published = outcomes.get("published", 0)
    measured = published / minutes
    bound = limit * 60 / window / REQUESTS_PER_RECORD
    facts["p1_requests_per_record"] = total / max(published, 1)
    facts["p1_ratio"] = measured / bound
    note = (f"{published}/{len(keys)} published by {sizes.p1_workers} processes x "
            f"{sizes.p1_threads} threads in {minutes:.2f} min; sandbox limit {limit}/{window}s; "
            f"{total} requests, {facts['p1_requests_per_record']:.3f} per record")
    return [
        at_least("P1 rate-limited records/min", measured, bound, "rec/min", 0.95, note),
        at_most("P1 429s share of requests", 100 * limited / max(total, 1), 1.0, "%",
                f"{limited} x 429 of {total} requests"),
    ]


def fill_one_window(ledger: Ledger, limit: int, window: float = 60.0) -> None:
    """Send reads evenly at ``limit`` per ``window`` for one window, through the shared pacer."""
    hook = ZenodoHook(CONN_ID, pacers={"api": Pacer(ledger.engine, bucket_for(CONN_ID, "api"),
                                                    [(limit, window)])})
    api = DepositApi(hook)
    deposition = api.create_deposition({"title": "P1: a window in use"})["id"]
    started = time.monotonic()
    for tick in range(1, limit):
        time.sleep(max(0.0, started + tick * window / limit - time.monotonic()))
        api.get_deposition(deposition)
