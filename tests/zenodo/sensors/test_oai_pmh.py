"""The feed sensor waits until the community feed shows what the run published."""

from __future__ import annotations

import time

import pytest
from airflow.sdk.exceptions import AirflowSkipException

from tests.zenodo.airflow_helpers import COLLECTION, task_context
from zenodo.ledger.ledger import Ledger
from zenodo.operators.upload import ZenodoUploadBatchOperator
from zenodo.sensors.oai_pmh import OaiPmhFeedSensor
from zenodo_demo.sample import SampleInfo
from zenodo_sandbox.testing import SandboxProcess


def publish(keys: list[str]) -> list[dict]:
    batches = [{"batch_id": "b0000", "keys": keys}]
    task = ZenodoUploadBatchOperator(task_id="upload", collection_id=COLLECTION)
    task.batch = batches[0]
    task.execute(task_context(concurrency=4))
    return batches


def sensor() -> OaiPmhFeedSensor:
    return OaiPmhFeedSensor(task_id="wait_for_feed", collection_id=COLLECTION)


def test_sensor_waits_for_the_feed_then_succeeds(
    prepared: SampleInfo, ledger: Ledger, sandbox: SandboxProcess
) -> None:
    sandbox.admin.set_delays(oai=3)  # the feed lags 3 s behind the records
    batches = publish(prepared.valid_keys)
    context = task_context("wait_for_feed", -1, xcoms={"plan": batches})
    sandbox.admin.clear_requests()
    assert sensor().poke(context) is False
    assert sandbox.admin.requests(kind="oai")["total"] == 1, "one request per poke"
    time.sleep(3.5)
    assert sensor().poke(context) is True


def test_sensor_has_nothing_to_wait_for_without_published_records(prepared: SampleInfo) -> None:
    context = task_context("wait_for_feed", -1, xcoms={"plan": []})
    assert sensor().poke(context) is True


def test_sensor_skips_dry_and_reconcile_only_runs(prepared: SampleInfo) -> None:
    for params in ({"dry_run": True}, {"reconcile_only": True}):
        with pytest.raises(AirflowSkipException):
            sensor().poke(task_context("wait_for_feed", -1, **params))


def test_sensor_defaults_to_reschedule_and_soft_fail() -> None:
    task = sensor()
    assert task.mode == "reschedule" and task.soft_fail is True
