"""The published records go to the ledger from a background writer, many a transaction, and a
record the ledger never heard of is found by the next run, not published again."""

from __future__ import annotations

import pathlib

import pytest
import sqlalchemy as sa

from tests.zenodo.engine_helpers import (
    assert_server_and_ledger_agree,
    ledger_writes,
    run_batch,
)
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo.ledger.view import LedgerView
from zenodo_sandbox.testing import SandboxProcess


def test_the_published_records_of_many_threads_share_transactions(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(ledger, tmp_path, 40)
    with ledger_writes(ledger) as threads:
        result = run_batch(ledger, zenodo_hook, keys, record_stats=False)
    off_workers = [name for name in threads if not name.startswith("zenodo")]
    assert result.outcomes == {"published": 40}
    assert_server_and_ledger_agree(sandbox, ledger, keys)
    assert 1 <= len(off_workers) < 40, "a transaction holds the records of an interval"
    assert set(off_workers) <= {"published-writer", "MainThread"}
    for key in keys:
        row = ledger.get(COLLECTION, key)
        assert row is not None and row.lease_owner is None and row.last_error_kind is None
        (event,) = [e for e in ledger.events(COLLECTION, key) if e.to_state == State.PUBLISHED]
        assert event.from_state == State.UNKNOWN
        assert event.detail["record_id"] == row.record_id
        assert event.detail["settled_error"]["kind"] == "unknown:publish"


def test_a_record_the_ledger_did_not_hear_of_is_looked_up_not_published_again(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = register_specimens(ledger, tmp_path, 6)

    def ledger_down(self: LedgerView, moves: object) -> None:
        raise sa.exc.OperationalError("UPDATE specimens", {}, Exception("ledger down"))

    with monkeypatch.context() as patch:
        patch.setattr(LedgerView, "move_many", ledger_down)
        with pytest.raises(sa.exc.OperationalError, match="ledger down"):
            run_batch(ledger, zenodo_hook, keys, record_stats=False, lease_seconds=1.0)
    published = [d for d in sandbox.admin.depositions() if d["submitted"]]
    assert len(published) == 6, "Zenodo published them all"
    for key in keys:
        row = ledger.get(COLLECTION, key)
        assert row is not None and row.state == State.UNKNOWN
        assert ledger.pending_operation(row) == "publish"
    sandbox.admin.clear_requests()
    second = run_batch(ledger, zenodo_hook, keys, record_stats=False, busy_wait=5.0)
    assert second.outcomes == {"published": 6}
    assert_server_and_ledger_agree(sandbox, ledger, keys)
    kinds = [e["kind"] for e in sandbox.admin.requests()["requests"]]
    assert "publish" not in kinds and "create" not in kinds, "looked up, not sent again"
