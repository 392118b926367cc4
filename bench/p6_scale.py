"""P6: the scale model: wall time for whole collections on one Zenodo token.

Pure arithmetic on what P1 measured: the requests each record really cost (429s and lookups
included) and the share of the rate bound the workers reached. One token may send 100
requests a minute and 5000 an hour; the hourly cap binds (6000 > 5000), so

    bound (days)     = N x 3 / 5000 / 24
    projected (days) = N x requests per record / (5000 x P1 ratio) / 24

The 2019 pilot took about 12 days (11.7) for the 281,372-record collection.
"""

from __future__ import annotations

import pathlib
from typing import Any

from bench.common import (
    REQUESTS_PER_RECORD,
    ZENODO_PER_HOUR,
    ZENODO_PER_MINUTE,
    Row,
    Sizes,
    at_least,
)

PILOT_RECORDS = 281_372
PILOT_DAYS = 11.696
COLLECTIONS = (PILOT_RECORDS, 1_000_000)


def requests_per_hour() -> float:
    """The binding hourly request budget of one token."""
    return min(ZENODO_PER_MINUTE * 60, ZENODO_PER_HOUR)


def days(records: int, requests_per_record: float, efficiency: float) -> float:
    """Days to publish ``records`` at ``efficiency`` of the hourly request budget."""
    return records * requests_per_record / (requests_per_hour() * efficiency) / 24


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Project from P1's measurements (P1 must have run first)."""
    if "p1_requests_per_record" not in facts:
        raise RuntimeError("P6 needs P1's measurements: run p1 first")
    per_record = facts["p1_requests_per_record"]
    efficiency = min(1.0, facts["p1_ratio"])
    rows = []
    for records in COLLECTIONS:
        projected = days(records, per_record, efficiency)
        bound = days(records, REQUESTS_PER_RECORD, 1.0)
        note = (f"{per_record:.3f} requests per record at {efficiency:.3f} of the bound "
                f"(from P1)")
        if records == PILOT_RECORDS:
            note += f"; the 2019 pilot took {PILOT_DAYS:.1f} days"
        # A projection is a time: its ratio is bound / projected, at least 0.95 as in P1.
        row = at_least(f"P6 {records:,} records, one token", bound, projected, "days", 0.95,
                       note)
        rows.append(Row(row.benchmark, projected, bound, "days", row.ratio, row.target,
                        row.passed, note))
    return rows
