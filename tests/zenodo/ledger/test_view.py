"""A LedgerView writes as its owner and actor, in its collection only."""

from __future__ import annotations

import pytest

from zenodo.ledger.ledger import Ledger
from zenodo.ledger.rows import LeaseLost
from zenodo.ledger.states import State
from zenodo.ledger.view import LedgerView

FILES = [{"name": "a.jpg", "size": 10, "md5": "0" * 32}]


def test_a_views_writes_carry_its_owner_and_actor_in_its_collection(ledger: Ledger) -> None:
    for collection in ("herbarium", "insects"):
        ledger.register(collection, "k1", metadata_hash="h", files=FILES, mapping_name="m",
                        mapping_version="1", source_modified=None, actor="test")
    view = LedgerView(ledger, "herbarium", owner="w1", actor={"task": "upload"})
    row, intended = view.claim_to_create("k1", ttl_s=60)
    assert intended and row is not None and row.lease_owner == "w1"
    view.record_draft("k1", deposition_id=7, bucket_url="http://b/7")
    stored = ledger.get("herbarium", "k1")
    assert (stored.state, stored.deposition_id, stored.lease_owner) == (State.DRAFTED, "7", "w1")
    assert {e.to_state: e.actor for e in ledger.events("herbarium", "k1")}[State.UNKNOWN] == \
        {"task": "upload"}
    assert ledger.get("insects", "k1").state == State.NEW  # the other collection is untouched


def test_a_view_without_the_lease_cannot_write(ledger: Ledger) -> None:
    ledger.register("herbarium", "k1", metadata_hash="h", files=FILES, mapping_name="m",
                    mapping_version="1", source_modified=None, actor="test")
    LedgerView(ledger, "herbarium", owner="w1").claim(["k1"], ttl_s=60)
    with pytest.raises(LeaseLost):
        LedgerView(ledger, "herbarium", owner="w2").record_draft(
            "k1", deposition_id=7, bucket_url="http://b/7")
