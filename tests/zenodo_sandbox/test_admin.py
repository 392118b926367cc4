"""The admin API: auth, inspection, request log, seeding and reset."""

from __future__ import annotations

import pytest
import requests


def test_admin_needs_the_admin_token(sandbox):
    url = f"{sandbox.url}/admin/counts"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers=sandbox.headers(), timeout=10).status_code == 401


def test_depositions_and_records_show_what_the_server_holds(sandbox, deposit):
    published = deposit(files={"a.txt": b"aa"}, publish=True)
    deposit(files={})
    assert sandbox.admin.counts() == {"total": 2, "by_state": {"done": 1, "unsubmitted": 1},
                                      "by_owner": {"alice": {"done": 1, "unsubmitted": 1}}}
    [draft] = sandbox.admin.depositions(state="unsubmitted")
    assert draft["doi"] is None and draft["files"] == []
    [record] = sandbox.admin.records(owner="alice")
    assert record["id"] == published["id"] and record["metadata"]["title"]
    assert [(f["key"], f["size"]) for f in record["files"]] == [("a.txt", 2)]
    assert sandbox.admin.records(owner="bob") == []


def test_request_log_records_kinds_statuses_and_user_names(sandbox, api, deposit):
    deposit(publish=True)
    api.get(f"{sandbox.url}/api/deposit/depositions/999999")
    log = sandbox.admin.requests()
    assert log["counts"]["by_kind"] == {"create": 1, "file_put": 1, "publish": 1, "get": 1}
    assert log["counts"]["by_status"]["404"] == 1
    assert {e["token"] for e in log["requests"]} == {"alice"}
    assert sandbox.admin.requests(kind="publish")["total"] == 1
    assert log["dropped"] == 0
    # The tally counts the same requests by second, kind, fault and status, latencies summed.
    tally = sandbox.admin.request_tally()
    counted = {(row["kind"], row["status"]): 0 for row in tally}
    for row in tally:
        counted[row["kind"], row["status"]] += row["count"]
    assert counted == {("create", 201): 1, ("file_put", 201): 1, ("publish", 202): 1,
                       ("get", 404): 1}
    assert sum(row["latency_ms"] for row in tally) == pytest.approx(
        sum(e["latency_ms"] for e in log["requests"]), abs=0.5)
    sandbox.admin.clear_requests()
    assert sandbox.admin.requests()["total"] == 0
    assert sandbox.admin.request_tally() == []


def test_seed_and_reset(sandbox):
    seeded = sandbox.admin.seed(3, owner="bob", communities=["c1"])
    assert seeded["count"] == 3
    assert sandbox.admin.counts()["by_owner"] == {"bob": {"done": 3}}
    assert len(sandbox.admin.records(community="c1")) == 3
    sandbox.admin.reset()
    assert sandbox.admin.counts()["total"] == 0
    assert requests.get(f"{sandbox.url}/api/records", timeout=10).json()["hits"]["total"] == 0


def test_records_show_each_version_of_a_concept(sandbox, api, deposit):
    first = deposit(publish=True)
    deposit(publish=True)  # another concept
    draft = api.post(first["links"]["newversion"]).json()
    api.delete(f"{draft['links']['files']}/{draft['files'][0]['id']}")
    assert api.put(f"{draft['links']['bucket']}/sheet-v2.jpg", data=b"v2").status_code == 201
    assert api.post(draft["links"]["publish"]).status_code == 202
    concept = str(first["conceptrecid"])
    versions = sandbox.admin.records(conceptrecid=concept)
    assert [(r["id"], r["version"], r["is_latest"]) for r in versions] == [
        (first["id"], 1, False), (draft["id"], 2, True)]
    assert {r["conceptdoi"] for r in versions} == {versions[0]["conceptdoi"]}
    assert len(sandbox.admin.records()) == 3


def test_records_are_listed_a_page_at_a_time(sandbox):
    # A census of pilot 2 (281,372 records) in one answer would be gigabytes: /admin/records
    # gives ``size`` records with ids above ``after``; a short page is the last.
    sandbox.admin.seed(7, owner="bob", communities=["c1"])
    sandbox.admin.seed(5, owner="ann", communities=["c2"])
    every = sandbox.admin.records()
    first = sandbox.admin.records(size="3")
    assert [r["id"] for r in first] == [r["id"] for r in every[:3]]
    rest = sandbox.admin.records(size="100", after=str(first[-1]["id"]))
    assert [r["id"] for r in first + rest] == [r["id"] for r in every]
    paged = list(sandbox.admin.all_records(page=2, community="c2"))
    assert [r["id"] for r in paged] == [r["id"] for r in sandbox.admin.records(community="c2")]
    assert len(paged) == 5


def test_counts_group_deleted_records_apart_and_read_no_deposition_row(sandbox, tmp_path):
    # The bench's outage trigger asks for the counts every 2 s while 281,372 records are
    # uploaded: grouped over the table, each look read every row (0.7 s at 290,000 records,
    # under the store's one lock); grouped in an index's order, it reads that index alone.
    import sqlite3

    from zenodo_sandbox.storage import STATE_COUNTS, Storage

    seeded = sandbox.admin.seed(3, owner="bob")
    sandbox.admin.delete_record(seeded["ids"][0])
    sandbox.admin.seed(2, owner="carol")
    assert sandbox.admin.counts()["by_owner"] == {"bob": {"deleted": 1, "done": 2},
                                                  "carol": {"done": 2}}
    assert sandbox.admin.counts()["by_state"] == {"deleted": 1, "done": 4}

    Storage(tmp_path / "store.sqlite3").close()
    plan = sqlite3.connect(tmp_path / "store.sqlite3").execute(
        "EXPLAIN QUERY PLAN " + STATE_COUNTS).fetchall()
    assert [step[-1] for step in plan] == ["SCAN depositions USING COVERING INDEX dep_counts"]


def test_a_store_keeps_one_owner_index_and_loses_the_older_one_on_opening(tmp_path):
    # Every deposition saved on the upload path updates each index of the table; the counts
    # index begins with the owner, so it serves an owner's listing and the owner-only index
    # an older store holds is dropped when the store is opened.
    import sqlite3

    from zenodo_sandbox.storage import Storage

    path = tmp_path / "store.sqlite3"
    Storage(path).close()
    older = sqlite3.connect(path)
    older.execute("CREATE INDEX dep_owner ON depositions(owner)")
    older.commit()
    older.close()
    Storage(path).close()
    db = sqlite3.connect(path)
    indexes = {name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'depositions' "
        "AND sql IS NOT NULL")}
    assert indexes == {"dep_concept", "dep_counts"}
    plan = db.execute("EXPLAIN QUERY PLAN SELECT id FROM depositions WHERE owner = ? "
                      "ORDER BY id", ("bob",)).fetchall()
    assert "dep_counts" in " ".join(step[-1] for step in plan)
