"""The plan step: batches of keys that need work, and the run's params."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowSkipException

from tests.zenodo.airflow_helpers import COLLECTION, task_context
from zenodo.ledger.ledger import Ledger
from zenodo.operators.params import RunParams
from zenodo.operators.plan import MAX_BATCHES, ZenodoPlanOperator, plan_batches
from zenodo.store.tables import Specimen
from zenodo_demo.sample import SampleInfo


def test_plan_batches_cuts_keys_into_batches() -> None:
    batches, size = plan_batches([f"k{i}" for i in range(7)], 3)
    assert [len(b) for b in batches] == [3, 3, 1] and size == 3
    assert plan_batches([], 3) == ([], 3)
    with pytest.raises(ValueError, match="batch size"):
        plan_batches(["a"], 0)


def test_a_work_list_too_long_for_the_mapped_tasks_gets_bigger_batches() -> None:
    keys = [f"k{i:02d}" for i in range(10)]
    batches, size = plan_batches(keys, 1, max_batches=4)
    assert size == 3 and [len(b) for b in batches] == [3, 3, 3, 1]
    assert [k for b in batches for k in b] == keys, "every key planned, in order"


def test_a_whole_collection_is_planned_with_a_small_xcom(
    prepared: SampleInfo, ledger: Ledger
) -> None:
    # Before: every key went into the XCom and keys past 1,000 batches waited for another
    # run. 30,000 more keys of 60 characters at batch size 5: one run, under 200 kB of XCom.
    now = datetime.now(UTC)
    extra = [f"https://herbarium.example.org/specimen/BR{n:020d}" for n in range(30_000)]
    with ledger.engine.begin() as conn:
        conn.execute(sa.insert(Specimen.__table__), [
            {"collection": COLLECTION, "key": k, "state": "NEW", "files": [], "attempts": 0,
             "created_at": now, "updated_at": now} for k in extra])
    task = ZenodoPlanOperator(task_id="plan", collection_id=COLLECTION)
    batches = task.execute(task_context("plan", -1, batch_size=5))
    assert len(batches) == 969 <= MAX_BATCHES  # 30,018 keys at ceil(30,018 / 1,000) = 31
    assert {b["size"] for b in batches[:-1]} == {31}
    assert len(json.dumps(batches)) < 200_000
    planned = [k for b in batches
               for k in ledger.planned_keys(COLLECTION, "manual__test", b["batch_id"]) or []]
    assert planned == ledger.keys_needing_work(COLLECTION)
    assert len(planned) == len(extra) + len(prepared.valid_keys)


def test_run_params_read_the_trigger_form_with_defaults() -> None:
    params = RunParams.from_params({"limit": 5, "only_keys": "a b\nc", "publish": False})
    assert (params.limit, params.only_keys, params.publish) == (5, ("a", "b", "c"), False)
    assert params.full_scope is False
    assert RunParams.from_params(None) == RunParams()
    assert RunParams().full_scope is True


def test_plan_lists_the_valid_keys_and_moves_the_watermark(
    prepared: SampleInfo, ledger: Ledger
) -> None:
    task = ZenodoPlanOperator(task_id="plan", collection_id=COLLECTION,
                              prepared={"watermark": "2024-01-01T00:00:19"})
    batches = task.execute(task_context("plan", -1, batch_size=4))
    assert ledger.planned_keys(COLLECTION, "manual__test") == sorted(prepared.valid_keys)
    assert all(b["size"] <= 4 for b in batches)
    first = ledger.planned_keys(COLLECTION, "manual__test", batches[0]["batch_id"])
    assert first and (batches[0]["first"], batches[0]["last"]) == (first[0], first[-1])
    assert ledger.get_watermarks(COLLECTION).extract == "2024-01-01T00:00:19"


def test_plan_for_chosen_keys_keeps_the_watermark(prepared: SampleInfo, ledger: Ledger) -> None:
    task = ZenodoPlanOperator(task_id="plan", collection_id=COLLECTION,
                              prepared={"watermark": "2024-01-01T00:00:19"})
    chosen = prepared.valid_keys[:2]
    task.execute(task_context("plan", -1, only_keys=chosen))
    assert ledger.planned_keys(COLLECTION, "manual__test") == sorted(chosen)
    assert ledger.get_watermarks(COLLECTION).extract is None


def test_plan_skips_a_dry_run(prepared: SampleInfo) -> None:
    task = ZenodoPlanOperator(task_id="plan", collection_id=COLLECTION)
    with pytest.raises(AirflowSkipException):
        task.execute(task_context("plan", -1, dry_run=True))
