"""The ledger writes the upload engine relies on to save round trips, on SQLite and PostgreSQL:
a claim that returns the row (and records a NEW specimen's create intent), the last file +
UPLOADED + publish intent in one transaction, and the published ids written together with the
lease's release."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from zenodo.ledger.ledger import Ledger
from zenodo.ledger.rows import LeaseLost
from zenodo.ledger.states import State

C = "herbarium"
MD5_A = "0" * 31 + "a"
MD5_B = "0" * 31 + "b"
FILES = [{"name": "a.jpg", "size": 10, "md5": MD5_A}, {"name": "b.json", "size": 5, "md5": MD5_B}]


def drafted(ledger: Ledger, key: str = "k1", owner: str = "w1") -> None:
    ledger.register(C, key, metadata_hash="h", files=FILES, mapping_name="m",
                    mapping_version="1", source_modified=None, actor="test")
    ledger.claim(C, [key], owner=owner, ttl_s=60)
    ledger.record_draft(C, key, owner=owner, deposition_id=7, bucket_url="http://b/7")


def test_claiming_a_new_specimen_to_create_records_the_intent_in_the_same_write(
    ledger: Ledger,
) -> None:
    ledger.register(C, "k1", metadata_hash="h", files=FILES, mapping_name="m",
                    mapping_version="1", source_modified=None, actor="test")
    row, intended = ledger.claim_to_create(C, "k1", owner="w1", ttl_s=60, actor={"by": "t"})
    stored = ledger.get(C, "k1")
    assert intended
    for seen in (row, stored):
        assert seen is not None and seen.state == State.UNKNOWN
        assert seen.prior_state == State.NEW and Ledger.pending_operation(seen) == "create"
        assert (seen.lease_owner, seen.attempts) == ("w1", 1)
    (event,) = [e for e in ledger.events(C, "k1") if e.to_state == State.UNKNOWN]
    assert event.from_state == State.NEW and event.actor == {"by": "t"}


def test_claiming_to_create_returns_a_specimen_that_is_not_new_as_it_is_or_none_if_held(
    ledger: Ledger,
) -> None:
    drafted(ledger)
    ledger.release(C, ["k1"], owner="w1")
    events = len(ledger.events(C, "k1"))
    row, intended = ledger.claim_to_create(C, "k1", owner="w2", ttl_s=60)
    assert not intended and row is not None
    assert (row.state, row.deposition_id, row.lease_owner) == (State.DRAFTED, "7", "w2")
    assert row.lease_expires is not None and [f.name for f in row.files] == ["a.jpg", "b.json"]
    assert len(ledger.events(C, "k1")) == events
    assert ledger.claim_to_create(C, "k1", owner="w3", ttl_s=60) == (None, False)
    assert ledger.claim_to_create(C, "k1", owner="w2", ttl_s=60)[0] is not None  # its own lease
    assert ledger.claim_to_create(C, "ghost", owner="w3", ttl_s=60) == (None, False)
    assert ledger.get(C, "k1").lease_owner == "w2"


def test_last_file_uploaded_and_publish_intent_are_one_write_with_an_event_each(
    ledger: Ledger,
) -> None:
    drafted(ledger)
    ledger.record_file(C, "k1", owner="w1", name="a.jpg", size=10, md5=MD5_A)
    row = ledger.record_uploaded(C, "k1", owner="w1", files=[("b.json", 5, MD5_B)],
                                 intent="publish")
    stored = ledger.get(C, "k1")
    for seen in (row, stored):
        assert seen.state == State.UNKNOWN and seen.prior_state == State.UPLOADED
        assert Ledger.pending_operation(seen) == "publish"
        assert seen.all_files_uploaded and seen.attempts == 1
    moves = [(e.from_state, e.to_state) for e in ledger.events(C, "k1")][-2:]
    assert moves == [(State.DRAFTED, State.UPLOADED), (State.UPLOADED, State.UNKNOWN)]


def test_a_refused_file_in_the_combined_write_leaves_the_row_as_it_was(ledger: Ledger) -> None:
    drafted(ledger)
    before = len(ledger.events(C, "k1"))
    with pytest.raises(ValueError, match=r"herbarium/k1: files\['b.json'\]: server has"):
        ledger.record_uploaded(C, "k1", owner="w1", intent="publish",
                               files=[("a.jpg", 10, MD5_A), ("b.json", 5, MD5_A)])
    row = ledger.get(C, "k1")
    assert row.state == State.DRAFTED and not any(f.uploaded for f in row.files)
    assert len(ledger.events(C, "k1")) == before


def test_the_combined_write_needs_the_lease(ledger: Ledger) -> None:
    drafted(ledger)
    with pytest.raises(LeaseLost):
        ledger.record_uploaded(C, "k1", owner="w2", files=[("a.jpg", 10, MD5_A)])
    assert not ledger.get(C, "k1").files[0].uploaded


def test_published_with_release_frees_the_specimen_for_the_next_claim(ledger: Ledger) -> None:
    drafted(ledger)
    ledger.record_uploaded(C, "k1", owner="w1", intent="publish",
                           files=[("a.jpg", 10, MD5_A), ("b.json", 5, MD5_B)])
    row = ledger.record_published(C, "k1", owner="w1", record_id=7, doi="10.5072/zenodo.7",
                                  release=True)
    assert (row.state, row.lease_owner, row.lease_expires) == (State.PUBLISHED, None, None)
    stored = ledger.get(C, "k1")
    assert (stored.state, stored.record_id, stored.lease_owner) == (State.PUBLISHED, "7", None)
    assert ledger.events(C, "k1")[-1].to_state == State.PUBLISHED
    assert ledger.claim(C, ["k1"], owner="w2", ttl_s=60) == ["k1"]


def test_on_postgresql_a_step_write_without_the_row_seen_locks_it_and_updates_with_its_events(
    postgres_url: str,
) -> None:
    ledger = Ledger(postgres_url)
    ledger.migrate()
    sent: list[tuple[str, bool]] = []
    sa.event.listen(ledger.engine, "before_cursor_execute",
                    lambda _c, cursor, statement, *_a: sent.append(
                        (statement.split()[0], cursor.connection.autocommit)))
    try:
        ledger.register(C, "k1", metadata_hash="h", files=FILES, mapping_name="m",
                        mapping_version="1", source_modified=None, actor="test")
        sent.clear()
        ledger.claim_to_create(C, "k1", owner="w1", ttl_s=60)
        # the lease taken and the intent with its event in one autocommitted statement
        assert sent == [("WITH", True)]
        ledger.record_draft(C, "k1", owner="w1", deposition_id=7, bucket_url="http://b/7")
        sent.clear()
        ledger.record_uploaded(C, "k1", owner="w1", intent="publish",
                               files=[("a.jpg", 10, MD5_A), ("b.json", 5, MD5_B)])
        # lock; the first event; the update with the second, in one transaction
        assert sent == [("SELECT", False), ("INSERT", False), ("WITH", False)]
        sent.clear()
        ledger.record_published(C, "k1", owner="w1", record_id=7, doi="10.5072/zenodo.7",
                                release=True)
        assert sent == [("SELECT", False), ("WITH", False)]
        moves = [(e.from_state, e.to_state, e.detail) for e in ledger.events(C, "k1")][-3:]
        assert moves == [(State.DRAFTED, State.UPLOADED, None),
                         (State.UPLOADED, State.UNKNOWN, {"kind": "unknown:publish",
                                                          "status": None}),
                         (State.UNKNOWN, State.PUBLISHED,
                          {"record_id": "7", "doi": "10.5072/zenodo.7",
                           "settled_error": {"kind": "unknown:publish",
                                             "message": "publish sent; outcome not yet seen"}})]
    finally:
        ledger.dispose()
