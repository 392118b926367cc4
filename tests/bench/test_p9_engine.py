"""P9 (``python -m bench --only p9``), the engine alone under P7's faults, at a small size,
and the bench's worker group when a worker dies.

P9 runs real worker processes against a real sandbox with the 2019 error mix and a ledger in
a fresh PostgreSQL database; its census is read off the sandbox's admin API.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bench import p9_engine
from bench.common import QUICK, Row, new_ledger, register_specimens, start_sandbox, use_connection
from bench.engine_worker import WorkerGroup, WorkerSpec
from zenodo.engine.settings import EngineSettings


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Row]:
    """The rows of one small P9 run (300 specimens, 2 processes x 4 threads)."""
    sizes = replace(QUICK, p9_specimens=300, p9_workers=2, p9_threads=4)
    found = p9_engine.run(sizes, tmp_path_factory.mktemp("p9"), {})
    return {row.benchmark: row for row in found}


def test_p9_publishes_each_specimen_once_under_the_faults(rows: dict[str, Row]) -> None:
    census = rows["P9 duplicates, lost or drafts (census)"]
    assert census.passed and census.measured == 0
    assert "300 of 300 published once" in census.note


def test_p9_rates_are_read_against_the_sandbox_latency(rows: dict[str, Row]) -> None:
    whole = rows["P9 engine alone, whole run records/s"]
    # The bound is 8 threads / (3 requests x the sandbox's mean, 50 ms injected and more).
    assert 0 < whole.bound <= 8 / (3 * 0.05)
    assert 0 < whole.measured < whole.bound
    assert "P9 engine alone, steady records/s" in rows


def test_p9_a_request_takes_the_workers_at_least_what_the_sandbox_measured(
        rows: dict[str, Row]) -> None:
    request = rows["P9 a request as the workers saw it"]
    assert request.bound >= 50.0  # the injected latency is part of the sandbox's measure
    assert request.measured >= 0.95 * request.bound
    assert "waited on Zenodo" in request.note


def test_a_worker_that_dies_fails_the_wait_at_once(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    keys = register_specimens(ledger, tmp_path, 40)
    sandbox = start_sandbox(faults={"kinds": {"*": {"latency": 0.3}}})
    try:
        conn = use_connection("zenodo_bench_dies", sandbox)
        group = WorkerGroup([WorkerSpec(ledger.url, "zenodo_bench_dies", conn, tuple(keys),
                                        settings=EngineSettings(concurrency=2))])
        group.wait_ready()
        group.release()
        os.kill(group.processes[0].pid, signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="did not finish"):
            group.join(timeout=600)
        assert time.monotonic() - started < 30
    finally:
        sandbox.stop()
        os.environ.pop("AIRFLOW_CONN_ZENODO_BENCH_DIES", None)
