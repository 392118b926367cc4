"""Backfills through the DAG: a new mapping version edits records in place; a new image
makes one new version."""

from __future__ import annotations

import pathlib
from typing import Any

import requests
from PIL import Image

from tests.dags.conftest import DAG_ID, ROOT, RunEnv, task_states
from tests.dags.test_incremental_run import single_keyed_rows
from zenodo.states import State


def bumped_mapping(tmp_path: pathlib.Path) -> pathlib.Path:
    """A copy of the collection's mapping with a new version number and nothing else changed."""
    source = (ROOT / "include" / "mappings" / "pilot1.yaml").read_text(encoding="utf-8")
    assert 'version: "1.0.0"' in source
    path = tmp_path / "pilot1-v1.1.yaml"
    path.write_text(source.replace('version: "1.0.0"', 'version: "1.1.0"'), encoding="utf-8")
    return path


def test_mapping_version_bump_edits_every_record_once_and_keeps_dois(
    run_env: Any, sqlite_url: str, tmp_path: pathlib.Path
) -> None:
    env: RunEnv = run_env(30, sqlite_url, hostile_share=0.1)
    first = env.run()
    assert str(first.state) == "success", task_states(first)
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
