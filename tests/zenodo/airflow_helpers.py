"""Helpers for running operators and sensors outside a DAG: a sample wired to the sandbox."""

from __future__ import annotations

import pathlib
from types import SimpleNamespace
from typing import Any

import pytest

from zenodo.config.collection_file import load_collections
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.prepare import prepare_collection
from zenodo.operators.plan import batch_summary
from zenodo_demo.sample import SampleInfo, generate_sample
from zenodo_sandbox.testing import SandboxProcess

COLLECTION = "herbarium_sample"
COMMUNITY = "herbarium-sample"


def task_context(task_id: str = "upload", map_index: int = 0, xcoms: dict[str, Any] | None = None,
                 **params: Any) -> dict[str, Any]:
    """A minimal task context: params, a task instance and the run id.

    The task instance answers ``xcom_pull`` from ``xcoms`` (task id → value) and keeps what
    the task pushes in ``ti.pushed`` (key → value).
    """
    values = dict(xcoms or {})
    pushed: dict[str, Any] = {}
    ti = SimpleNamespace(dag_id=COLLECTION, run_id="manual__test", task_id=task_id,
                         map_index=map_index, try_number=1, pushed=pushed,
                         xcom_pull=lambda task_ids, key="return_value": values.get(task_ids),
                         xcom_push=lambda key, value: pushed.__setitem__(key, value))
    return {"params": params, "ti": ti, "run_id": "manual__test"}


def planned_batch(ledger: Ledger, keys: list[str], batch: str = "b0000") -> dict[str, Any]:
    """Save ``keys`` as the test run's plan (one batch) and return its summary, as plan does."""
    ledger.save_plan(COLLECTION, "manual__test", [keys])
    return batch_summary(batch, keys)


@pytest.fixture
def prepared(sandbox: SandboxProcess, ledger: Ledger, tmp_path: pathlib.Path,
             monkeypatch: pytest.MonkeyPatch) -> SampleInfo:
    """A 20-row sample prepared into ``ledger``; runtime settings point at it and the sandbox."""
    sample = generate_sample(tmp_path / "sample", n=20, hostile_share=0.1, seed=3)
    env = {**sample.env(), "SAMPLE_COMMUNITY": COMMUNITY, "ZENODO_LEDGER_URL": ledger.url,
           "ZENODO_CACHE_DIR": str(tmp_path / "cache"),
           "ZENODO_REPORTS_DIR": str(tmp_path / "reports"),
           "AIRFLOW_CONN_ZENODO_DEFAULT": sandbox.connection_json()}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    prepare_collection(load_collections()[COLLECTION], ledger=ledger)
    return sample
