"""P5: what reconciliation costs in OAI-PMH requests, counted on the sandbox.

A full harvest of an N-record community costs ``ceil(N / 50)`` pages, plus one when N is an
exact multiple of 50 (Zenodo then hands out a token to an empty last page). An incremental
harvest from the last ``responseDate`` with nothing new costs one request
(``noRecordsMatch``); the target allows two.
"""

from __future__ import annotations

import math
import os
import pathlib
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bench.common import Row, Sizes, at_most, start_sandbox, use_connection
from zenodo.harvest.harvester import Harvester, HarvestOptions
from zenodo.hooks.zenodo import ZenodoHook

CONN_ID = "zenodo_bench_p5"
COMMUNITY = "bench-herbarium"
PAGE_SIZE = 50
SEED_CHUNK = 5000
#: The incremental harvest re-reads this much before the watermark. Production keeps minutes
#: of overlap; here it must stay below the gap between seeding and the full harvest.
OVERLAP = timedelta(seconds=1)


def full_harvest_bound(records: int) -> int:
    """Pages for a full harvest: ``ceil(N / page size)``, +1 on an exact multiple."""
    return math.ceil(records / PAGE_SIZE) + (1 if records and records % PAGE_SIZE == 0 else 0)


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Seed the community, harvest it fully, then incrementally."""
    n = sizes.p5_records
    sandbox = start_sandbox()
    try:
        for start in range(0, n, SEED_CHUNK):
            sandbox.admin.seed(min(SEED_CHUNK, n - start), communities=[COMMUNITY])
        time.sleep(2 * OVERLAP.total_seconds())  # the newest datestamp is now older than it
        use_connection(CONN_ID, sandbox)
        harvester = Harvester(ZenodoHook(CONN_ID), HarvestOptions(overlap=OVERLAP))
        sandbox.admin.clear_requests()
        started = time.monotonic()
        full = harvester.harvest(COMMUNITY)
        full_s = time.monotonic() - started
        full_requests = sandbox.admin.requests(kind="oai")["total"]
        sandbox.admin.clear_requests()
        since = harvester.harvest_since(COMMUNITY, full.response_date)
        since_requests = sandbox.admin.requests(kind="oai")["total"]
    finally:
        sandbox.stop()
        os.environ.pop(f"AIRFLOW_CONN_{CONN_ID.upper()}", None)
    seen = len(full.records)
    full_row = at_most("P5 full harvest requests", full_requests, full_harvest_bound(n), "req",
                       f"{n:,} records, {seen:,} harvested in {full_s:.1f} s")
    if seen != n:  # cheap but incomplete is a failure
        full_row = replace(full_row, passed=False, note=full_row.note + " (INCOMPLETE)")
    return [
        full_row,
        at_most("P5 incremental, nothing new", since_requests, 2, "req",
                f"{len(since.records)} records listed"),
    ]
