"""Backfills through the DAG: a new mapping version edits records in place; a new image
makes one new version; a dry run of a new mapping changes nothing a later run does."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import requests
from PIL import Image

from tests.dags.conftest import DAG_ID, RunEnv, task_states
from tests.dags.test_collection_run import report_of
from tests.dags.test_incremental_run import single_keyed_rows
from tests.zenodo.data_helpers import bumped_mapping
from zenodo.ledger.states import State


def published_sample(run_env: Any, n: int, ledger_url: str) -> RunEnv:
    """A sample of ``n`` rows, one run of its DAG done: its valid specimens are online."""
    env: RunEnv = run_env(n, ledger_url, hostile_share=0.1)
    first = env.run()
    assert str(first.state) == "success", task_states(first)
    return env


def test_mapping_version_bump_edits_every_record_once_and_keeps_dois(
    run_env: Any, sqlite_url: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZENODO_MAPPINGS_DIR", str(tmp_path))  # where a run's override may be
    env = published_sample(run_env, 30, sqlite_url)
    before = {
        r.key: r.doi for r in env.ledger.rows(DAG_ID, states=[State.VERIFIED, State.PUBLISHED])
    }
    assert before
    env.sandbox.admin.clear_requests()

    second = env.run(backfill=True, mapping=str(bumped_mapping(tmp_path)))
    assert str(second.state) == "success", task_states(second)
    by_kind = env.sandbox.admin.requests()["counts"]["by_kind"]
    assert by_kind.get("edit") == len(before), by_kind
    assert by_kind.get("publish") == len(before), by_kind
    assert by_kind.get("create", 0) == 0 and by_kind.get("newversion", 0) == 0, by_kind
    after = {r.key: r for r in env.ledger.rows(DAG_ID) if r.key in before}
    assert {k: r.doi for k, r in after.items()} == before
    assert {r.mapping_version for r in after.values()} == {"1.1.0"}
    online = [d for d in env.sandbox.admin.depositions() if d["submitted"]]
    assert len(online) == len(before), "an edit makes no new record"


def test_a_dry_run_of_a_new_mapping_version_changes_nothing_a_later_run_does(
    run_env: Any, sqlite_url: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZENODO_MAPPINGS_DIR", str(tmp_path))  # where a run's override may be
    env = published_sample(run_env, 20, sqlite_url)
    rows = {r.key: (r.state, r.metadata_hash, r.mapping_version, r.doi)
            for r in env.ledger.rows(DAG_ID)}
    online = sum(1 for state, *_ in rows.values() if state in (State.VERIFIED, State.PUBLISHED))
    assert online
    env.sandbox.admin.clear_requests()

    dry = env.run(dry_run=True, backfill=True, mapping=str(bumped_mapping(tmp_path)))
    assert str(dry.state) == "success", task_states(dry)
    assert env.sandbox.admin.requests()["total"] == 0
    assert {r.key: (r.state, r.metadata_hash, r.mapping_version, r.doi)
            for r in env.ledger.rows(DAG_ID)} == rows, "the ledger is as it was"
    assert report_of(env, dry)["prepare"]["states"]["STALE"] == online, "the preview tells"

    nightly = env.run()
    assert str(nightly.state) == "success", task_states(nightly)
    by_kind = env.sandbox.admin.requests()["counts"]["by_kind"]
    assert not {"create", "edit", "publish", "newversion"} & set(by_kind), by_kind


def test_a_rescanned_image_makes_one_new_version_and_the_old_doi_resolves(
    run_env: Any, sqlite_url: str
) -> None:
    env: RunEnv = run_env(20, sqlite_url, hostile_share=0.0)
    first = env.run()
    assert str(first.state) == "success", task_states(first)
    rows = single_keyed_rows(env)
    catalogue = [r["catalogNumber"] for r in rows]
    # Images are found by catalogue number: pick a specimen that shares its image with no other.
    row = next(r for r in rows if catalogue.count(r["catalogNumber"]) == 1)
    old = env.ledger.get(DAG_ID, row["occurrenceID"])
    image = pathlib.Path(env.sample.image_root) / f"{row['catalogNumber']}.jpg"
    Image.new("RGB", (120, 160), (200, 30, 30)).save(image, "JPEG")  # the re-scan
    env.sandbox.admin.clear_requests()

    second = env.run(backfill=True)
    assert str(second.state) == "success", task_states(second)
    by_kind = env.sandbox.admin.requests()["counts"]["by_kind"]
    assert by_kind.get("newversion") == 1 and by_kind.get("create", 0) == 0, by_kind
    new = env.ledger.get(DAG_ID, row["occurrenceID"])
    assert new.doi != old.doi and new.concept_doi == old.concept_doi
    response = requests.get(f"{env.sandbox.url}/api/records/{old.record_id}", timeout=10)
    assert response.status_code == 200 and response.json()["doi"] == old.doi
