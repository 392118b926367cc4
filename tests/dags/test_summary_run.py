"""``dag.test()`` runs of the sample collection with its summary record on (as shipped), on
SQLite and PostgreSQL: run 1 publishes the summary, run 2 (nothing changed) leaves it alone,
run 3 (more specimens) makes a new version of the same concept, and run 4 (more specimens,
every publish and new-version answer lost after the write) finds what it wrote and makes no
duplicate. Every check is against what the sandbox holds (its admin API)."""

from __future__ import annotations

import csv
import io
import json
import pathlib
import shutil
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from tests.dags.conftest import COMMUNITY, DAG_ID, RunEnv, task_states
from tests.dags.test_incremental_run import LATER, single_keyed_rows
from zenodo.metadata.identity import key_keyword
from zenodo.report.run_report import report_folder
from zenodo.summary.files import CSV_COLUMNS, FILE_NAMES
from zenodo.summary.key import SUMMARY_KEY

LOST_ANSWERS = {"seed": 3, "kinds": {kind: {"commit_then_fail": 1.0}
                                     for kind in ("publish", "newversion")}}


def add_specimens(env: RunEnv, count: int, prefix: str) -> list[str]:
    """Add ``count`` valid rows (copies of existing ones, new catalogue numbers and images)."""
    root = pathlib.Path(env.sample.image_root)
    engine = sa.create_engine(env.sample.db_url)
    keys = []
    with engine.begin() as conn:
        next_id = conn.execute(sa.text("SELECT max(id) FROM specimens")).scalar() + 1
        for number, row in enumerate(single_keyed_rows(env)[:count]):
            catalog = f"{prefix}{number:05d}"
            for path in root.glob(f"{row['catalogNumber']}*"):
                shutil.copy(path, root / path.name.replace(row["catalogNumber"], catalog))
            values = {**row, "id": next_id + number, "catalogNumber": catalog,
                      "occurrenceID": f"https://herbarium.example.org/specimen/{catalog}",
                      "modified": LATER}
            columns = ", ".join(f'"{c}"' for c in values)
            conn.execute(sa.text(f"INSERT INTO specimens ({columns}) VALUES "  # noqa: S608
                                 f"({', '.join(':' + c for c in values)})"), values)
            keys.append(values["occurrenceID"])
    engine.dispose()
    return keys


def summary_records(env: RunEnv) -> list[dict[str, Any]]:
    """The summary record's published versions in the sandbox, oldest first."""
    found = [r for r in env.sandbox.admin.records(community=COMMUNITY)
             if key_keyword(SUMMARY_KEY) in (r["metadata"].get("keywords") or [])]
    return sorted(found, key=lambda r: r["version"])


def specimen_records(env: RunEnv) -> list[dict[str, Any]]:
    """The specimens' latest published records in the sandbox."""
    return [r for r in env.sandbox.admin.records(community=COMMUNITY)
            if key_keyword(SUMMARY_KEY) not in (r["metadata"].get("keywords") or [])
            and r["is_latest"]]


def csv_rows(env: RunEnv, record: dict[str, Any]) -> list[dict[str, str]]:
    """The ``specimens.csv`` the sandbox serves for a summary record."""
    url = f"{env.sandbox.url}/api/records/{record['id']}/files/specimens.csv/content"
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, url
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"))))


def report_of(env: RunEnv, run: Any) -> dict[str, Any]:
    """The run's ``report.json``."""
    path = report_folder(env.reports, DAG_ID, run.run_id) / "report.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.timeout(900)
