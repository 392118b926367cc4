"""Eight worker processes share one pacer and use the sandbox's 100/min window to the full."""

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
def test_eight_processes_get_95_percent_of_each_window_and_almost_no_429(
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
    time.sleep(max(0.0, until - time.time()) + 5.0)
    waiting = [worker for worker in workers if worker.is_alive()]
    for worker in workers:
        worker.terminate()
        worker.join(timeout=10)
    assert len(waiting) == len(workers), "past the run, every worker waits for the next window"

    log = sandbox.admin.requests(kind="get")
    answered = [r for r in log["requests"] if r["status"] == 200]
    limited = [r for r in log["requests"] if r["status"] == 429]
    assert len(limited) <= 0.01 * len(log["requests"])
    windows = 2  # the run touches two of the server's windows: from 0 s and from 60 s
    assert len(answered) >= 0.95 * windows * LIMIT, f"{len(answered)} answered in {windows}"
    first = answered[0]["time"]
    in_first = sum(1 for r in answered if r["time"] < first + 60.0)
    assert in_first >= 0.95 * LIMIT, "an idle token's window is used at once, not paced"
    print(f"pacer: {len(answered)} answered in {RUN_SECONDS} s ({in_first} in the first "
          f"minute) of {LIMIT}/min, {len(limited)} x 429 in {len(log['requests'])}")
