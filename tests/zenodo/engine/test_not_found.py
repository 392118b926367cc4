"""A 404 from Zenodo for a deposition the specimen made is not proof that it is gone.

Pilot 2 met 5,766 404s in 2019 (half its errors, ICEDIG D6.3 Table 5) for depositions Zenodo
held. The sandbox injects them as the API answers an id it does not hold (``404``, "The
persistent identifier does not exist.", nothing done). Creating the specimen again on such an
answer would leave a second deposition, or a second published record when the first publish
had gone through: the engine asks again after its retry waits, then searches for the key, and
only then creates again.
"""

from __future__ import annotations

import pathlib

from tests.zenodo.engine_helpers import assert_server_and_ledger_agree, run_batch
from tests.zenodo.payload_factory import register_specimens
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo_sandbox.testing import SandboxProcess


def test_a_lost_publish_answer_then_404s_on_lookup_publish_each_specimen_once(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    # Every publish commits, then the gateway answers 504: each specimen is looked up with a
    # GET of its deposition, and half those GETs answer 404. Before the fix, such a 404 made
    # the specimen NEW again: a second create, and a second published record.
    sandbox.admin.set_faults({"seed": 3, "kinds": {
        "publish": {"commit_then_fail": 1.0, "commit_fail_mode": "gateway"},
        "get": {"error_rate": 0.5, "error_statuses": [404]}}})
    keys = register_specimens(sqlite_ledger, tmp_path, 12)
    result = run_batch(sqlite_ledger, zenodo_hook, keys, concurrency=4,
                       retry_waits=(0.05,) * 6)
    assert result.outcomes == {"published": 12}
    injected = sandbox.admin.faults()["injected"]
    assert injected.get("error_404", 0) >= 3, injected
    assert sandbox.admin.requests(kind="create")["total"] == 12, "no specimen created twice"
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
    assert [d for d in sandbox.admin.depositions() if not d["submitted"]] == []


def test_404s_on_file_puts_and_publish_are_asked_again_not_failed(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    sandbox.admin.set_faults({"seed": 8, "kinds": {
        "file_put": {"error_rate": 0.3, "error_statuses": [404]},
        "publish": {"error_rate": 0.3, "error_statuses": [404]}}})
    keys = register_specimens(sqlite_ledger, tmp_path, 10, files_each=2)
    result = run_batch(sqlite_ledger, zenodo_hook, keys, concurrency=4,
                       retry_waits=(0.05,) * 8)
    assert result.outcomes == {"published": 10}
    assert sandbox.admin.faults()["injected"].get("error_404", 0) >= 3
    assert sandbox.admin.requests(kind="create")["total"] == 10
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
