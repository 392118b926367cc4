"""Real Airflow runs (``dag.test()``) of a collection DAG against the sandbox.

What is published is read from the sandbox's admin API (what the server holds); the ledger
and the report are checked against it.
"""

from __future__ import annotations

import csv
import json
from typing import Any

import pytest
import requests

from tests.dags.conftest import COMMUNITY, DAG_ID, RunEnv, task_states
from tests.zenodo.payload_factory import published_by_key
from zenodo.ledger.payloads import PayloadStore
from zenodo.ledger.states import State
from zenodo.report.run_report import report_folder
from zenodo_sandbox.testing import fault_mix

FAULTS = fault_mix(seed=20261124, commit_then_fail=0.03, reset_upload=0.02)


def published(env: RunEnv) -> dict[str, list[dict[str, Any]]]:
    """The sandbox's submitted depositions, grouped by specimen key."""
    deps = [d for d in env.sandbox.admin.depositions() if d["submitted"]]
    return published_by_key(deps)


def report_of(env: RunEnv, run: Any) -> dict[str, Any]:
    """The ``report.json`` of one run."""
    return json.loads((report_folder(env.reports, DAG_ID, run.run_id) / "report.json").read_text())


def report_rows(env: RunEnv, run: Any) -> dict[str, dict[str, str]]:
    """The ``specimens.csv`` of one run, by key."""
    path = report_folder(env.reports, DAG_ID, run.run_id) / "specimens.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["key"]: row for row in csv.DictReader(handle)}


def online_dois(env: RunEnv, run: Any) -> set[str]:
    """The DOIs of the specimens the run's ``specimens.csv`` lists as online."""
    return {row["doi"] for row in report_rows(env, run).values()
            if row["state"] in ("PUBLISHED", "VERIFIED")}


def assert_published_exactly_once(env: RunEnv) -> None:
    """One published deposition per valid specimen, with the stored metadata and files."""
    by_key = published(env)
    valid = set(env.sample.valid_keys)
    assert set(by_key) == valid, "every valid specimen published, nothing else"
    assert {k: len(v) for k, v in by_key.items() if len(v) > 1} == {}, "no duplicates"
    store = PayloadStore(env.ledger)
    for key in valid:
        (deposition,) = by_key[key]
        payload = store.get(DAG_ID, key)
        assert {(f["key"], f["md5"]) for f in deposition["files"]} == {
            (f.name, f.md5) for f in payload.files}
        if "metadata" in payload.metadata:  # an RDM record body: read it back as RDM JSON
            record = requests.get(f"{env.sandbox.url}/api/records/{deposition['id']}",
                                  headers={"Accept": "application/vnd.inveniordm.v1+json"},
                                  timeout=10).json()
            for part in ("metadata", "custom_fields"):
                assert record[part] == payload.metadata[part], (key, part)
        else:
            for name in ("title", "description", "upload_type", "keywords"):
                assert deposition["metadata"][name] == payload.metadata[name], (key, name)
            # zenodo.org gives every creator an affiliation (null when none was sent):
            # zenodo-rdm site/zenodo_rdm/legacy/serializers/schemas/common.py (dump_affiliation)
            assert deposition["metadata"]["creators"] == [
                {"affiliation": None, **creator} for creator in payload.metadata["creators"]]
        row = env.ledger.get(DAG_ID, key)
        assert row.state in (State.PUBLISHED, State.VERIFIED)
        assert (row.record_id, row.doi) == (str(deposition["id"]), deposition["doi"])


def assert_quarantined_with_reasons(env: RunEnv) -> None:
    rows = list(env.ledger.rows(DAG_ID, states=[State.QUARANTINED]))
    assert len(rows) == len(env.sample.quarantined_rows)
    assert all(row.quarantine_reasons for row in rows)
    # Rows without a key get a content-derived "nokey:" key: compare the keyed ones.
    expected = {r["key"] for r in env.sample.quarantined_rows if not r["key"].startswith("nokey:")}
    found = {row.key.split("#row-")[0] for row in rows}
    assert {k for k in found if not k.startswith("nokey:")} == expected