def test_summary_record_is_versioned_only_when_the_published_set_changes(
    run_env: Any, database_url: str
) -> None:
    env: RunEnv = run_env(16, database_url, hostile_share=0.1, summary=True)

    first = env.run()
    assert str(first.state) == "success", task_states(first)
    (v1,) = summary_records(env)
    assert v1["metadata"]["upload_type"] == "dataset"
    assert {f["key"] for f in v1["files"]} == set(FILE_NAMES)
    specimens = specimen_records(env)
    rows = csv_rows(env, v1)
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert {r["doi"] for r in rows} == {r["doi"] for r in specimens}
    assert len(rows) == sum(len(r["files"]) for r in specimens)
    report = report_of(env, first)
    assert report["summary"]["doi"] == v1["doi"] and report["summary"]["changed"]
    assert report["summary"]["concept_doi"] == v1["conceptdoi"]
    assert report["summary"]["version"] == 1
    assert sum(report["counts"].values()) == 16, "the summary is not counted as a specimen"
    with (report_folder(env.reports, DAG_ID, first.run_id) / "specimens.csv").open(
            encoding="utf-8", newline="") as handle:
        assert SUMMARY_KEY not in {row["key"] for row in csv.DictReader(handle)}
    dwca = pathlib.Path(report["summary"]["dwca"])
    assert dwca.is_file()
    assert dwca.read_bytes() == requests.get(
        f"{env.sandbox.url}/api/records/{v1['id']}/files/dwca.zip/content", timeout=10).content

    second = env.run()  # nothing changed: no new version
    assert str(second.state) == "success", task_states(second)
    assert [r["id"] for r in summary_records(env)] == [v1["id"]]
    again = report_of(env, second)["summary"]
    assert (again["changed"], again["doi"]) == (False, v1["doi"])

    added = add_specimens(env, 2, "ADDA")
    third = env.run()
    assert str(third.state) == "success", task_states(third)
    v1_now, v2 = summary_records(env)
    assert v1_now["id"] == v1["id"] and v2["conceptrecid"] == v1["conceptrecid"]
    assert v2["doi"] != v1["doi"] and v2["conceptdoi"] == v1["conceptdoi"]
    assert (v2["version"], v2["is_latest"]) == (2, True)
    assert {r["key"] for r in csv_rows(env, v2)} >= set(added)
    newest = report_of(env, third)["summary"]
    assert (newest["doi"], newest["version"], newest["changed"]) == (v2["doi"], 2, True)

    add_specimens(env, 3, "ADDB")
    env.sandbox.admin.set_faults(LOST_ANSWERS)
    fourth = env.run()
    injected = env.sandbox.admin.faults()["injected"]
    env.sandbox.admin.set_faults(None)
    assert str(fourth.state) == "success", task_states(fourth)
    assert sum(injected.values()) > 0, "answers were really lost"
    versions = summary_records(env)
    assert [r["version"] for r in versions] == [1, 2, 3], "one new version, no duplicate"
    assert {r["conceptrecid"] for r in versions} == {v1["conceptrecid"]}
    drafts = [d for d in env.sandbox.admin.depositions() if not d["submitted"]]
    assert drafts == [], "no draft left behind"
    assert report_of(env, fourth)["summary"]["doi"] == versions[-1]["doi"]
    assert len(csv_rows(env, versions[-1])) == sum(len(r["files"])
                                                   for r in specimen_records(env))


@pytest.mark.timeout(600)
def test_summary_record_through_the_rdm_api_gets_a_new_version_of_the_same_concept(
    run_env: Any, sqlite_url: str
) -> None:
    env: RunEnv = run_env(10, sqlite_url, hostile_share=0.1, protocol="rdm", summary=True)
    first = env.run()
    assert str(first.state) == "success", task_states(first)
    second = env.run()
    assert str(second.state) == "success", task_states(second)
    assert report_of(env, second)["summary"]["changed"] is False
    add_specimens(env, 1, "ADDR")
    third = env.run()
    assert str(third.state) == "success", task_states(third)
    summaries = [r for r in env.sandbox.admin.records()  # the RDM subject, kept as a keyword
                 if key_keyword(SUMMARY_KEY) in (r["metadata"].get("keywords") or [])]
    assert sorted(r["version"] for r in summaries) == [1, 2]
    assert len({r["conceptrecid"] for r in summaries}) == 1
    newest = report_of(env, third)["summary"]
    assert (newest["version"], newest["changed"]) == (2, True)
