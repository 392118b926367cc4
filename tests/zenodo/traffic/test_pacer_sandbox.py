"""Worker processes share one pacer and use the sandbox's moving windows to the full, no more."""

from __future__ import annotations

import multiprocessing
import os
import pathlib
import time
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest

from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.repository.deposit_api import DepositApi
from zenodo.traffic.pacer import Pacer
from zenodo_sandbox.testing import SandboxProcess

LIMIT = 100  # requests a window, as Zenodo allows one token a minute
WINDOW = 15.0  # seconds


def hammer(ledger_url: str, conn_json: str, deposition_id: int, seconds: float,
           limits: list[tuple[int, float]], ready: Barrier) -> None:
    """One worker: once every worker is ready, read the same deposition for ``seconds`` as
    fast as the shared pacer allows."""
    os.environ["AIRFLOW_CONN_ZENODO_PACED"] = conn_json
    pacer = Pacer(ledger_url, "zenodo_paced:api", limits)
    hook = ZenodoHook("zenodo_paced", pacers={"api": pacer})
    hook.get_connection(hook.zenodo_conn_id)
    api = DepositApi(hook)
    ready.wait()
    until = time.time() + seconds
    while time.time() < until:
        api.get_deposition(deposition_id)


def hammer_for(sandbox: SandboxProcess, tmp_path: pathlib.Path, *, limits: list[tuple[int, float]],
               workers: int, seconds: float) -> tuple[list[dict[str, Any]], int]:
    """Run ``workers`` processes for ``seconds`` under ``limits`` (sandbox and pacer alike).

    The run starts when every worker has started and read its connection (starting a process
    takes seconds on a busy machine), and three seconds past it the workers are stopped.
    Returns the sandbox's log of the reads and how many workers were then still waiting in the
    pacer for the next window.
    """
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.migrate()
    conn = sandbox.connection_json()
    os.environ["AIRFLOW_CONN_ZENODO_SETUP"] = conn
    deposition_id = DepositApi(ZenodoHook("zenodo_setup")).create_deposition(
        {"title": "paced"})["id"]
    sandbox.admin.set_limits({"api": ",".join(f"{n}/{s:g}s" for n, s in limits)})
    sandbox.admin.clear_requests()

    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(workers + 1)
    processes = [
        context.Process(target=hammer,
                        args=(ledger.url, conn, deposition_id, seconds, limits, ready))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    ready.wait(timeout=120)
    time.sleep(seconds + 3.0)
    waiting = [process for process in processes if process.is_alive()]
    for process in processes:
        process.terminate()
        process.join(timeout=10)
    return sandbox.admin.requests(kind="get")["requests"], len(waiting)


@pytest.mark.slow
def test_eight_processes_get_95_percent_of_each_window_and_almost_no_429(
    sandbox: SandboxProcess, tmp_path: pathlib.Path
) -> None:
    # Zenodo's 100 a minute, its time in quarters (100 per 15 s) to keep the test short.
    log, waiting = hammer_for(sandbox, tmp_path, limits=[(LIMIT, WINDOW)], workers=8,
                              seconds=1.25 * WINDOW)
    assert waiting == 8, "past the run, every worker waits for the third window"
    answered = [r for r in log if r["status"] == 200]
    limited = [r for r in log if r["status"] == 429]
    assert len(limited) <= 0.01 * len(log)
    windows = 2  # the run touches two of the server's windows: from 0 s and from WINDOW
    assert len(answered) >= 0.95 * windows * LIMIT, f"{len(answered)} answered in {windows}"
    first = answered[0]["time"]
    in_first = sum(1 for r in answered if r["time"] < first + WINDOW)
    assert in_first >= 0.95 * LIMIT, "an idle token's window is used at once, not paced"
    print(f"pacer: {len(answered)} answered in {1.25 * WINDOW:g} s ({in_first} in the first "
          f"window) of {LIMIT}/{WINDOW:g} s, {len(limited)} x 429 in {len(log)}")


@pytest.mark.slow
def test_the_long_window_holds_once_spent_then_frees_as_its_oldest_leave(
    sandbox: SandboxProcess, tmp_path: pathlib.Path
) -> None:
    # Zenodo's 100/min and 5000/h in small: 10 per 2 s and 30 per 20 s (the pacer keeps 2%
    # back: 9 and 29). The short window binds until the long one's budget is spent.
    log, _ = hammer_for(sandbox, tmp_path, limits=[(10, 2.0), (30, 20.0)], workers=4,
                        seconds=24)
    assert [r for r in log if r["status"] != 200] == [], "no 429"
    first = log[0]["time"]
    offsets = [r["time"] - first for r in log]
    assert sum(1 for t in offsets if t < 8.0) == 29, "the long window spent at the short's pace"
    assert max(t for t in offsets if t < 20.0) < 8.0, "then nothing until its oldest leave"
    assert sum(1 for t in offsets if 20.0 <= t < 24.0) >= 9, "and the window frees again"
    print(f"pacer, two windows: {len(log)} reads at "
          f"{sorted({round(t, 1) for t in offsets})} s, 0 x 429")