def test_sample_of_200_is_published_once_and_reported(run_env: Any, sqlite_url: str) -> None:
    env: RunEnv = run_env(200, sqlite_url)
    run = env.run()
    states = task_states(run)
    assert str(run.state) == "success", states
    assert_published_exactly_once(env)
    assert_quarantined_with_reasons(env)
    report = report_of(env, run)
    records = env.sandbox.admin.records(community=COMMUNITY)
    assert report["online"] == len(records) == len(env.sample.valid_keys)
    assert report["counts"]["VERIFIED"] == len(records), "the feed confirmed every record"
    assert report["counts"]["QUARANTINED"] == len(env.sample.quarantined_rows)
    assert len(report["quarantined"]) == len(env.sample.quarantined_rows)
    assert online_dois(env, run) == {r["doi"] for r in records}
    labels = sorted(ti.rendered_map_index for ti in run.get_task_instances()
                    if ti.task_id == "upload")
    assert len(labels) == -(-len(env.sample.valid_keys) // 50)
    assert labels[0].startswith("b0000: 50 specimens (")
    assert states[("check_run", -1)] == "skipped"
    link = run.get_task_instance("report").xcom_pull(task_ids="report",
                                                     key="_link_ZenodoCommunityLink")
    assert link == f"{env.sandbox.url}/communities/{COMMUNITY}"


@pytest.mark.parametrize("ledger_db", ["sqlite", "postgres"])
def test_faults_on_give_the_same_outcome(
    run_env: Any, ledger_db: str, request: pytest.FixtureRequest
) -> None:
    env: RunEnv = run_env(60, request.getfixturevalue(f"{ledger_db}_url"), retries=4)
    env.sandbox.admin.set_delays(deposit=0.3)  # the deposit search lags, as Zenodo's does
    env.sandbox.admin.set_faults(FAULTS)
    run = env.run(concurrency=6)
    assert str(run.state) == "success", task_states(run)
    injected = env.sandbox.admin.faults()["injected"]
    assert sum(injected.values()) > 0, "faults were really injected"
    assert_published_exactly_once(env)
    assert_quarantined_with_reasons(env)
    report = report_of(env, run)
    assert report["online"] == len(env.sandbox.admin.records(community=COMMUNITY))


def test_a_failed_mapped_task_cleared_and_rerun_makes_no_duplicates(
    run_env: Any, sqlite_url: str
) -> None:
    env: RunEnv = run_env(60, sqlite_url, retries=0)
    # Most publish requests fail: a specimen whose publish keeps failing is left unfinished
    # after the engine's steps, so each batch stops half way and its task fails.
    env.sandbox.admin.set_faults({"seed": 5, "kinds": {"publish": {"error_rate": 0.8}}})
    first = env.run(batch_size=10)
    states = task_states(first)
    assert str(first.state) == "failed"
    assert "failed" in {s for (task, _), s in states.items() if task == "upload"}
    assert states[("report", -1)] == "success", "the report is written even so"
    assert states[("check_run", -1)] == "failed", "and the run stays red"
    done_first = len(published(env))
    assert 0 < done_first < len(env.sample.valid_keys)
    env.sandbox.admin.set_faults(None)
    env.sandbox.admin.clear_requests()
    again = env.rerun(first, batch_size=10)
    assert again.run_id == first.run_id
    assert str(again.state) == "success", task_states(again)
    assert_published_exactly_once(env)
    creates = env.sandbox.admin.requests(kind="create")["total"]
    assert creates <= len(env.sample.valid_keys) - done_first, "nothing created twice"
    report = report_of(env, again)
    assert report["online"] == len(env.sample.valid_keys)
    assert sum(report["counts"].values()) == env.sample.n_rows


def test_dry_run_sends_nothing_writes_nothing_and_previews_the_quarantine(
    run_env: Any, sqlite_url: str
) -> None:
    env: RunEnv = run_env(30, sqlite_url)
    run = env.run(dry_run=True)
    assert str(run.state) == "success", task_states(run)
    assert env.sandbox.admin.requests()["total"] == 0
    assert set(env.ledger.counts(DAG_ID).values()) == {0}, "a preview writes nothing"
    preview = report_of(env, run)["prepare"]
    assert preview["preview"] is True
    assert preview["states"] == {"NEW": len(env.sample.valid_keys),
                                 "QUARANTINED": len(env.sample.quarantined_rows)}
    assert preview["quarantined"] and all(q["reasons"] for q in preview["quarantined"])
    folder = report_folder(env.reports, DAG_ID, run.run_id)
    with (folder / "preview.csv").open(newline="", encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == env.sample.n_rows
    assert {line["key"] for line in lines if line["state_after"] == "NEW"} == set(
        env.sample.valid_keys)
    assert 'id="preview"' in (folder / "report.html").read_text(encoding="utf-8")


def test_drafts_left_for_review_are_published_by_a_later_run(
    run_env: Any, sqlite_url: str
) -> None:
    env: RunEnv = run_env(30, sqlite_url, hostile_share=0.1)
    valid = len(env.sample.valid_keys)
    run = env.run(publish=False)
    assert str(run.state) == "success", task_states(run)
    assert env.sandbox.admin.counts()["by_state"] == {"unsubmitted": valid}
    assert env.ledger.counts(DAG_ID)[State.UPLOADED] == valid
    env.sandbox.admin.clear_requests()
    later = env.run(publish=True)
    assert str(later.state) == "success", task_states(later)
    assert_published_exactly_once(env)
    by_kind = env.sandbox.admin.requests()["counts"]["by_kind"]
    assert by_kind.get("publish") == valid
    assert "create" not in by_kind and "file_put" not in by_kind
