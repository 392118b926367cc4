"""Engine throughput against a rate-limited sandbox, as a ratio of the rate bound.

Rate bound: records/min <= per-minute limit / requests per record (3 for one file with the
deposit API). The sandbox runs Zenodo's per-token limit scaled for speed; the engine's shared
pacer is given the same limit. Prints one table row: measured, bound, ratio, 429 share.

    .venv/bin/python -m bench.engine_rate --specimens 300 --limit 600 --concurrency 4
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import tempfile
import time

from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger import Ledger
from zenodo.pacer import Pacer
from zenodo.payloads import PayloadStore
from zenodo.upload import publish_specimens
from zenodo_sandbox.testing import SandboxProcess

REQUESTS_PER_RECORD = 3


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specimens", type=int, default=300)
    parser.add_argument("--limit", type=int, default=600, help="requests per minute")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-engine-"))
    ledger = Ledger(f"sqlite:///{work / 'ledger.db'}")
    ledger.migrate()
    keys = register_specimens(ledger, work, args.specimens)
    store = PayloadStore(ledger)
    with SandboxProcess(limits_profile="none", limits={"api": f"{args.limit}/min"}) as sandbox:
        os.environ["AIRFLOW_CONN_ZENODO_BENCH"] = json.dumps(
            {"conn_type": "zenodo", "host": sandbox.url, "password": sandbox.token}
        )
        pacer = Pacer(ledger.engine, "zenodo_bench:api", [(args.limit, 60.0)])
        hook = ZenodoHook("zenodo_bench", pacers={"api": pacer})
        started = time.monotonic()
        result = publish_specimens(
            COLLECTION,
            keys,
            hook=hook,
            ledger=ledger,
            payload_for=lambda key: store.get(COLLECTION, key),
            concurrency=args.concurrency,
        )
        minutes = (time.monotonic() - started) / 60
        log = sandbox.admin.requests()
    published = result.outcomes.get("published", 0)
    measured = published / minutes
    bound = args.limit / REQUESTS_PER_RECORD
    limited = log["counts"]["by_status"].get("429", 0)
    print(f"{'benchmark':<28}{'measured':>12}{'bound':>10}{'ratio':>8}{'429s':>10}")
    print(
        f"{'engine records/min':<28}{measured:>12.1f}{bound:>10.1f}{measured / bound:>8.3f}"
        f"{limited / max(log['total'], 1):>10.2%}"
    )
    print(f"published {published}/{len(keys)}, requests {log['total']}, {minutes:.2f} min")


if __name__ == "__main__":
    main()
