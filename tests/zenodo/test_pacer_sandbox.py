"""Eight worker processes share one pacer and stay just under the sandbox's 100/min limit."""

from __future__ import annotations

import multiprocessing
import os
import pathlib
import time

import pytest

from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger import Ledger
from zenodo.pacer import Pacer
from zenodo_sandbox.testing import SandboxProcess

LIMIT = 100  # requests a minute, as Zenodo allows one token
RUN_SECONDS = 75  # longer than the window, so the server's moving window fills up


def hammer(ledger_url: str, conn_json: str, deposition_id: int, until: float) -> None:
    """One worker: read the same deposition as fast as the shared pacer allows."""
    os.environ["AIRFLOW_CONN_ZENODO_PACED"] = conn_json
    pacer = Pacer(ledger_url, "zenodo_paced:api", [(LIMIT, 60.0)])
    hook = ZenodoHook("zenodo_paced", pacers={"api": pacer})
    while time.time() < until:
        hook.get_deposition(deposition_id)


@pytest.mark.slow
def test_eight_processes_get_95_percent_of_the_limit_and_almost_no_429(
    sandbox: SandboxProcess, tmp_path: pathlib.Path
) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.migrate()
    conn = sandbox.connection_json()
    os.environ["AIRFLOW_CONN_ZENODO_SETUP"] = conn
    deposition_id = ZenodoHook("zenodo_setup").create_deposition({"title": "paced"})["id"]
    sandbox.admin.set_limits({"api": f"{LIMIT}/min"})
    sandbox.admin.clear_requests()

    until = time.time() + RUN_SECONDS
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=hammer, args=(ledger.url, conn, deposition_id, until))
        for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=RUN_SECONDS + 60)
        assert worker.exitcode == 0

    log = sandbox.admin.requests(kind="get")
    answered = [r for r in log["requests"] if r["status"] == 200]
    limited = [r for r in log["requests"] if r["status"] == 429]
    assert len(limited) <= 0.01 * len(log["requests"])
    span = answered[-1]["time"] - answered[0]["time"]
    rate = (len(answered) - 1) / span * 60
    assert rate >= 0.95 * LIMIT, f"{rate:.1f}/min against a limit of {LIMIT}/min"
    assert rate <= LIMIT * 1.01
    print(f"pacer: {rate:.1f}/min of {LIMIT}/min, {len(limited)} x 429 in {len(log['requests'])}")
