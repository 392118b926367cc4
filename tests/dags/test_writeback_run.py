"""A ``dag.test()`` run of the sample collection with ``writeback`` on: the DOIs land in the
sample's own SQLite table, a second run writes nothing, and the run's Darwin Core Archive
points at files the sandbox serves."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
import requests
import sqlalchemy as sa
import yaml
from dwca.read import DwCAReader

from tests.dags.conftest import DAG_ID, ROOT, RunEnv, task_states
from zenodo.report.dwca_meta import AC, DCTERMS
from zenodo.report.run_report import report_folder

STATEMENT = ('UPDATE specimens SET zenodo_doi = :doi, zenodo_url = :url '
             'WHERE "occurrenceID" = :key')


def collections_with_writeback(folder: pathlib.Path) -> pathlib.Path:
    """The shipped collections file, with a write-back on the sample collection."""
    data = yaml.safe_load((ROOT / "include" / "collections.yaml").read_text(encoding="utf-8"))
    (entry,) = [c for c in data["collections"] if c["id"] == DAG_ID]
    entry["writeback"] = {"statement": STATEMENT, "batch_size": 7}
    path = folder / "collections.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def written(env: RunEnv) -> dict[str, tuple[str | None, str | None]]:
    engine = sa.create_engine(env.sample.db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text('SELECT "occurrenceID", zenodo_doi, zenodo_url '
                                    "FROM specimens WHERE zenodo_doi IS NOT NULL")).all()
    engine.dispose()
    return {r[0]: (r[1], r[2]) for r in rows}


@pytest.mark.timeout(600)
def test_sample_run_writes_dois_back_and_exports_a_dwca(
    run_env: Any, sqlite_url: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZENODO_COLLECTIONS_FILE", str(collections_with_writeback(tmp_path)))
    env: RunEnv = run_env(20, sqlite_url)
    engine = sa.create_engine(env.sample.db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE specimens ADD COLUMN zenodo_doi TEXT"))
        conn.execute(sa.text("ALTER TABLE specimens ADD COLUMN zenodo_url TEXT"))
    engine.dispose()

    run = env.run()
    states = task_states(run)
    assert states[("writeback", -1)] == "success"
    assert states[("report", -1)] == "success"
    online = {row.key: row for row in env.ledger.rows(DAG_ID) if row.doi}
    assert online, "the sample publishes specimens"
    landed = written(env)
    assert landed and set(landed) <= set(online)
    for key, (doi, url) in landed.items():
        assert doi == online[key].doi
        assert url == f"{env.sandbox.url}/records/{online[key].record_id}"
        api = f"{env.sandbox.url}/api/records/{online[key].record_id}"  # no HTML pages there
        assert requests.get(api, timeout=10).json()["doi"] == doi

    summary = run.get_task_instance("writeback").xcom_pull(task_ids="writeback")
    assert summary["written"] == len(online) and summary["failed"] == 0
    report = json.loads((report_folder(env.reports, DAG_ID, run.run_id) / "report.json")
                        .read_text(encoding="utf-8"))
    assert report["writeback"]["written"] == len(online)
    archive_path = pathlib.Path(report["export"]["path"])
    assert archive_path.parent == report_folder(env.reports, DAG_ID, run.run_id)
    with DwCAReader(str(archive_path)) as archive:
        rows = {row.id: [e.data for e in row.extensions] for row in archive}
    assert set(rows) == set(online)
    for key, media in rows.items():
        assert {m[DCTERMS + "title"] for m in media} == {f.name for f in online[key].files}
        for item in media:
            answer = requests.get(item[AC + "accessURI"], timeout=10)
            assert answer.status_code == 200, item[AC + "accessURI"]
            assert answer.content, item[AC + "accessURI"]

    again = env.run()  # only a DOI that changed since (a new version) is written again
    assert task_states(again)[("writeback", -1)] == "success"
    now = {row.key: row for row in env.ledger.rows(DAG_ID) if row.doi}
    changed = {k for k, row in now.items() if k not in online or online[k].doi != row.doi}
    second = again.get_task_instance("writeback").xcom_pull(task_ids="writeback")
    assert (second["written"], second["failed"]) == (len(changed), 0)
    assert written(env) == {k: (row.doi, f"{env.sandbox.url}/records/{row.record_id}")
                            for k, row in now.items() if k in landed or k in changed}
