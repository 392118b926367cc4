"""The two clients P3 compares, behind one interface: run a pass over keys, read the log.

A pass is one run of the client over some specimens; its operator then reads the client's log
and submits again what it says is not published. Our log is the ledger; the 2019 uploader's is
its own (:class:`bench.baseline_uploader.Uploader2019`), which loses publish errors.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from bench.baseline_uploader import Logged, Upload, Uploader2019
from bench.common import COLLECTION
from bench.engine_worker import WorkerGroup, WorkerSpec
from zenodo.engine.settings import EngineSettings
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore
from zenodo.ledger.states import State

_DONE = (State.PUBLISHED, State.VERIFIED)


class Client(Protocol):
    """What P3 needs of a client."""

    def run(self, keys: Sequence[str]) -> float:
        """Make one pass over ``keys``; return its wall seconds."""

    def says_published(self) -> dict[str, bool]:
        """Key -> whether the client's log says the specimen is published."""

    def drafts_known(self) -> set[str]:
        """The deposition ids the client learnt (its ledger or its memory)."""


class OurClient:
    """Our engine as the DAG runs it: mapped upload tasks, each its own process.

    :param processes: worker processes (mapped tasks).
    :param threads: threads per process.
    :param limit: the shared pacer's ``(requests, window seconds)``, or ``None``.
    """

    def __init__(self, ledger: Ledger, conn_id: str, conn_json: str, *, processes: int,
                 threads: int, limit: tuple[int, float] | None,
                 lookup_waits: tuple[float, ...]) -> None:
        self.ledger = ledger
        self.conn_id = conn_id
        self.conn_json = conn_json
        self.processes = processes
        self.settings = EngineSettings(concurrency=threads, lookup_waits=lookup_waits)
        self.limit = limit

    def run(self, keys: Sequence[str]) -> float:
        """Publish ``keys`` across the processes; time from release to the last batch's end."""
        group = WorkerGroup([
            WorkerSpec(self.ledger.url, self.conn_id, self.conn_json,
                       tuple(keys[i::self.processes]), limit=self.limit, settings=self.settings)
            for i in range(self.processes)
        ])
        group.wait_ready()
        started = time.monotonic()
        group.release()
        group.join()
        return group.finished - started

    def says_published(self) -> dict[str, bool]:
        """The ledger's word: PUBLISHED or VERIFIED."""
        return {row.key: State(row.state) in _DONE for row in self.ledger.rows(COLLECTION)}

    def drafts_known(self) -> set[str]:
        """The deposition ids in the ledger."""
        return {row.deposition_id for row in self.ledger.rows(COLLECTION) if row.deposition_id}


class Client2019:
    """The 2019 pilots' uploader over specimens registered in a ledger (read for payloads only).

    :param workers: threads working each stage's queue.
    """

    def __init__(self, ledger: Ledger, url: str, token: str, *, workers: int) -> None:
        self.store = PayloadStore(ledger)
        self.uploader = Uploader2019(url, token, workers=workers)

    def run(self, keys: Sequence[str]) -> float:
        """Upload ``keys`` as one batch."""
        uploads = []
        for key in keys:
            payload = self.store.get(COLLECTION, key)
            uploads.append(Upload(key, payload.metadata, payload.files[0].path))
        return self.uploader.run(uploads)

    def says_published(self) -> dict[str, bool]:
        """The 2019 log's word: logged published."""
        return {key: logged is Logged.PUBLISHED for key, logged in self.uploader.log.items()}

    def drafts_known(self) -> set[str]:
        """The deposition ids whose create answered."""
        return set(self.uploader.drafts)
