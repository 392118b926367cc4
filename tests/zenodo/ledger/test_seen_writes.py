"""A step write given the row as its writer last saw it (``seen``): on PostgreSQL one
autocommitted statement while the row is still so, else the locked write on the row as it is.

The upload engine writes through a :class:`LedgerView`, which hands each write the row the
last one returned; these tests pin what that may and may not skip.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from zenodo.ledger.ledger import Ledger
from zenodo.ledger.rows import LeaseLost
from zenodo.ledger.states import State
from zenodo.ledger.view import LedgerView

C = "herbarium"
MD5 = "0" * 31 + "a"
FILES = [{"name": "a.jpg", "size": 10, "md5": MD5}]


# The shared ``ledger`` fixture, on PostgreSQL only: SQLite always locks (its writers take turns).
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def register(ledger: Ledger, key: str = "k1") -> None:
    ledger.register(C, key, metadata_hash="h", files=FILES, mapping_name="m",
                    mapping_version="1", source_modified=None, actor="test")


def watch(ledger: Ledger) -> list[tuple[str, bool]]:
    """The statements sent from now on, each with whether it was autocommitted."""
    sent: list[tuple[str, bool]] = []
    sa.event.listen(ledger.engine, "before_cursor_execute",
                    lambda _c, cursor, statement, *_a: sent.append(
                        (statement.split()[0], cursor.connection.autocommit)))
    return sent


def test_on_postgresql_a_specimens_way_is_one_statement_a_write(ledger: Ledger) -> None:
    register(ledger)
    view = LedgerView(ledger, C, owner="w1", actor={"task": "upload"})
    sent = watch(ledger)
    row, intended = view.claim_to_create("k1", ttl_s=60)
    assert intended and row is not None and row.state == State.UNKNOWN
    view.record_draft("k1", deposition_id=7, bucket_url="http://b/7")
    view.record_uploaded("k1", files=[("a.jpg", 10, MD5)], intent="publish")
    done = view.record_published("k1", record_id=7, doi="10.5072/zenodo.7", release=True)
    # claim + create intent, draft, uploaded + publish intent, published: no lock, BEGIN or
    # COMMIT
    assert sent == [("WITH", True)] * 4
    stored = ledger.get(C, "k1")
    assert done == stored
    assert (stored.state, stored.record_id, stored.lease_owner) == (State.PUBLISHED, "7", None)
    assert stored.all_files_uploaded and stored.attempts == 2  # the two intents
    events = ledger.events(C, "k1")
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, State.NEW), (State.NEW, State.UNKNOWN), (State.UNKNOWN, State.DRAFTED),
        (State.DRAFTED, State.UPLOADED), (State.UPLOADED, State.UNKNOWN),
        (State.UNKNOWN, State.PUBLISHED)]
    assert [e.actor for e in events[1:]] == [{"task": "upload"}] * 5
    assert events[-1].detail == {"record_id": "7", "doi": "10.5072/zenodo.7", "settled_error": {
        "kind": "unknown:publish", "message": "publish sent; outcome not yet seen"}}
    assert events[3].detail is None  # as the locked write leaves an empty detail


def test_a_row_changed_since_it_was_seen_is_written_as_it_is_and_logged_once(
    ledger: Ledger,
) -> None:
    register(ledger)
    view = LedgerView(ledger, C, owner="w1")
    view.claim_to_create("k1", ttl_s=60)
    view.record_draft("k1", deposition_id=7, bucket_url="http://b/7")
    # another write by the same owner the view did not see: one more failed attempt
    ledger.record_failure(C, "k1", owner="w1", kind="server", message="502", status=502)
    ledger.retry(C, "k1", owner="w1")
    before = len(ledger.events(C, "k1"))
    sent = watch(ledger)
    row = view.record_failure("k1", kind="server", message="504", status=504)
    # the statement for the row as seen changed nothing and logged nothing; the locked one did
    assert [s for s, _ in sent] == ["WITH", "SELECT", "WITH"]
    assert row.attempts == 3 and row == ledger.get(C, "k1")
    assert len(ledger.events(C, "k1")) == before + 1


def test_a_row_seen_before_its_lease_was_lost_is_not_written(ledger: Ledger) -> None:
    register(ledger)
    view = LedgerView(ledger, C, owner="w1")
    view.claim_to_create("k1", ttl_s=0)
    assert ledger.claim(C, ["k1"], owner="w2", ttl_s=60) == ["k1"]  # w1's lease expired
    with pytest.raises(LeaseLost, match="held by 'w2'"):
        view.record_draft("k1", deposition_id=7, bucket_url="http://b/7")
    stored = ledger.get(C, "k1")
    assert (stored.state, stored.deposition_id, stored.lease_owner) == (
        State.UNKNOWN, None, "w2")


def test_a_refusal_of_the_row_as_seen_is_checked_on_the_row_as_it_is(ledger: Ledger) -> None:
    register(ledger)
    view = LedgerView(ledger, C, owner="w1")
    view.claim_to_create("k1", ttl_s=60)
    # the view saw UNKNOWN (create pending), where UPLOADED is refused; the row is DRAFTED now
    ledger.record_draft(C, "k1", owner="w1", deposition_id=7, bucket_url="http://b/7")
    row = view.record_uploaded("k1", files=[("a.jpg", 10, MD5)])
    assert row.state == State.UPLOADED and row == ledger.get(C, "k1")


def test_a_worker_claims_again_a_specimen_it_holds_while_its_lease_is_being_renewed(
        ledger: Ledger) -> None:
    """A deferred specimen is claimed again by the worker that holds it. If the worker's lease
    keeper is renewing that lease at the same moment, the claim waits for the renewal; it used
    to skip the locked row and call the specimen busy ("another worker holds this specimen's
    lease"), which failed the batch's task (a 12,000-specimen bench run, one task in four)."""
    register(ledger)
    view = LedgerView(ledger, C, owner="w1", actor={"task": "upload"})
    first, intended = view.claim_to_create("k1", ttl_s=60)
    assert intended and first is not None
    claims: list[tuple[object, bool]] = []
    with ledger.engine.connect() as keeper:  # the renewal, not committed yet
        keeper.execute(sa.text("UPDATE specimens SET lease_expires = lease_expires "
                               "WHERE collection = :c AND key = :k"), {"c": C, "k": "k1"})
        claiming = threading.Thread(target=lambda: claims.append(
            view.claim_to_create("k1", ttl_s=60)))
        claiming.start()
        claiming.join(1.0)
        assert claiming.is_alive(), "the claim waits for the row, it does not skip it"
        keeper.commit()
    claiming.join(30)
    ((row, intended_again),) = claims
    assert row is not None and not intended_again
    assert (row.state, row.lease_owner) == (State.UNKNOWN, "w1")
    # another worker still finds it held, after waiting the same way
    other = LedgerView(ledger, C, owner="w2", actor={"task": "upload"})
    assert other.claim_to_create("k1", ttl_s=60) == (None, False)
