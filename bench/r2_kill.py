"""R2: SIGKILL a worker process mid-batch, clear the task, run it again; nothing lost or doubled.

The worker (a spawned process, like a task) is killed once about a third of its specimens are
published, with writes in flight; no cleanup runs, its leases stay until they expire. The
"cleared" task is a new process on the same keys and ledger. Then the sandbox is counted by
specimen key and compared with the ledger.
"""

from __future__ import annotations

import os
import pathlib
import time
from typing import Any

from bench.census import take_census
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
from zenodo.engine.settings import EngineSettings
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State

CONN_ID = "zenodo_bench_r2"
LEASE_S = 3.0
LATENCY_S = 0.05
KILL_AT = 1 / 3


def _published(ledger: Ledger) -> int:
    return ledger.counts(COLLECTION).get(State.PUBLISHED, 0)


def _kill_mid_batch(spec: WorkerSpec, ledger: Ledger, keys: list[str]) -> int:
    """Run one worker and SIGKILL it once ``KILL_AT`` of the keys are published."""
    group = WorkerGroup([spec])
    group.wait_ready()
    group.release()
    deadline = time.monotonic() + 300
    while _published(ledger) < len(keys) * KILL_AT:
        if time.monotonic() > deadline:
            group.kill()
            raise RuntimeError("R2: the worker made no progress")
        time.sleep(0.05)
    group.kill()
    return _published(ledger)


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Kill, re-run, count."""
    ledger = new_ledger(work / "r2")
    keys = register_specimens(ledger, work / "r2", sizes.r2_specimens)
    sandbox = start_sandbox(faults={"kinds": {"*": {"latency": LATENCY_S}}})
    try:
        conn = use_connection(CONN_ID, sandbox)
        spec = WorkerSpec(ledger.url, CONN_ID, conn, tuple(keys), settings=EngineSettings(
            concurrency=4, lease_seconds=LEASE_S, busy_wait=10 * LEASE_S, lookup_waits=(0.2, 0.5)))
        at_kill = _kill_mid_batch(spec, ledger, keys)
        in_flight = sum(1 for k in keys if State(ledger.get(COLLECTION, k).state)
                        in (State.UNKNOWN, State.DRAFTED, State.UPLOADED))
        rerun = WorkerGroup([spec])
        rerun.wait_ready()
        rerun.release()
        outcomes = rerun.join()
        census = take_census(sandbox.admin, keys, ledger)
    finally:
        sandbox.stop()
        os.environ.pop(f"AIRFLOW_CONN_{CONN_ID.upper()}", None)
    note = (f"{census.total} specimens; killed with {at_kill} published and {in_flight} "
            f"mid-way; re-run outcomes {outcomes}; {census.drafts} drafts left")
    return [
        at_least("R2 published exactly once", 100 * census.once / census.total, 100.0, "%",
                 1.0, note),
        at_most("R2 duplicates", census.duplicates, 0, ""),
        at_most("R2 lost", census.lost, 0, ""),
        at_most("R2 ledger != sandbox", census.mismatched, 0, ""),
    ]
