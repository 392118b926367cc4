"""Nightly incremental runs touch exactly what changed; ops can reconcile on their own."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.dags.conftest import COMMUNITY, DAG_ID, RunEnv, task_states
from tests.dags.test_collection_run import published
from zenodo.ledger.states import State

LATER = "2031-06-01T00:00:00"


def single_keyed_rows(env: RunEnv) -> list[dict[str, Any]]:
    """Rows of valid specimens whose key occurs once in the table (no duplicate rows)."""
    engine = sa.create_engine(env.sample.db_url)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.text("SELECT * FROM specimens")).mappings()]
    engine.dispose()
    keys = [r["occurrenceID"] for r in rows]
    valid = set(env.sample.valid_keys)
    return [r for r in rows if r["occurrenceID"] in valid and keys.count(r["occurrenceID"]) == 1]


def change_and_add(env: RunEnv, changed: int, added: int) -> tuple[list[str], list[str]]:
    """Edit ``changed`` valid rows (locality, modified) and add ``added`` new valid rows."""
    rows = single_keyed_rows(env)
    edit, template = rows[:changed], rows[changed:changed + added]
    root = Path(env.sample.image_root)
    engine = sa.create_engine(env.sample.db_url)
    new_keys = []
    with engine.begin() as conn:
        for row in edit:
            conn.execute(sa.text("UPDATE specimens SET locality = :loc, modified = :mod "
                                 "WHERE id = :id"),
                         {"loc": f"{row['locality']} (revised)", "mod": LATER, "id": row["id"]})
        next_id = conn.execute(sa.text("SELECT max(id) FROM specimens")).scalar() + 1
        for number, row in enumerate(template):
            catalog = f"NEW{number:07d}"
            key = f"https://herbarium.example.org/specimen/{catalog}"
            for path in root.glob(f"{row['catalogNumber']}*"):
                shutil.copy(path, root / path.name.replace(row["catalogNumber"], catalog))
            values = {**row, "id": next_id + number, "catalogNumber": catalog,
                      "occurrenceID": key, "modified": LATER}
            columns = ", ".join(f'"{c}"' for c in values)
            conn.execute(sa.text(f"INSERT INTO specimens ({columns}) VALUES "  # noqa: S608
                                 f"({', '.join(':' + c for c in values)})"), values)
            new_keys.append(key)
    engine.dispose()
    return [r["occurrenceID"] for r in edit], new_keys


def test_incremental_run_touches_only_the_changed_and_new(run_env: Any, sqlite_url: str) -> None:
    env: RunEnv = run_env(60, sqlite_url, hostile_share=0.1)
    first = env.run()
    assert str(first.state) == "success", task_states(first)
    dois = {k: d[0]["doi"] for k, d in published(env).items()}
    edited, added = change_and_add(env, 5, 3)
    env.sample.valid_keys.extend(added)
    env.sandbox.admin.clear_requests()
    second = env.run()
    assert str(second.state) == "success", task_states(second)
    prepared = second.get_task_instance("prepare").xcom_pull(task_ids="prepare")
    # The watermark is inclusive: the newest row of the first run is read again, unchanged.
    assert prepared["rows"] == 9, "only the changed and the new rows were read"
    assert prepared["states"]["NEW"] == 3 and prepared["states"]["STALE"] == 5, prepared
    log = env.sandbox.admin.requests()
    by_kind = log["counts"]["by_kind"]
    assert by_kind.get("create") == 3, by_kind
    # Each edited specimen gets one edit or (pilot1's sidecar holds the changed term, so its
    # files change) one new version; every touched specimen is published once.
    assert by_kind.get("newversion", 0) + by_kind.get("edit", 0) == 5, by_kind
    assert by_kind.get("publish") == 8, by_kind
    rows = {key: env.ledger.get(DAG_ID, key) for key in edited + added}
    assert all(r.state in (State.VERIFIED, State.PUBLISHED) for r in rows.values()), rows
    # An edit keeps the DOI; a new version gets a new DOI under the same concept DOI.
    new_versions = [k for k in edited if rows[k].doi != dois[k]]
    assert len(new_versions) == by_kind.get("newversion", 0), by_kind
    assert len(edited) - len(new_versions) == by_kind.get("edit", 0), by_kind
    unchanged = set(dois) - set(edited)
    assert all(env.ledger.get(DAG_ID, k).doi == dois[k] for k in unchanged)
    assert len(env.sandbox.admin.records(community=COMMUNITY)) >= len(dois) + 3


def test_reconcile_only_run_requeues_a_vanished_record_for_the_next_run(
    run_env: Any, sqlite_url: str
) -> None:
    env: RunEnv = run_env(30, sqlite_url, hostile_share=0.1)
    first = env.run()
    assert str(first.state) == "success", task_states(first)
    gone = sorted(published(env))[0]
    env.sandbox.admin.delete_record(env.ledger.get(DAG_ID, gone).record_id)
    check = env.run(reconcile_only=True)
    assert str(check.state) == "success", task_states(check)
    summary = check.get_task_instance("reconcile").xcom_pull(task_ids="reconcile")
    assert summary["complete"] is True
    assert [e["key"] for e in summary["deleted"]] == [gone]
    assert env.ledger.get(DAG_ID, gone).state == State.NEW
    assert task_states(check)[("prepare", -1)] == "skipped"
    following = env.run()
    assert str(following.state) == "success", task_states(following)
    assert env.ledger.get(DAG_ID, gone).state in (State.PUBLISHED, State.VERIFIED)
    again = env.run(reconcile_only=True)
    summary = again.get_task_instance("reconcile").xcom_pull(task_ids="reconcile")
    assert summary["differences"] == 0
