"""P9: the upload engine alone under pilot 2's faults, to read P7's upload row against.

The engine as P7's upload tasks run it (worker processes like mapped tasks, 8 threads each,
payloads read a page at a time, the ledger on PostgreSQL), against the sandbox with 50 ms
latency and the 2019 error mix, but without Airflow, the outage or a store of 281,372 records.
Rows: the steady rate against the latency bound (the rate P7's uploads are held to), the
whole run's rate (its tail included), how long a request took as the workers saw it against
the sandbox's own measure, and the census on the sandbox.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import time
from typing import Any

from bench.census import take_census
from bench.common import (
    COLLECTION,
    REQUESTS_PER_RECORD,
    Row,
    Sizes,
    at_least,
    at_most,
    for_context,
    mean_tally_latency_s,
    register_specimens,
    start_sandbox,
    use_connection,
)
from bench.engine_worker import WorkerGroup, WorkerSpec
from bench.pilot2.faults import SEED, plan_faults
from bench.pilot2.measure import UPLOAD_KINDS, steady_uploads
from bench.pilot2.services import fresh_databases
from zenodo.engine.settings import EngineSettings
from zenodo.engine.statistics import load_batches, zenodo_wait
from zenodo.ledger.ledger import Ledger

CONN_ID = "zenodo_bench_p9"


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Run P9: ``sizes.p9_workers`` processes x ``sizes.p9_threads`` threads."""
    folder = work / "p9"
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        ledger = Ledger(stack.enter_context(fresh_databases(("p9_ledger",)))["p9_ledger"])
        stack.callback(ledger.dispose)
        ledger.migrate()
        keys = register_specimens(ledger, folder, sizes.p9_specimens)
        faults = plan_faults(len(keys), seed=SEED)
        sandbox = start_sandbox(faults=faults.config(), data_dir=folder / "sandbox")
        stack.callback(sandbox.stop)
        stack.callback(os.environ.pop, f"AIRFLOW_CONN_{CONN_ID.upper()}", None)
        conn = use_connection(CONN_ID, sandbox)
        workers, threads = sizes.p9_workers, sizes.p9_threads
        group = WorkerGroup([
            WorkerSpec(ledger.url, CONN_ID, conn, tuple(keys[i::workers]),
                       settings=EngineSettings(concurrency=threads))
            for i in range(workers)
        ])
        group.wait_ready()
        sandbox.admin.clear_requests()
        started = time.monotonic()
        group.release()
        outcomes = group.join()
        seconds = group.finished - started
        tally = sandbox.admin.request_tally()
        census = take_census(sandbox.admin, keys, ledger)
        batches = load_batches(ledger, COLLECTION)
        waited, worker_time = zenodo_wait(batches)
        requests = sum(b["requests"] for b in batches)
    return p9_rows(sizes, tally, outcomes.get("published", 0), seconds,
                   waited=waited, worker_time=worker_time, requests=requests,
                   census=(census.once, census.duplicates + census.lost + census.drafts
                           + census.mismatched))


def p9_rows(sizes: Sizes, tally: list[dict[str, Any]], published: int, seconds: float, *,
            waited: float, worker_time: float, requests: int,
            census: tuple[int, int]) -> list[Row]:
    """Lay P9's measures out as rows (``census``: specimens once, and the wrong ones)."""
    threads = sizes.p9_workers * sizes.p9_threads
    shape = (f"{sizes.p9_specimens:,} specimens, {sizes.p9_workers} processes x "
             f"{sizes.p9_threads} threads, ledger on PostgreSQL, 50 ms and the 2019 error mix")
    uploads = [row for row in tally if row["kind"] in UPLOAD_KINDS and row["fault"] is None]
    latency = mean_tally_latency_s(uploads)
    rows = []
    steady = steady_uploads(tally, None, UPLOAD_KINDS)
    if steady is not None and steady.latency:
        rows.append(at_least(
            "P9 engine alone, steady records/s", steady.rate,
            threads / (REQUESTS_PER_RECORD * steady.latency), "rec/s", 0.8,
            f"{shape}; from the first tenth of the publishes to 45 % ({steady.seconds:.0f} "
            f"s), the sandbox's {1000 * steady.latency:.1f} ms mean there"))
    rows.append(for_context(
        "P9 engine alone, whole run records/s", published / seconds,
        threads / (REQUESTS_PER_RECORD * latency) if latency else 0.0, "rec/s",
        f"{published:,} published in {seconds:.1f} s, the last specimens' waits (lookups, "
        f"retries) included; the sandbox's {1000 * latency:.1f} ms mean"))
    client_ms = 1000 * waited / max(requests, 1)
    every = mean_tally_latency_s(tally)
    rows.append(for_context(
        "P9 a request as the workers saw it", client_ms, 1000 * every, "ms",
        f"{requests:,} requests; the bound is the sandbox's own mean over the same requests; "
        f"the workers waited on Zenodo {100 * waited / max(worker_time, 1e-9):.1f} % of "
        f"their time"))
    once, wrong = census
    rows.append(at_most("P9 duplicates, lost or drafts (census)", wrong, 0, "",
                        f"{once:,} of {sizes.p9_specimens:,} published once on the sandbox; "
                        "ledger != sandbox counted as wrong too"))
    return rows
