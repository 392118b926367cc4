"""Batch statistics: the ledger's batch row agrees with what the sandbox really saw."""

from __future__ import annotations

import math
import pathlib
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.zenodo.engine_helpers import run_batch
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.engine.statistics import (
    T4_COLUMNS,
    error_kind,
    load_batches,
    lookup_totals,
    table4,
    table4_total,
    table5,
    zenodo_wait,
)
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore
from zenodo_sandbox.testing import SandboxProcess, fault_mix

FAULTS = fault_mix(seed=424242, error_rate=0.06, commit_then_fail=0.08)


def test_the_batch_row_equals_the_sandbox_request_log_with_faults_on(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(ledger, tmp_path, 60)
    sandbox.admin.set_faults(FAULTS)
    result = run_batch(ledger, zenodo_hook, keys, concurrency=4, batch_id="b1",
                       actor={"run_id": "run-1"})
    log = sandbox.admin.requests()
    (row,) = load_batches(ledger, COLLECTION, "run-1")
    entries = log["requests"]
    statuses = Counter(e["status"] for e in entries)

    assert row["requests"] == log["total"] == len(entries)
    assert row["errors_by_status"] == {
        str(s): n for s, n in statuses.items() if 400 <= s < 599
    }
    assert row["errors_by_kind"].get("reset", 0) == statuses.get(599, 0) > 0
    assert row["errors"] == sum(n for s, n in statuses.items() if s >= 400)
    assert row["specimens"] == 60 and row["concurrency"] == 4 and row["batch_id"] == "b1"
    assert row["published"] == result.outcomes.get("published", 0)
    assert row["published"] + row["failed"] + row["quarantined"] == 60
    store = PayloadStore(ledger)
    file_bytes = sum(f.size for k in keys for f in store.get(COLLECTION, k).files)
    assert row["bytes_sent"] > file_bytes, "every file at least once, plus the JSON bodies"
    # A lookup follows a create/publish whose answer was lost (5xx or dropped), at most one each.
    lost_writes = [e for e in entries if e["kind"] in ("create", "publish") and e["status"] >= 500]
    assert 0 < row["lookups"] == sum(row["lookup_results"].values()) <= len(lost_writes)
    assert sum(row["timeline"]["requests"]) == row["requests"]
    assert sum(row["timeline"]["errors"]) == row["errors"]
    assert row["ended_at"] > row["started_at"]
    # The workers' wait for answers: at least what the sandbox spent on them, at most the
    # batch's worker time.
    served = sum(e["latency_ms"] for e in entries) / 1000
    batch_seconds = (row["ended_at"] - row["started_at"]).total_seconds()
    assert served <= row["zenodo_seconds"] <= 4 * batch_seconds


def test_tables_4_and_5_of_a_real_run_of_two_batches(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(ledger, tmp_path, 24)
    sandbox.admin.set_faults(FAULTS)
    for batch, part in (("b1", keys[:12]), ("b2", keys[12:])):
        run_batch(ledger, zenodo_hook, part, concurrency=3, batch_id=batch,
                  actor={"run_id": "run-2"})
    rows = load_batches(ledger, COLLECTION, "run-2")
    statuses = Counter(e["status"] for e in sandbox.admin.requests()["requests"])

    t4 = table4(rows)
    assert tuple(t4.columns) == T4_COLUMNS and t4["batch"].tolist() == ["b1", "b2"]
    for line, row in zip(t4.to_dict("records"), rows, strict=True):
        seconds = (row["ended_at"] - row["started_at"]).total_seconds()
        assert (line["n"], line["c"], line["errors"], line["unsuccess"], line["requests"]) == (
            12, 3, row["errors"], row["failed"], row["requests"])
        assert line["t (s)"] == round(seconds, 1) and line["t/n"] == round(seconds / 12, 3)
        assert line["records/min"] == round(row["published"] / seconds * 60, 2)
        assert line["MB/s"] == round(row["bytes_sent"] / seconds / 1e6, 3)
    (total,) = table4_total(rows).to_dict("records")
    span = (rows[1]["ended_at"] - rows[0]["started_at"]).total_seconds()
    assert (total["batch"], total["n"], total["c"], total["t (s)"]) == (
        "total", 24, 3, round(span, 1))
    assert total["errors"] == sum(statuses[s] for s in statuses if s >= 400) > 0
    assert total["requests"] == sum(statuses.values())
    assert total["records/min"] == round(sum(r["published"] for r in rows) / span * 60, 2)
    for line, row in zip(t4.to_dict("records"), rows, strict=True):
        seconds = (row["ended_at"] - row["started_at"]).total_seconds()
        assert 0 < line["on Zenodo (%)"] == round(100 * row["zenodo_seconds"] / (3 * seconds), 1)
    worker_time = sum(3 * (r["ended_at"] - r["started_at"]).total_seconds() for r in rows)
    assert total["on Zenodo (%)"] == round(
        100 * sum(r["zenodo_seconds"] for r in rows) / worker_time, 1)
    waited, workers = zenodo_wait(rows)
    assert workers == pytest.approx(worker_time)
    assert waited == pytest.approx(sum(r["zenodo_seconds"] for r in rows))
    assert table4_total(rows[:1]).empty

    t5 = table5(rows)
    names = {599: "reset"}
    expected = Counter({names.get(s, str(s)): n for s, n in statuses.items() if s >= 400})
    assert dict(zip(t5["status"], t5["n"], strict=True)) == expected
    assert t5["n"].is_monotonic_decreasing and 98 <= t5["%"].sum() <= 102
    assert lookup_totals(rows) == dict(
        sum((Counter(r["lookup_results"]) for r in rows), Counter()))


def test_table4_and_table5_of_the_2019_pilot_batch() -> None:
    """Batch1605 of the 2019 report: 12,000 specimens, 8 threads, 30,009 s, 5,804 errors."""
    start = datetime(2019, 5, 16, 8, tzinfo=UTC)
    rows = [{
        "batch_id": "Batch1605", "specimens": 12000, "concurrency": 8, "started_at": start,
        "ended_at": start + timedelta(seconds=30009), "errors": 5804, "failed": 5795,
        "published": 6205, "bytes_sent": 30_009_000_000, "requests": 40000,
        "paused_seconds": 0.0, "errors_by_status": {"404": 5000, "504": 800, "500": 4},
        "errors_by_kind": {"4xx": 5000, "5xx": 804},
    }]
    (t4,) = table4(rows).to_dict("records")
    assert t4["n"] == 12000 and t4["c"] == 8 and t4["t (s)"] == 30009.0
    assert t4["t/n"] == 2.501 and t4["errors"] == 5804 and t4["unsuccess"] == 5795
    assert t4["MB/s"] == 1.0 and t4["records/min"] == round(6205 / 30009 * 60, 2)
    assert table5(rows).to_dict("records") == [{"status": "404", "n": 5000, "%": 86},
                                               {"status": "504", "n": 800, "%": 14},
                                               {"status": "500", "n": 4, "%": 0}]
    assert math.isnan(t4["on Zenodo (%)"]), "not kept for a batch recorded before it was"
    empty = {**rows[0], "specimens": 0, "published": 0}
    assert math.isnan(table4([empty])["t/n"][0]), "no seconds per specimen without specimens"
    assert table4([]).empty and table5([]).empty and lookup_totals([]) == {}


def test_error_kinds() -> None:
    assert error_kind(200) is None and error_kind(None) is None
    assert error_kind(429) == "429" and error_kind(503) == "5xx" and error_kind(404) == "4xx"
    assert error_kind(None, "timeout") == "timeout" and error_kind(200, "reset") == "reset"
