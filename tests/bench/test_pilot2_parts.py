"""The pure parts of P7 (``python -m bench --only pilot2``): the collection and the fault plan.

The run itself takes hours at full size and is not part of the suite; these check, in
seconds, that the generated collection has the 2019 shape and passes the product's own
prepare step, and that the fault plan's arithmetic gives the 2019 error rate and mix.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from bench.p6_scale import PILOT_RECORDS
from bench.pilot2 import collection as coll
from bench.pilot2.facts import Pilot2Facts, Pilot2Plan
from bench.pilot2.faults import (
    COMMIT_KINDS,
    ERROR_MIX,
    PILOT_ERRORS,
    FaultPlan,
    error_rate,
    plan_faults,
    sandbox_injects,
)
from bench.pilot2.measure import (
    TaskTry,
    cpu_by_task,
    failed_tasks,
    peak_rss_by_task,
    stage_spans,
    steady_uploads,
)
from bench.pilot2.rows import harvest_row, steady_row, waiting_row
from bench.pilot2.table4 import table_2019
from zenodo.config.collection_file import load_collections
from zenodo.engine.statistics import table4_total
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore
from zenodo.ledger.prepare import prepare_collection
from zenodo.source.extract import extract_records
from zenodo_sandbox.faults import FaultInjector, normalise


def test_rows_have_the_2019_meise_shape() -> None:
    rows = list(coll.specimen_rows(500, seed=7))
    assert rows == list(coll.specimen_rows(500, seed=7)), "the same seed, the same rows"
    assert [r[0] for r in rows] == list(range(1, 501))
    by_column = [dict(zip(coll.COLUMNS, row, strict=True)) for row in rows]
    barcodes = [r["catalogNumber"] for r in by_column]
    assert barcodes[0] == "BR0000005000000" and len(set(barcodes)) == 500
    assert all(b.startswith("BR0000") and len(b) == 15 and b[2:].isdigit() for b in barcodes)
    assert [r["occurrenceID"] for r in by_column] == coll.specimen_keys(500)
    assert by_column[0]["occurrenceID"] == (
        "http://www.botanicalcollections.be/specimen/BR0000005000000")
    assert all(r["scientificName"] and r["family"] for r in by_column)
    assert {r["imageFile"] for r in by_column} <= {coll.pool_name(i)
                                                  for i in range(coll.POOL_SIZE)}
    stamps = [r["modified"] for r in by_column]
    assert stamps == sorted(stamps) and len(set(stamps)) == 500, "one second apart"


def test_the_generated_collection_passes_prepare(tmp_path: Path) -> None:
    made = coll.generate(tmp_path, f"sqlite:///{tmp_path / 'src.db'}", 40, seed=3,
                         batch_size=10, concurrency=2)
    config = load_collections(made.collections_file)[coll.DAG_ID]
    assert (config.mapping, config.community) == ("pilot2", coll.COMMUNITY)
    records = list(extract_records(config))
    assert [r.key for r in records] == coll.specimen_keys(40)
    for record in records:
        (image,) = record.images
        assert image.name == f"{record.terms['catalogNumber']}.jpg"
        with Image.open(image.path) as picture:
            assert picture.format == "JPEG"
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.migrate()
    try:
        result = prepare_collection(config, ledger=ledger)
        payload = PayloadStore(ledger).get(coll.DAG_ID, records[0].key)
    finally:
        ledger.dispose()
    assert result.as_dict()["states"] == {"NEW": 40} and result.quarantined == []
    assert payload.metadata["title"] == (
        f"{records[0].terms['scientificName']} (BR0000005000000)")
    assert payload.metadata["related_identifiers"] == [
        {"identifier": records[0].key, "relation": "isAlternateIdentifier"}]
    assert payload.metadata["communities"] == [{"identifier": coll.COMMUNITY}]


@pytest.mark.postgres
def test_rows_go_into_postgresql_with_copy(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        coll.write_rows(engine, 2000, seed=11)
        with engine.connect() as conn:
            stored = conn.execute(sa.text(
                'SELECT id, "occurrenceID", "catalogNumber", "scientificName", family, '
                '"imageFile", modified FROM specimens ORDER BY id')).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in stored] == list(coll.specimen_rows(2000, seed=11))


def test_the_error_rate_is_2019s_spread_over_requests() -> None:
    assert math.isclose(error_rate(), PILOT_ERRORS / (PILOT_RECORDS * 3))
    assert round(100 * error_rate(), 3) == 1.366
    assert math.isclose(plan_faults(PILOT_RECORDS, seed=1).expected_errors, PILOT_ERRORS)
    assert math.isclose(plan_faults(3000, seed=1).expected_errors,
                        3000 * PILOT_ERRORS / PILOT_RECORDS)
    assert sum(ERROR_MIX.values()) == 100


def test_404s_go_where_a_request_names_a_deposition_and_elsewhere_to_the_others() -> None:
    assert [s for s in ERROR_MIX if not sandbox_injects(s)] == []
    assert [s for s in ERROR_MIX if not sandbox_injects(s, "create")] == [404]
    plan = plan_faults(3000, seed=1)
    assert plan.substituted == () and dict(plan.mix) == ERROR_MIX
    assert plan.rate == error_rate(), "the overall rate stays the 2019 one"
    assert Counter(plan.statuses("file_put")) == {404: 50, 500: 15, 502: 17, 504: 18}
    assert Counter(plan.statuses("oai")) == {500: 15, 502: 17, 504: 18}
    assert plan.commit_share("publish") == 0.18 and plan.commit_share("create") == 18 / 50
    assert "404 only where a request names a deposition" in plan.describe()
    only_5xx = plan_faults(3000, seed=1, injects=lambda status: status != 404)
    assert only_5xx.substituted == (404,) and "cannot inject 404" in only_5xx.describe()


def test_writes_commit_their_504s_and_keep_the_rate() -> None:
    plan = plan_faults(3000, seed=1)
    config = plan.config()
    normalise(config, 0.0)  # the sandbox accepts it
    for kind in COMMIT_KINDS:
        plain, commit = plan.write_rates(kind)
        assert math.isclose(plain + (1 - plain) * commit, plan.rate)
        assert math.isclose((1 - plain) * commit, plan.rate * plan.commit_share(kind))
        spec = config["kinds"][kind]
        assert 504 not in spec["error_statuses"] and spec["commit_fail_mode"] == "gateway"
    assert 404 in config["kinds"]["publish"]["error_statuses"]
    assert 404 not in config["kinds"]["create"]["error_statuses"]
    assert 404 not in config["kinds"]["*"]["error_statuses"]
    assert config["kinds"]["*"]["latency"] == config["kinds"]["get"]["latency"] == 0.05
    assert plan.quiet_config()["kinds"] == {"*": {"latency": 0.05}}


def test_the_sandbox_draws_the_planned_errors() -> None:
    plan = plan_faults(3000, seed=5)
    injector = FaultInjector(plan.config(), clock=lambda: 0.0)
    draws = 60_000
    for kind in ("create", "file_put", "publish"):
        for _ in range(draws):
            injector.decide(kind)
    counts = injector.injected
    errors = sum(counts.values())
    expected = 3 * draws * plan.rate
    assert abs(errors - expected) < 4 * math.sqrt(expected), (counts, expected)
    commits = counts["commit_then_fail_gateway"]
    expected_commits = draws * plan.rate * (plan.commit_share("create")
                                            + plan.commit_share("publish"))
    assert abs(commits - expected_commits) < 4 * math.sqrt(expected_commits), counts
    assert set(counts) == {"error_404", "error_500", "error_502", "error_504",
                           "commit_then_fail_gateway"}


def test_the_plan_scales_batches_and_outage() -> None:
    full = Pilot2Plan.for_size(PILOT_RECORDS, 180.0)
    assert full.outage == 180.0 and full.batch_size == 5000
    assert full.threads_total == 16 and round(full.bound_estimate, 1) == 106.7
    small = Pilot2Plan.for_size(3000, 180.0)
    assert small.batch_size == 750 and small.outage == 30.0
    assert Pilot2Plan.for_size(50, 180.0).batch_size == 100
    eight = Pilot2Plan.for_size(PILOT_RECORDS, 180.0, threads=8)
    assert eight.threads_total == 32 and eight.batch_size == 5000


def test_stage_spans_and_memory_per_task() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    tries = [TaskTry("a", "upload", 0, 1, t0, t0 + timedelta(seconds=50), "failed"),
             TaskTry("b", "upload", 0, 2, t0 + timedelta(seconds=60),
                     t0 + timedelta(seconds=90), "success"),
             TaskTry("c", "upload", 1, 1, t0 + timedelta(seconds=5),
                     t0 + timedelta(seconds=70), "success"),
             TaskTry("d", "report", -1, 1, None, None, "queued")]
    assert stage_spans(tries) == {"upload": (t0, t0 + timedelta(seconds=90))}
    assert peak_rss_by_task({"a": 10, "b": 30, "c": 20, "x": 99}, tries) == {"upload": 30}
    history = [*tries, TaskTry("b", "upload", 0, 2, None, None, "success")]  # listed twice
    assert cpu_by_task({"a": 1.0, "b": 2.5, "c": 3.0}, history) == {"upload": 6.5}
    # upload[0] failed its first try and its retry finished it: not a failed task
    assert failed_tasks(history) == ([], ["upload[0]"])
    last_failed = [*tries, TaskTry("e", "upload", 1, 2, None, None, "failed")]
    assert failed_tasks(last_failed) == (["upload[1]"], ["upload[0]"])


def test_the_2019_table4_lines() -> None:
    batch, pilot = table_2019().to_dict("records")
    assert batch["t/n"] == 2.501 and batch["records/min"] == round(6205 / 30009 * 60, 2)
    assert pilot["n"] == PILOT_RECORDS and pilot["errors"] == PILOT_ERRORS
    assert pilot["t/n"] == round(11.696 * 86_400 / PILOT_RECORDS, 3)


def test_the_harvest_row_allows_the_pages_its_reconcile_task_says_it_asked_again() -> None:
    plan = Pilot2Plan.for_size(100, 30.0)
    facts = Pilot2Facts(plan, FaultPlan(100, 0.0, {}, (), 0.05, 1), "celery", 0.1,
                        runs={"reconcile": ("r2", "success")}, run_seconds={"reconcile": 9.0})
    ok = {"kind": "oai", "status": 200}
    # 3 pages; one asked again after a lost answer the sandbox logged as 200
    facts.harvest_log = {"requests": [ok, ok, ok, ok]}
    facts.harvest_summary = {"requests": 3, "retries": 1}
    row = harvest_row(facts)
    assert (row.measured, row.bound, row.passed) == (4, 4, True)
    facts.harvest_summary = {"requests": 3, "retries": 0}
    assert not harvest_row(facts).passed  # an extra request the task did not own up to
    facts.harvest_summary = {}  # an older XCom: the answered errors are counted instead
    facts.harvest_log = {"requests": [ok, ok, ok, {"kind": "oai", "status": 503}]}
    assert harvest_row(facts).passed


def _batch_row(batch_id: str, threads: int, seconds: float, requests: int,
               waited: float | None) -> dict[str, object]:
    """A ``batch_stats`` row as the bench reads it back."""
    start = datetime(2026, 12, 7, tzinfo=UTC)
    return {"batch_id": batch_id, "specimens": 100, "concurrency": threads, "errors": 0,
            "failed": 0, "published": 100, "bytes_sent": 0, "requests": requests,
            "paused_seconds": 0.0, "zenodo_seconds": waited, "started_at": start,
            "ended_at": start + timedelta(seconds=seconds)}


def test_the_waiting_row_is_the_share_of_the_batches_worker_time_spent_on_answers() -> None:
    plan = Pilot2Plan.for_size(100, 30.0)
    facts = Pilot2Facts(plan, FaultPlan(100, 0.0, {}, (), 0.05, 1), "celery", 0.1)
    # 8 threads x 100 s, 4 threads x 50 s and 2 x 100 s: 1,200 worker-seconds; the last batch
    # was recorded before the wait was kept
    facts.batches = [_batch_row("b1", 8, 100, 4000, 500.0), _batch_row("b2", 4, 50, 1000, 100.0),
                     _batch_row("b3", 2, 100, 0, None)]
    facts.latency = 0.09
    row = waiting_row(facts)
    assert (row.measured, row.bound, row.scored) == (50.0, 100.0, False)
    assert "120.0 ms a request as the workers waited for it, 90.0 ms as the sandbox" in row.note
    # the same share as Table 4's total line
    assert table4_total(facts.batches)["on Zenodo (%)"].iloc[0] == 50.0


def test_the_steady_row_counts_publishes_from_the_first_tenth_to_the_outage() -> None:
    from zenodo_sandbox.middleware import RequestLog

    kinds = ("create", "file_put", "publish")
    # 100 publishes, one a second from t=0, each after a create and a PUT; the creates 60 ms,
    # the PUTs 80 ms, the publishes 100 ms; one publish answered with an injected 504. The
    # sandbox's log keeps the last 10 requests of these 301, its tally counts them all (at
    # full size the log held the last quarter of run 1, and the latency of that quarter
    # stood for the whole stage's).
    log = RequestLog(size=10)
    for t in range(100):
        for entry in ({"kind": "create", "time": t - 0.5, "latency_ms": 60.0, "status": 201},
                      {"kind": "file_put", "time": t - 0.3, "latency_ms": 80.0, "status": 200},
                      {"kind": "publish", "time": float(t), "latency_ms": 100.0,
                       "status": 202}):
            log.add({**entry, "fault": None})
    log.add({"kind": "publish", "time": 15.5, "latency_ms": 5.0, "status": 504,
             "fault": "error_504"})
    assert (len(log.entries()), log.dropped) == (10, 291)
    tally = log.tally()
    assert sum(row["count"] for row in tally) == 301
    steady = steady_uploads(tally, 50.0, kinds)
    assert steady is not None
    assert (steady.seconds, steady.rate) == (40.0, 1.0)  # the seconds 10 to 49
    assert steady.latency == pytest.approx(0.080, abs=0.001)  # the 504 left out
    assert steady_uploads(tally, None, kinds).seconds == 35.0  # no outage: to the 45th
    plan = Pilot2Plan.for_size(100, 30.0, 8)
    facts = Pilot2Facts(plan, FaultPlan(100, 0.0, {}, (), 0.05, 1), "celery", 0.1,
                        steady=steady)
    (row,) = steady_row(facts)
    assert row.bound == pytest.approx(plan.threads_total / (3 * 0.080), rel=0.02)
    assert not row.scored
    facts.steady = None
    assert steady_row(facts) == []


def test_the_upload_latency_is_the_whole_stage_s_read_off_the_tally() -> None:
    from bench.pilot2.runner import upload_latency
    from zenodo_sandbox.middleware import RequestLog

    log = RequestLog(size=3)
    for t, latency in enumerate([60.0] * 50 + [90.0] * 50):  # the store grows, answers slow
        log.add({"kind": "create", "time": float(t), "latency_ms": latency, "status": 201,
                 "fault": None})
    log.add({"kind": "publish", "time": 70.0, "latency_ms": 1.0, "status": 503,
             "fault": "outage"})
    log.add({"kind": "oai", "time": 71.0, "latency_ms": 500.0, "status": 200, "fault": None})
    facts = Pilot2Facts(Pilot2Plan.for_size(100, 30.0, 8), FaultPlan(100, 0.0, {}, (), 0.05, 1),
                        "celery", 0.1)
    assert upload_latency(log.tally(), facts) == pytest.approx(0.075)
