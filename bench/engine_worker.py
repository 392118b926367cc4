"""Run one engine batch in its own process, as one mapped Airflow task would.

Workers are started with the ``spawn`` method (a fresh interpreter, like a task process). Each
builds its ledger, hook and, when a limit is given, the pacer shared through the ledger DB;
it reads its payloads a page at a time, as an upload task does;
then it reports ready and waits for the go signal, so the timed window holds only the batch.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from dataclasses import dataclass, field, replace
from multiprocessing.context import SpawnProcess
from typing import Any

from bench.common import COLLECTION, quiet_logs
from zenodo.engine.batch_runner import publish_specimens
from zenodo.engine.settings import EngineSettings
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import BatchPayloads, PayloadStore
from zenodo.traffic.pacer import Pacer, bucket_for

_SPAWN = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker process does.

    :param ledger_url: the shared ledger database.
    :param conn_id: the Airflow connection id; ``conn_json`` is its JSON form.
    :param keys: the worker's specimens (its "map index" slice).
    :param limit: the shared pacer's limit as ``(requests, window seconds)`` (``None``: no
        pacer, 429s only).
    :param settings: the engine's settings (threads, lease, waits); progress is not logged.
    """

    ledger_url: str
    conn_id: str
    conn_json: str
    keys: tuple[str, ...]
    limit: tuple[int, float] | None = None
    settings: EngineSettings = field(default_factory=EngineSettings)


def run_worker(spec: WorkerSpec, ready: Any, go: Any, results: Any) -> None:
    """Publish ``spec.keys``; put ``(pid, outcome counts)`` on ``results``."""
    quiet_logs()
    os.environ[f"AIRFLOW_CONN_{spec.conn_id.upper()}"] = spec.conn_json
    ledger = Ledger(spec.ledger_url)
    store = PayloadStore(ledger)
    pacers = {}
    if spec.limit:
        pacers["api"] = Pacer(ledger.engine, bucket_for(spec.conn_id, "api"), [spec.limit])
    hook = ZenodoHook(spec.conn_id, pacers=pacers, backoff_max=2.0)
    ready.put(os.getpid())
    go.wait()
    result = publish_specimens(
        COLLECTION, spec.keys, hook=hook, ledger=ledger,
        payload_for=BatchPayloads(store, COLLECTION, spec.keys),
        settings=replace(spec.settings, progress_every=10**9),
    )
    results.put((os.getpid(), dict(result.outcomes)))


class WorkerGroup:
    """Start worker processes, release them together, wait for them (or kill one)."""

    def __init__(self, specs: list[WorkerSpec]) -> None:
        """Spawn one process per spec; they get ready but do not start yet."""
        self.ready = _SPAWN.Queue()
        self.results = _SPAWN.Queue()
        self.go = _SPAWN.Event()
        self.finished = 0.0
        self.processes: list[SpawnProcess] = [
            _SPAWN.Process(target=run_worker, args=(spec, self.ready, self.go, self.results))
            for spec in specs
        ]
        for process in self.processes:
            process.start()

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until every worker has built its hook and ledger; fail if one died."""
        deadline = time.monotonic() + timeout
        waiting = len(self.processes)
        while waiting:
            try:
                self.ready.get(timeout=1.0)
                waiting -= 1
            except queue.Empty:
                dead = [p.pid for p in self.processes if p.exitcode not in (None, 0)]
                if dead or time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"workers not ready (dead: {dead})") from None

    def release(self) -> None:
        """Let every worker start its batch."""
        self.go.set()

    def join(self, timeout: float = 1800.0) -> dict[str, int]:
        """Wait for every worker; return the summed outcome counts of those that finished.

        A worker that dies before reporting fails the wait at once (not after ``timeout``).

        :attr:`finished` is then when the last batch reported done (``time.monotonic``): the
        batch's end, before the interpreters shut down (up to a second for Airflow's imports).
        """
        totals: dict[str, int] = {}
        deadline, waiting = time.monotonic() + timeout, len(self.processes)
        while waiting:
            try:
                _pid, outcomes = self.results.get(timeout=1.0)
            except queue.Empty:
                dead = {p.pid: p.exitcode for p in self.processes if p.exitcode not in (None, 0)}
                gone = all(p.exitcode is not None for p in self.processes)  # results all read
                if dead or gone or time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"workers did not finish (died: {dead})") from None
                continue
            waiting -= 1
            for name, count in outcomes.items():
                totals[name] = totals.get(name, 0) + count
        self.finished = time.monotonic()
        for process in self.processes:
            process.join(timeout=30)
            if process.exitcode != 0:
                raise RuntimeError(f"worker {process.pid} exited with {process.exitcode}")
        return totals

    def kill(self) -> None:
        """SIGKILL every worker (a lost task process: no cleanup runs) and reap it."""
        for process in self.processes:
            process.kill()
            process.join(timeout=30)
