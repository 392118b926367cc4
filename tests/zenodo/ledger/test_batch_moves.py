"""Many leased specimens moved in one transaction: the refused ones stay, the others move."""

from __future__ import annotations

import pytest

from zenodo.ledger.batch_moves import Move
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.rows import LeaseLost, SpecimenNotFound
from zenodo.ledger.states import IllegalTransition, State

C = "herbarium"
FILES = [{"name": "a.jpg", "size": 1, "md5": "0" * 32}]


def _published(ledger: Ledger, key: str, owner: str = "engine") -> None:
    ledger.register(C, key, metadata_hash="h", files=FILES, mapping_name="m",
                    mapping_version=1, source_modified=None)
    ledger.claim(C, [key], owner=owner, ttl_s=60)
    ledger.record_published(C, key, owner=owner, record_id=int(key[1:]), doi=f"10.5072/{key}")


def _verify(key: str) -> Move:
    return Move(key, State.VERIFIED, (State.PUBLISHED,), {"reconcile": "verified"})


def test_refused_moves_leave_their_rows_and_the_others_move(database_url: str) -> None:
    ledger = Ledger(database_url)
    ledger.migrate()
    for key in ("K1", "K2"):
        _published(ledger, key, owner="reconciler")
    _published(ledger, "K4", owner="upload-worker")  # leased by someone else
    ledger.register(C, "K3", metadata_hash="h", files=FILES, mapping_name="m",
                    mapping_version=1, source_modified=None)
    ledger.claim(C, ["K3"], owner="reconciler", ttl_s=60)  # NEW: not published

    refused = ledger.move_many(C, [_verify("K1"), _verify("K2"), _verify("K3"), _verify("K4"),
                                   _verify("K9")], owner="reconciler", actor="test")

    assert {key: type(error) for key, error in refused.items()} == {
        "K3": IllegalTransition, "K4": LeaseLost, "K9": SpecimenNotFound}
    assert "herbarium/K3" in str(refused["K3"]) and "NEW" in str(refused["K3"])
    assert {k: ledger.get(C, k).state for k in ("K1", "K2", "K3", "K4")} == {
        "K1": State.VERIFIED, "K2": State.VERIFIED, "K3": State.NEW, "K4": State.PUBLISHED}
    events = [e for e in ledger.events(C) if e.to_state == State.VERIFIED]
    assert [(e.key, e.detail, e.actor) for e in events] == [
        ("K1", {"reconcile": "verified"}, "test"), ("K2", {"reconcile": "verified"}, "test")]
    ledger.dispose()


def test_a_move_that_keeps_the_state_still_writes_its_event_and_fields(
    database_url: str,
) -> None:
    ledger = Ledger(database_url)
    ledger.migrate()
    _published(ledger, "K1", owner="reconciler")
    ledger.move_many(C, [_verify("K1")], owner="reconciler")
    adopt = Move("K1", State.VERIFIED, (State.VERIFIED,), {"reconcile": "adopted"},
                 {"record_id": 77, "doi": "10.5072/zenodo.77"})

    assert ledger.move_many(C, [adopt], owner="reconciler") == {}

    row = ledger.get(C, "K1")
    assert (row.state, row.record_id, row.doi) == (State.VERIFIED, "77", "10.5072/zenodo.77")
    assert [e.detail for e in ledger.events(C, "K1")][-2:] == [
        {"reconcile": "verified"}, {"reconcile": "adopted"}]
    ledger.dispose()


def test_unknown_fields_and_a_key_moved_twice_are_refused_before_anything_is_written(
    sqlite_url: str,
) -> None:
    ledger = Ledger(sqlite_url)
    ledger.migrate()
    _published(ledger, "K1", owner="reconciler")
    with pytest.raises(ValueError, match=r"herbarium/K1: unknown ledger fields \['colour'\]"):
        ledger.move_many(C, [Move("K1", State.VERIFIED, (State.PUBLISHED,), {},
                                  {"colour": "red"})], owner="reconciler")
    with pytest.raises(ValueError, match="moved twice"):
        ledger.move_many(C, [_verify("K1"), _verify("K1")], owner="reconciler")
    assert ledger.get(C, "K1").state == State.PUBLISHED
    ledger.dispose()
