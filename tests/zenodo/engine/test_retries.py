"""A transient failure of an idempotent request is tried again off the thread.

The engine's threads leave the hook's retries to the engine: a 5xx on a file PUT defers the
specimen for a retry wait, and its thread serves the next specimen meanwhile. What is sent is
read from the sandbox's request log.
"""

from __future__ import annotations

import contextlib
import itertools
import pathlib
import threading
from collections import defaultdict

from tests.zenodo.engine_helpers import assert_server_and_ledger_agree, run_batch
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.errors import ServerError
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo.repository.deposit_api import DepositApi
from zenodo_sandbox.testing import SandboxProcess


def test_a_failing_file_put_frees_the_thread_for_the_next_specimen(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    sandbox.admin.set_faults({"seed": 5, "kinds": {"file_put": {"error_rate": 1.0}}})
    keys = register_specimens(sqlite_ledger, tmp_path, 3)
    result = run_batch(sqlite_ledger, zenodo_hook, keys, concurrency=1, retry_waits=(0.3, 0.3))
    assert result.outcomes == {"failed": 3}
    entries = sandbox.admin.requests()["requests"]
    kinds = [e["kind"] for e in entries]
    assert kinds.count("create") == 3 and kinds.count("publish") == 0
    assert kinds.count("file_put") == 3 * 3, "a first try and one more per retry wait"
    fourth_put = [i for i, kind in enumerate(kinds) if kind == "file_put"][3]
    assert max(i for i, kind in enumerate(kinds) if kind == "create") < fourth_put, (
        "one thread started every specimen before trying any file again"
    )
    tries: dict[str, list[float]] = defaultdict(list)
    for entry in entries:
        if entry["kind"] == "file_put":
            tries[entry["path"]].append(entry["time"])
    for times in tries.values():
        assert len(times) == 3
        assert all(later - earlier >= 0.3 for earlier, later in itertools.pairwise(times))
    for key in keys:
        row = sqlite_ledger.get(COLLECTION, key)
        assert row.state == State.FAILED and row.last_error_status in (500, 502, 503, 504)
        assert "file_put" in (row.last_error_message or "")


def test_each_failed_put_costs_one_put_and_confirmed_files_are_not_sent_again(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    sandbox.admin.set_faults({"seed": 11, "kinds": {"file_put": {"error_rate": 0.3}}})
    keys = register_specimens(sqlite_ledger, tmp_path, 10, files_each=3)
    result = run_batch(sqlite_ledger, zenodo_hook, keys, concurrency=2, retry_waits=(0.05,) * 8)
    assert result.outcomes == {"published": 10}
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
    failed = sum(sandbox.admin.faults()["injected"].values())
    assert failed > 3, "the seed makes some of the second and third files fail"
    assert sandbox.admin.requests(kind="file_put")["total"] == 10 * 3 + failed
    assert sandbox.admin.requests(kind="create")["total"] == 10, "a draft is never made again"
    # The draft's ids were in the ledger by the end of the step whose first PUT failed, so
    # the next try went back to that draft without looking it up (no search).
    assert sandbox.admin.requests(kind="list")["total"] == 0


def test_a_thread_that_leaves_retries_to_its_caller_tries_a_read_once(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook
) -> None:
    api = DepositApi(zenodo_hook)
    draft = api.create_deposition({"title": "read me"})
    sandbox.admin.set_faults({"kinds": {"get": {"error_rate": 1.0}}})
    raised: list[BaseException] = []

    def read_once() -> None:
        zenodo_hook.leave_retries_to_caller()
        try:
            api.get_deposition(draft["id"])
        except ServerError as exc:
            raised.append(exc)

    worker = threading.Thread(target=read_once)
    worker.start()
    worker.join()
    assert len(raised) == 1 and sandbox.admin.requests(kind="get")["total"] == 1
    with contextlib.suppress(ServerError):
        api.get_deposition(draft["id"])
    assert sandbox.admin.requests(kind="get")["total"] == 1 + zenodo_hook.read_attempts, (
        "other threads still retry"
    )
