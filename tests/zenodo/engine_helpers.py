"""Engine test helpers: run one batch; check the sandbox and the ledger agree record for record."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from tests.zenodo.payload_factory import COLLECTION, published_by_key
from zenodo.engine.batch_runner import BatchResult, publish_specimens
from zenodo.engine.settings import EngineSettings
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import BatchPayloads, PayloadStore
from zenodo.ledger.states import State
from zenodo.store import database as ledger_db
from zenodo_sandbox.testing import SandboxProcess


def run_batch(ledger: Ledger, hook: ZenodoHook, keys: list[str], *, batch_id: str = "batch",
              actor: dict[str, Any] | None = None, **settings: Any) -> BatchResult:
    """Publish ``keys`` with 8 threads and short lookup waits; ``settings``: other knobs."""
    knobs: dict[str, Any] = {"concurrency": 8, "lookup_waits": (0.3, 1.0, 2.0), **settings}
    return publish_specimens(
        COLLECTION,
        keys,
        hook=hook,
        ledger=ledger,
        payload_for=BatchPayloads(PayloadStore(ledger), COLLECTION, keys),
        settings=EngineSettings(**knobs),
        batch_id=batch_id,
        actor=actor,
    )


@contextmanager
def ledger_writes(ledger: Ledger) -> Iterator[list[str]]:
    """Collect the name of the thread of every ledger write committed meanwhile."""
    threads: list[str] = []

    def count(conn: sa.Connection) -> None:
        if conn.get_execution_options().get(ledger_db.WRITE_OPTION):
            threads.append(threading.current_thread().name)

    sa.event.listen(ledger.engine, "commit", count)
    try:
        yield threads
    finally:
        sa.event.remove(ledger.engine, "commit", count)


def assert_server_and_ledger_agree(
    sandbox: SandboxProcess, ledger: Ledger, keys: list[str]
) -> None:
    """Exactly one published deposition per key, right files, and the ledger matches it."""
    published = [d for d in sandbox.admin.depositions() if d["submitted"]]
    by_key = published_by_key([{"metadata": d["metadata"], **d} for d in published])
    assert sorted(by_key) == sorted(keys), "every specimen published, nothing foreign"
    duplicates = {k: [d["id"] for d in v] for k, v in by_key.items() if len(v) > 1}
    assert duplicates == {}
    store = PayloadStore(ledger)
    for key in keys:
        (deposition,) = by_key[key]
        payload = store.get(COLLECTION, key)
        assert {(f["key"], f["md5"]) for f in deposition["files"]} == {
            (f.name, f.md5) for f in payload.files
        }
        row = ledger.get(COLLECTION, key)
        assert row is not None and row.state == State.PUBLISHED
        assert row.record_id == str(deposition["id"])
        assert row.doi == deposition["doi"]
