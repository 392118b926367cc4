"""P2: latency-bound throughput: no rate limit, 100 ms added by the server to every request.

Latency bound: records/s <= concurrency / (requests per record x latency), with the latency
measured by the sandbox itself for this run's requests (its ``latency_ms`` log field: the
injected 100 ms plus the real handling time).
"""

from __future__ import annotations

import os
import pathlib
import resource
from typing import Any

from bench.common import (
    COLLECTION,
    REQUESTS_PER_RECORD,
    Row,
    Sizes,
    at_least,
    mean_latency_s,
    new_ledger,
    register_specimens,
    start_sandbox,
    use_connection,
)
from zenodo.engine.batch_runner import publish_specimens
from zenodo.engine.settings import EngineSettings
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.payloads import PayloadStore

CONN_ID = "zenodo_bench_p2"
CONCURRENCY = 16
LATENCY_S = 0.1


def _cpu_seconds(after: resource.struct_rusage, before: resource.struct_rusage) -> float:
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Run P2 (one process, ``CONCURRENCY`` threads, no pacer)."""
    ledger = new_ledger(work / "p2")
    keys = register_specimens(ledger, work / "p2", sizes.p2_specimens)
    store = PayloadStore(ledger)
    sandbox = start_sandbox(faults={"kinds": {"*": {"latency": LATENCY_S}}})
    try:
        use_connection(CONN_ID, sandbox)
        hook = ZenodoHook(CONN_ID)
        hook.session()  # connection lookup outside the timed window
        sandbox.admin.clear_requests()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        result = publish_specimens(
            COLLECTION, keys, hook=hook, ledger=ledger,
            payload_for=lambda key: store.get(COLLECTION, key),
            settings=EngineSettings(concurrency=CONCURRENCY, progress_every=10**9),
        )
        cpu = _cpu_seconds(resource.getrusage(resource.RUSAGE_SELF), cpu_before)
        log = sandbox.admin.requests()
    finally:
        sandbox.stop()
        os.environ.pop(f"AIRFLOW_CONN_{CONN_ID.upper()}", None)
    published = result.outcomes.get("published", 0)
    latency = mean_latency_s(log["requests"])
    per_record = log["total"] / max(published, 1)
    measured = published / result.seconds
    bound = CONCURRENCY / (REQUESTS_PER_RECORD * latency)
    note = (f"{published}/{len(keys)} published in {result.seconds:.1f} s; sandbox latency "
            f"{latency * 1000:.1f} ms mean; {per_record:.3f} requests per record; "
            f"concurrency {CONCURRENCY}; engine CPU {1000 * cpu / max(published, 1):.0f} ms "
            "per record")
    return [at_least("P2 latency-bound records/s", measured, bound, "rec/s", 0.90, note)]
