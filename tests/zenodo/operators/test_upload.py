"""The upload operator publishes a batch once, however often its task is run."""

from __future__ import annotations

import time
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowSkipException

from tests.zenodo.airflow_helpers import COLLECTION, COMMUNITY, planned_batch, task_context
from tests.zenodo.payload_factory import published_by_key
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo.operators.plan import batch_summary
from zenodo.operators.upload import ZenodoUploadBatchOperator, batch_label
from zenodo_demo.sample import SampleInfo
from zenodo_sandbox.testing import SandboxProcess


def operator() -> ZenodoUploadBatchOperator:
    return ZenodoUploadBatchOperator(task_id="upload", collection_id=COLLECTION,
                                     lookup_waits=(0.2, 0.5))


def test_batch_label_names_the_batch_and_its_key_range() -> None:
    assert batch_label(batch_summary("b0002", ["a", "b", "c"])) == "b0002: 3 specimens (a .. c)"
    assert batch_label(batch_summary("b0001", ["a"])) == "b0001: 1 specimens (a)"
    assert batch_label(batch_summary("b0003", [])) == "b0003: empty"


def test_running_a_batch_twice_publishes_each_specimen_once(
    prepared: SampleInfo, ledger: Ledger, sandbox: SandboxProcess
) -> None:
    ledger.save_plan(COLLECTION, "manual__test", [[], prepared.valid_keys])
    task = operator()
    task.batch = batch_summary("b0001", prepared.valid_keys)
    context: dict[str, Any] = task_context(concurrency=3, publish=True)
    first = task.execute(context)
    assert first["batch_id"] == "b0001"
    assert first["outcomes"] == {"published": len(prepared.valid_keys)}
    assert context["batch_label"].startswith("b0001: ")
    assert context["ti"].pushed == {  # the community link, worked out once while running
        "_link_ZenodoCommunityLink": f"{sandbox.url}/communities/{COMMUNITY}"}
    sandbox.admin.clear_requests()
    second = task.execute(task_context(concurrency=3, publish=True))  # a cleared task's rerun
    assert second["outcomes"] == {"published": len(prepared.valid_keys)}
    log = sandbox.admin.requests()
    assert log["total"] == 0, "nothing was sent again"
    assert sandbox.admin.counts()["by_state"] == {"done": len(prepared.valid_keys)}
    assert all(ledger.get(COLLECTION, k).state == State.PUBLISHED for k in prepared.valid_keys)


def test_a_batch_with_unfinished_specimens_fails_its_task(
    prepared: SampleInfo, ledger: Ledger, sandbox: SandboxProcess
) -> None:
    sandbox.admin.set_faults({"seed": 1, "kinds": {"create": {"error_rate": 1.0}}})
    task = operator()
    task.batch = planned_batch(ledger, prepared.valid_keys[:3])
    with pytest.raises(AirflowException, match="b0000: 3 of 3 specimens not done"):
        task.execute(task_context(concurrency=2))
    assert sandbox.admin.counts()["total"] == 0


def test_a_batch_whose_plan_a_newer_run_replaced_is_skipped(
    prepared: SampleInfo, ledger: Ledger, sandbox: SandboxProcess
) -> None:
    task = operator()
    task.batch = planned_batch(ledger, prepared.valid_keys[:3])
    ledger.save_plan(COLLECTION, "scheduled__newer", [prepared.valid_keys])
    with pytest.raises(AirflowSkipException, match="run manual__test has no plan any more"):
        task.execute(task_context(concurrency=2))
    assert sandbox.admin.counts()["total"] == 0


def test_a_batch_hands_what_it_would_wait_for_to_a_batch_not_started(
    prepared: SampleInfo, ledger: Ledger, sandbox: SandboxProcess
) -> None:
    # A third of the creates are made, then their answers lost (504): each of those waits
    # 3 s for the search index. The first batch hands them to the second, not started yet,
    # instead of holding its task for them; the second looks them up and publishes them.
    sandbox.admin.set_faults({"seed": 4, "kinds": {"create": {
        "commit_then_fail": 0.35, "commit_fail_mode": "gateway"}}})
    keys = prepared.valid_keys
    first, second = keys[:10], keys[10:]
    ledger.save_plan(COLLECTION, "manual__test", [first, second])
    task = ZenodoUploadBatchOperator(task_id="upload", collection_id=COLLECTION,
                                     lookup_waits=(3.0, 3.0))
    task.batch = batch_summary("b0000", first)
    started = time.monotonic()
    summary = task.execute(task_context(concurrency=4))
    assert time.monotonic() - started < 3.0, "the first batch did not wait for the lookups"
    handed = summary["outcomes"].get("handed_over", 0)
    assert handed >= 1 and summary["outcomes"] == {"published": 10 - handed,
                                                   "handed_over": handed}
    assert summary["failures"] == []
    taken = ledger.planned_keys(COLLECTION, "manual__test", "b0001") or []
    assert taken[handed:] == second and set(taken[:handed]) <= set(first)
    assert ledger.planned_keys(COLLECTION, "manual__test", "b0000") == [
        k for k in first if k not in taken]
    for key in taken[:handed]:
        row = ledger.get(COLLECTION, key)
        assert row.state == State.UNKNOWN and row.lease_owner is None

    task.batch = batch_summary("b0001", second)
    summary = task.execute(task_context(concurrency=4))  # the last batch: it waits
    assert summary["outcomes"] == {"published": len(taken)}
    published = published_by_key([d for d in sandbox.admin.depositions() if d["submitted"]])
    assert sorted(published) == sorted(keys)
    assert all(len(records) == 1 for records in published.values()), "each specimen once"
    assert all(ledger.get(COLLECTION, k).state == State.PUBLISHED for k in keys)
