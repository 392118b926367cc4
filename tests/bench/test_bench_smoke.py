"""Smoke test of the benchmark suite: the quick sizes, real sandbox processes, real ledgers.

Runs the benchmarks whose targets do not depend on this machine's speed (P1 feeds P6's
arithmetic; P4's and P8's memory, P5's request counts and R2's exactly-once counts are
exact), checks that the table is produced with every row, and that those targets hold. The
timing ratios (P1-P4 and P8 throughput) are printed by ``make bench``, not asserted here.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from bench.__main__ import run_suite
from bench.common import QUICK, Row, at_least, at_most, for_context, format_table
from bench.p5_reconcile import full_harvest_bound
from bench.p6_scale import PILOT_RECORDS, days

SMOKE = ("p1", "p4", "p5", "p6", "r2", "p8")
#: The quick sizes, with P1 and R2 trimmed further to keep ``make test`` fast: P1's window is
#: 10 s (500 requests, Zenodo's 3,000 a minute), so filling it first costs 10 s, not 60.
SIZES = replace(QUICK, p1_specimens=100, p1_limit=500, p1_window=10, r2_specimens=30)


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[Row]:
    """The rows of one quick run of the cheap benchmarks."""
    return run_suite(SIZES, SMOKE, work=tmp_path_factory.mktemp("bench"))


def by_name(rows: list[Row]) -> dict[str, Row]:
    """Rows keyed by their benchmark name."""
    return {row.benchmark: row for row in rows}


def test_the_table_has_a_row_per_figure(rows: list[Row]) -> None:
    table = format_table(rows)
    header = table.splitlines()[0]
    assert [c.strip() for c in header.split("|")] == [
        "benchmark", "measured", "bound", "ratio", "target", "pass"]
    for row in rows:
        assert row.benchmark in table
    names = set(by_name(rows))
    assert {"P1 rate-limited records/min", "P1 429s share of requests",
            "P4 peak RSS of uploading process", "P5 full harvest requests",
            "P8 S3 image MB/s vs plain GET->PUT", "P8 peak RSS of S3 uploading process",
            "P5 incremental, nothing new", "R2 published exactly once", "R2 duplicates",
            "R2 lost", "R2 ledger != sandbox"} <= names
    assert sum(name.startswith("P6 ") for name in names) == 2


def test_cheap_targets_hold(rows: list[Row]) -> None:
    found = by_name(rows)
    for name in ("P4 peak RSS of uploading process", "P8 peak RSS of S3 uploading process",
                 "P5 full harvest requests",
                 "P5 incremental, nothing new", "R2 published exactly once", "R2 duplicates",
                 "R2 lost", "R2 ledger != sandbox"):
        assert found[name].passed, f"{name}: {found[name]}"
    assert found["P5 full harvest requests"].measured == full_harvest_bound(SIZES.p5_records)
    assert found["P1 429s share of requests"].measured <= 1.0


def test_p6_projects_from_p1(rows: list[Row]) -> None:
    pilot = by_name(rows)[f"P6 {PILOT_RECORDS:,} records, one token"]
    assert math.isclose(pilot.bound, PILOT_RECORDS * 3 / 5000 / 24)
    assert pilot.measured >= pilot.bound * 0.99  # nothing beats the bound


def test_rows_pass_or_fail_by_their_target() -> None:
    assert at_least("x", 95, 100, "", 0.95).passed
    assert not at_least("x", 94, 100, "", 0.95).passed
    assert at_most("x", 0, 0, "").passed and at_most("x", 0, 0, "").ratio is None
    assert not at_most("x", 1, 0, "").passed
    assert at_most("x", 41, 41, "req").ratio == 1.0


def test_the_bounds_are_the_documented_arithmetic() -> None:
    assert full_harvest_bound(2000) == 41  # exact multiple of 50: one more page
    assert full_harvest_bound(2001) == 41
    assert full_harvest_bound(49) == 1
    assert math.isclose(days(281_372, 3, 1.0), 7.0343, rel_tol=1e-4)


def test_format_table_lists_notes() -> None:
    table = format_table([at_most("R2 lost", 0, 0, "", "killed at 20")])
    assert "notes:" in table and "R2 lost: killed at 20" in table


def test_a_context_row_shows_its_ratio_and_no_verdict() -> None:
    row = for_context("P3 no limit", 120, 100, "rec/min", "both latency-bound")
    assert row.passed and not row.scored and row.ratio == 1.2
    line = format_table([row]).splitlines()[2]
    assert [c.strip() for c in line.split("|")][3:] == ["1.200", "-", "-"]
