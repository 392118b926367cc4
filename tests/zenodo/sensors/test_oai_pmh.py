"""The feed sensor waits until the community feed shows what the run published."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest
from airflow.sdk.exceptions import AirflowSkipException

from tests.zenodo.airflow_helpers import COLLECTION, planned_batch, task_context
from zenodo.harvest.harvester import format_datestamp
from zenodo.ledger.ledger import Ledger
from zenodo.operators.upload import ZenodoUploadBatchOperator
from zenodo.sensors import oai_pmh
from zenodo.sensors.oai_pmh import OaiPmhFeedSensor
from zenodo_demo.sample import SampleInfo
from zenodo_sandbox.testing import SandboxProcess


def publish(ledger: Ledger, keys: list[str]) -> None:
    task = ZenodoUploadBatchOperator(task_id="upload", collection_id=COLLECTION)
    task.batch = planned_batch(ledger, keys)
    task.execute(task_context(concurrency=4))


def sensor() -> OaiPmhFeedSensor:
    return OaiPmhFeedSensor(task_id="wait_for_feed", collection_id=COLLECTION)


def test_sensor_waits_for_the_feed_then_succeeds(
    prepared: SampleInfo, ledger: Ledger, sandbox: SandboxProcess
) -> None:
    sandbox.admin.set_delays(oai=3)  # the feed lags 3 s behind the records
    publish(ledger, prepared.valid_keys)
    context = task_context("wait_for_feed", -1)
    sandbox.admin.clear_requests()
    assert sensor().poke(context) is False
    assert sandbox.admin.requests(kind="oai")["total"] == 1, "one request per poke"
    time.sleep(3.5)
    assert sensor().poke(context) is True


def test_sensor_has_nothing_to_wait_for_without_published_records(
    prepared: SampleInfo, ledger: Ledger
) -> None:
    assert sensor().poke(task_context("wait_for_feed", -1)) is True  # no plan
    ledger.save_plan(COLLECTION, "manual__test", [])
    assert sensor().poke(task_context("wait_for_feed", -1)) is True  # an empty plan


def test_sensor_skips_dry_and_reconcile_only_runs(prepared: SampleInfo) -> None:
    for params in ({"dry_run": True}, {"reconcile_only": True}):
        with pytest.raises(AirflowSkipException):
            sensor().poke(task_context("wait_for_feed", -1, **params))


def test_sensor_defaults_to_reschedule_and_soft_fail() -> None:
    task = sensor()
    assert task.mode == "reschedule" and task.soft_fail is True


def test_sensor_asks_the_feed_only_for_the_runs_newest_records(
    prepared: SampleInfo, ledger: Ledger, sandbox: SandboxProcess,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 281,372 records a poke that lists everything the run published is 5,628 pages.
    monkeypatch.setattr(oai_pmh, "FEED_SAMPLE", 5)
    publish(ledger, prepared.valid_keys)
    sandbox.admin.clear_requests()
    assert sensor().poke(task_context("wait_for_feed", -1)) is True

    newest = ledger.newest_published(COLLECTION, datetime(2000, 1, 1, tzinfo=UTC), 5)
    assert len(newest) == 5 < len(prepared.valid_keys)
    [request] = sandbox.admin.requests(kind="oai")["requests"]
    asked = dict(parse_qsl(request["query"]))["from"]
    expected = min(row.updated_at for row in newest) - timedelta(minutes=5)
    assert asked == format_datestamp(expected)
