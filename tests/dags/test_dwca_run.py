"""A real Airflow run (``dag.test()``) of a collection whose source is a Darwin Core Archive.

The sample collection is written as a DwC-A (Occurrence core, Audubon Core multimedia); a
collections file names only that archive, and what is published is read from the sandbox's
admin API.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from tests.dags.conftest import DWCA_DAG_ID, run_dwca_collection, task_states
from tests.zenodo.payload_factory import published_by_key
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore
from zenodo.ledger.states import State
from zenodo_demo.sample import generate_sample
from zenodo_demo.sample_dwca import sample_archive
from zenodo_sandbox.testing import SandboxProcess


def test_a_dwca_collection_is_published_to_the_sandbox(
    airflow_db: None, sandbox: SandboxProcess, tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str,
) -> None:
    sample = generate_sample(tmp_path / "sample", n=40, hostile_share=0.2, seed=11)
    run = run_dwca_collection(monkeypatch, tmp_path, sandbox, sqlite_url,
                              archive=sample_archive(sample), image_root=sample.image_root)
    assert str(run.state) == "success", task_states(run)

    ledger = Ledger(sqlite_url)
    try:
        _assert_published(sandbox, ledger, sample)
    finally:
        ledger.dispose()


def _assert_published(sandbox: SandboxProcess, ledger: Ledger, sample: Any) -> None:
    by_key = published_by_key([d for d in sandbox.admin.depositions() if d["submitted"]])
    valid = set(sample.valid_keys)
    assert set(by_key) == valid, "every valid specimen of the archive published, nothing else"
    assert {k: len(v) for k, v in by_key.items() if len(v) > 1} == {}, "no duplicates"
    store = PayloadStore(ledger)
    for key in valid:
        (deposition,) = by_key[key]
        payload = store.get(DWCA_DAG_ID, key)
        assert {(f["key"], f["md5"]) for f in deposition["files"]} == {
            (f.name, f.md5) for f in payload.files}
        assert deposition["metadata"]["title"] == payload.metadata["title"]
        row = ledger.get(DWCA_DAG_ID, key)
        assert row.state in (State.PUBLISHED, State.VERIFIED)
        assert row.doi == deposition["doi"]
    assert len(sandbox.admin.records(community="herbarium-dwca")) == len(valid)
    quarantined = list(ledger.rows(DWCA_DAG_ID, states=[State.QUARANTINED]))
    assert len(quarantined) == len(sample.quarantined_rows)
    assert all(row.quarantine_reasons for row in quarantined)
