"""A real Airflow run (``dag.test()``) of a collection whose source is a Darwin Core Archive.

The sample collection is written as a DwC-A (Occurrence core, Audubon Core multimedia); a
collections file names only that archive, and what is published is read from the sandbox's
admin API.
"""

from __future__ import annotations

import pathlib
import textwrap
from typing import Any

import pytest

from tests.dags.conftest import ROOT, task_states
from tests.zenodo.payload_factory import published_by_key
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore
from zenodo.ledger.states import State
from zenodo_demo.sample import generate_sample
from zenodo_demo.sample_dwca import sample_archive
from zenodo_sandbox.testing import SandboxProcess

DAG_ID = "herbarium_dwca"
COMMUNITY = "herbarium-dwca"
COLLECTIONS = textwrap.dedent("""\
    collections:
      - id: herbarium_dwca
        dwca: {path: "${SAMPLE_DWCA}"}
        images:
          root: "${SAMPLE_IMAGE_ROOT}"
          files: ["{catalogNumber}.jpg"]   # not used: the archive has a multimedia extension
        mapping: pilot1
        mapping_params:
          institution_names: {SMPL: Sample Herbarium of Examples}
        community: herbarium-dwca
        schedule: null
        batch_size: 20
    """)


def test_a_dwca_collection_is_published_to_the_sandbox(
    airflow_db: None, sandbox: SandboxProcess, tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str,
) -> None:
    sample = generate_sample(tmp_path / "sample", n=40, hostile_share=0.2, seed=11)
    archive = sample_archive(sample)
    collections = tmp_path / "collections.yaml"
    collections.write_text(COLLECTIONS, encoding="utf-8")
    env = {
        "SAMPLE_DWCA": str(archive), "SAMPLE_IMAGE_ROOT": sample.image_root,
        "ZENODO_COLLECTIONS_FILE": str(collections), "ZENODO_LEDGER_URL": sqlite_url,
        "ZENODO_REPORTS_DIR": str(tmp_path / "reports"),
        "ZENODO_CACHE_DIR": str(tmp_path / "cache"),
        "AIRFLOW_CONN_ZENODO_DEFAULT": sandbox.connection_json(protocol="deposit"),
        "ZENODO_TASK_RETRIES": "0", "ZENODO_FEED_POKE_INTERVAL": "1",
        "ZENODO_FEED_TIMEOUT": "20", "ZENODO_FEED_GRACE": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import timezone

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    assert set(bag.dags) == {DAG_ID}
    dag = bag.dags[DAG_ID]
    now = timezone.utcnow()
    run = dag.test(logical_date=now, run_after=now, run_conf=dag.params.dump())
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
        payload = store.get(DAG_ID, key)
        assert {(f["key"], f["md5"]) for f in deposition["files"]} == {
            (f.name, f.md5) for f in payload.files}
        assert deposition["metadata"]["title"] == payload.metadata["title"]
        row = ledger.get(DAG_ID, key)
        assert row.state in (State.PUBLISHED, State.VERIFIED)
        assert row.doi == deposition["doi"]
    assert len(sandbox.admin.records(community=COMMUNITY)) == len(valid)
    quarantined = list(ledger.rows(DAG_ID, states=[State.QUARANTINED]))
    assert len(quarantined) == len(sample.quarantined_rows)
    assert all(row.quarantine_reasons for row in quarantined)
