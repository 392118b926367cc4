"""Run one engine batch in its own process (so a test can SIGKILL it mid-batch).

Usage: python -m tests.zenodo.engine_runner LEDGER_URL CONN_ID LEASE_SECONDS KEY [KEY ...]
The connection comes from the environment (AIRFLOW_CONN_<CONN_ID>).
"""

from __future__ import annotations

import sys

from tests.zenodo.payload_factory import COLLECTION
from zenodo.engine.batch_runner import publish_specimens
from zenodo.engine.settings import EngineSettings
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore


def main(argv: list[str]) -> int:
    """Publish the given keys; print the outcome counts."""
    url, conn_id, lease, *keys = argv
    ledger = Ledger(url)
    store = PayloadStore(ledger)
    result = publish_specimens(
        COLLECTION,
        keys,
        hook=ZenodoHook(conn_id, backoff_max=0.5),
        ledger=ledger,
        payload_for=lambda key: store.get(COLLECTION, key),
        settings=EngineSettings(concurrency=4, lease_seconds=float(lease), lookup_waits=(0.3, 1.0)),
    )
    print(dict(result.outcomes), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
