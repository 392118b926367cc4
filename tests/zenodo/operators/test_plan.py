"""The plan step: batches of keys that need work, and the run's params."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowSkipException

from tests.zenodo.airflow_helpers import COLLECTION, task_context
from zenodo.ledger.ledger import Ledger
from zenodo.operators.params import RunParams
from zenodo.operators.plan import ZenodoPlanOperator, plan_batches
from zenodo_demo.sample import SampleInfo


def test_plan_batches_cuts_keys_into_numbered_batches() -> None:
    batches = plan_batches([f"k{i}" for i in range(7)], 3)
    assert [b["batch_id"] for b in batches] == ["b0000", "b0001", "b0002"]
    assert [len(b["keys"]) for b in batches] == [3, 3, 1]
    assert plan_batches([], 3) == []
    assert len(plan_batches([f"k{i}" for i in range(10)], 1, max_batches=4)) == 4
    with pytest.raises(ValueError, match="batch size"):
        plan_batches(["a"], 0)


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
    keys = [k for b in batches for k in b["keys"]]
    assert sorted(keys) == sorted(prepared.valid_keys)
    assert all(len(b["keys"]) <= 4 for b in batches)
    assert ledger.get_watermarks(COLLECTION).extract == "2024-01-01T00:00:19"


def test_plan_for_chosen_keys_keeps_the_watermark(prepared: SampleInfo, ledger: Ledger) -> None:
    task = ZenodoPlanOperator(task_id="plan", collection_id=COLLECTION,
                              prepared={"watermark": "2024-01-01T00:00:19"})
    chosen = prepared.valid_keys[:2]
    batches = task.execute(task_context("plan", -1, only_keys=chosen))
    assert [k for b in batches for k in b["keys"]] == sorted(chosen)
    assert ledger.get_watermarks(COLLECTION).extract is None


def test_plan_skips_a_dry_run(prepared: SampleInfo) -> None:
    task = ZenodoPlanOperator(task_id="plan", collection_id=COLLECTION)
    with pytest.raises(AirflowSkipException):
        task.execute(task_context("plan", -1, dry_run=True))
