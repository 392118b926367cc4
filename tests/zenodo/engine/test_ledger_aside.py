"""The ledger writes an upload thread need not wait for are made aside, on the batch's
ledger threads: the next specimens' claims (with their create intents), and a new draft's
ids while its first file is sent. What was sent is read from the sandbox's request log.
"""

from __future__ import annotations

import json
import pathlib
import time
from typing import Any

import pytest

from tests.zenodo.engine_helpers import assert_server_and_ledger_agree, ledger_writes, run_batch
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.errors import AuthFailed
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo.ledger.view import LedgerView
from zenodo_sandbox.testing import SandboxProcess


def test_a_one_file_specimen_costs_its_thread_one_ledger_write(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(sqlite_ledger, tmp_path, 5)
    with ledger_writes(sqlite_ledger) as commits:
        result = run_batch(sqlite_ledger, zenodo_hook, keys, concurrency=1, record_stats=False)
    assert result.outcomes == {"published": 5}
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
    on_worker = [name for name in commits if name.startswith("zenodo_")]
    aside = [name for name in commits if name.startswith("zenodo-ledger")]
    assert len(on_worker) == 5, "the last file, UPLOADED and the publish intent"
    assert len(aside) == 2 * 5, "claim with the create intent; the draft's ids"
    assert 1 <= len(commits) - 3 * 5 <= 5, "the published records, off the thread"


def test_a_new_drafts_ids_are_written_while_its_file_is_sent(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger,
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The draft's write holds until the sandbox has answered the file's PUT: were the write
    # made before the PUT is sent (as it was), it would wait for nothing and time out.
    sent_first: list[bool] = []
    record_draft = LedgerView.record_draft

    def after_the_put(self: LedgerView, key: str, **ids: Any) -> Any:
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            if sandbox.admin.requests(kind="file_put")["total"] > len(sent_first):
                sent_first.append(True)
                break
            time.sleep(0.02)
        else:
            sent_first.append(False)
        return record_draft(self, key, **ids)

    monkeypatch.setattr(LedgerView, "record_draft", after_the_put)
    keys = register_specimens(sqlite_ledger, tmp_path, 3)
    result = run_batch(sqlite_ledger, zenodo_hook, keys, concurrency=1)
    assert result.outcomes == {"published": 3}
    assert sent_first == [True, True, True]
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
    for key in keys:  # and the publish intent came after the draft's ids
        moves = [e.to_state for e in sqlite_ledger.events(COLLECTION, key)]
        assert moves.index(State.DRAFTED) < moves.index(State.UPLOADED)


def test_a_batch_that_stops_gives_back_the_claims_it_made_ahead(
    sandbox: SandboxProcess, sqlite_ledger: Ledger, tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The token is refused at the first create: the batch stops. The next specimen was
    # claimed ahead, its create intent recorded, but its create never sent: it goes back to
    # NEW (else the next run would search Zenodo for it before creating it).
    connection = json.loads(sandbox.connection_json())
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_REVOKED",
                       json.dumps({**connection, "password": "revoked-token"}))
    keys = register_specimens(sqlite_ledger, tmp_path, 5)
    with pytest.raises(AuthFailed):
        run_batch(sqlite_ledger, ZenodoHook("zenodo_revoked"), keys, concurrency=1)
    refused = sandbox.admin.requests(kind="create")["requests"]
    assert [entry["status"] in (401, 403) for entry in refused] == [True], "one create sent"
    rows = [sqlite_ledger.get(COLLECTION, key) for key in keys]
    assert [row.lease_owner for row in rows] == [None] * 5
    assert rows[0].state == State.UNKNOWN, "its create was sent: looked up next time"
    assert [row.state for row in rows[1:]] == [State.NEW] * 4
    assert [e.to_state for e in sqlite_ledger.events(COLLECTION, keys[1])] == [
        State.NEW, State.UNKNOWN, State.NEW], "claimed ahead, then given back"
