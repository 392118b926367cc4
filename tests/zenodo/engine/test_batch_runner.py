"""The engine publishes every specimen exactly once, whatever the server and the workers do.

Every assertion about what is published reads the sandbox's admin API (what the server
really holds), then checks that the ledger agrees with it record for record.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from tests.zenodo.engine_helpers import (
    assert_server_and_ledger_agree,
    run_batch,
)
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo_sandbox.testing import SandboxProcess, fault_mix

ROOT = pathlib.Path(__file__).resolve().parents[3]

FAULTS = fault_mix(seed=20261124)


def test_publishes_each_specimen_once_with_three_requests(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(sqlite_ledger, tmp_path, 20)
    result = run_batch(sqlite_ledger, zenodo_hook, keys)
    assert result.outcomes == {"published": 20}
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
    log = sandbox.admin.requests()
    assert log["total"] == 60, "create + one file PUT + publish per specimen"


def test_a_lost_create_is_searched_for_only_after_the_first_lookup_wait(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    # Every create is made, then its answer is lost: the deposit must be found, not made again.
    sandbox.admin.set_faults({"seed": 3, "kinds": {"create": {"commit_then_fail": 1.0}}})
    keys = register_specimens(sqlite_ledger, tmp_path, 3)
    result = run_batch(sqlite_ledger, zenodo_hook, keys, concurrency=1, lookup_waits=(0.4, 1.0))
    assert result.outcomes == {"published": 3}
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
    entries = sandbox.admin.requests()["requests"]
    creates = [e for e in entries if e["kind"] == "create"]
    searches = [e for e in entries if e["kind"] == "list"]
    assert len(creates) == 3 and len(searches) == 3, "one search finds each deposit"
    for create, search in zip(creates, searches, strict=True):
        assert search["time"] - create["time"] >= 0.4, "no search before the index can know"


def test_500_specimens_with_faults_end_published_exactly_once(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    sandbox.admin.set_delays(deposit=0.5)  # the deposit search lags, as Zenodo's index does
    sandbox.admin.set_faults(FAULTS)
    keys = register_specimens(ledger, tmp_path, 500)
    first = run_batch(ledger, zenodo_hook, keys)
    injected = sandbox.admin.faults()["injected"]
    assert (
        injected.get("commit_then_fail_gateway", 0) + injected.get("commit_then_fail_drop", 0) > 0
    )
    assert injected.get("reset_upload", 0) > 0
    # What failed for good in the first pass (errors past the retries) is due again later:
    # a second run, as the next scheduled run would, finishes them without duplicates.
    leftover = [k for k in keys if ledger.get(COLLECTION, k).state != State.PUBLISHED]
    assert len(leftover) == sum(n for name, n in first.outcomes.items() if name != "published")
    if leftover:
        sandbox.admin.set_faults(None)
        second = run_batch(ledger, zenodo_hook, leftover)
        assert second.outcomes == {"published": len(leftover)}
    assert_server_and_ledger_agree(sandbox, ledger, keys)


def test_two_runs_of_one_batch_at_once_make_no_duplicates(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    sandbox.admin.set_faults({"seed": 7, "kinds": {"*": {"latency": 0.02}}})
    keys = register_specimens(ledger, tmp_path, 40)
    results: list[Any] = []

    def attempt() -> None:
        results.append(run_batch(ledger, zenodo_hook, keys, concurrency=4, lease_seconds=30))

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(set(r.outcomes) <= {"published", "busy"} for r in results)
    assert_server_and_ledger_agree(sandbox, ledger, keys)


def test_token_never_reaches_logs_or_urls(
    sandbox: SandboxProcess,
    zenodo_hook: ZenodoHook,
    sqlite_ledger: Ledger,
    tmp_path: pathlib.Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox.admin.set_faults({"seed": 3, "kinds": {"*": {"error_rate": 0.2}}})
    keys = register_specimens(sqlite_ledger, tmp_path, 10)
    with caplog.at_level(logging.DEBUG):
        result = run_batch(sqlite_ledger, zenodo_hook, keys)
    failures = " ".join(reason for _, reason in result.failures)
    seen_paths = " ".join(r["path"] for r in sandbox.admin.requests()["requests"])
    for text in (caplog.text, failures, seen_paths, sandbox.log_text()):
        assert sandbox.token not in text
    assert "access_token" not in seen_paths


def test_a_killed_worker_leaves_nothing_lost_or_duplicated(
    sandbox: SandboxProcess,
    zenodo_hook: ZenodoHook,
    ledger: Ledger,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox.admin.set_faults({"seed": 11, "kinds": {"*": {"latency": 0.03}}})
    keys = register_specimens(ledger, tmp_path, 60)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(ROOT)])}
    command = [sys.executable, "-m", "tests.zenodo.engine_runner", ledger.url, "zenodo_test", "3"]
    worker = subprocess.Popen([*command, *keys], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = sum(1 for d in sandbox.admin.depositions() if d["submitted"])
        if done >= 10:
            break
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    states = {ledger.get(COLLECTION, k).state for k in keys}
    assert State.NEW in states and State.PUBLISHED in states, "killed in the middle of the batch"

    result = run_batch(ledger, zenodo_hook, keys, lease_seconds=3, busy_wait=15)
    assert result.outcomes == {"published": 60}
    assert_server_and_ledger_agree(sandbox, ledger, keys)


def test_a_batch_waits_for_a_killed_tries_lease_after_its_first_pass(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    """The busy wait counts from the end of the first pass: a batch longer than the wait
    still waits for the leases a killed try left (it used to count from the batch's start,
    so a long batch gave such specimens up at once and its task failed)."""
    sandbox.admin.set_faults({"seed": 3, "kinds": {"*": {"latency": 0.3}}})
    keys = register_specimens(ledger, tmp_path, 4)
    assert ledger.claim(COLLECTION, keys[:1], owner="killed-try", ttl_s=2.0) == keys[:1]
    # one thread: the three free specimens take at least 3 x 3 x 0.3 s, past the wait of 1 s
    result = run_batch(ledger, zenodo_hook, keys, concurrency=1, busy_wait=1.0)
    assert result.outcomes == {"published": 4}
    assert_server_and_ledger_agree(sandbox, ledger, keys)


def test_a_1gb_file_uploads_in_constant_memory(
    sandbox: SandboxProcess, tmp_path: pathlib.Path
) -> None:
    big = tmp_path / "sheet.tif"
    with big.open("wb") as handle:
        handle.truncate(1 << 30)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(ROOT)]),
        "AIRFLOW_CONN_ZENODO_BIG": sandbox.connection_json(),
        "AIRFLOW_HOME": str(tmp_path / "airflow-home"),
    }
    script = (
        "import sys\n"
        "def peak():  # VmHWM: this image's peak RSS (ru_maxrss keeps the forking parent's)\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            return int(line.split()[1])\n"
        "from zenodo.hooks.zenodo import ZenodoHook\n"
        "from zenodo.repository.deposit_api import DepositApi\n"
        "hook = ZenodoHook('zenodo_big')\n"
        "dep = DepositApi(hook).create_deposition({'title': 'big'})\n"
        "before = peak()\n"
        "answer = hook.upload_file(dep['links']['bucket'], sys.argv[1])\n"
        "print(answer['size'], before, peak())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(big)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    size, before_kib, peak_kib = (int(v) for v in out.stdout.split()[-3:])
    assert size == 1 << 30
    growth_mib = (peak_kib - before_kib) / 1024
    assert growth_mib < 16, f"the 1 GB upload grew RSS by {growth_mib:.0f} MiB"
    assert peak_kib < 150 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB (Airflow's import included)"
    (deposition,) = sandbox.admin.depositions()
    zeros = hashlib.md5(usedforsecurity=False)
    for _ in range(1024):
        zeros.update(b"\0" * (1 << 20))
    assert deposition["files"][0]["md5"] == zeros.hexdigest()


def test_batches_shorten_the_thread_switch_interval_until_the_last_one_ends() -> None:
    from zenodo.engine import batch_runner as upload

    original = sys.getswitchinterval()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, float] = {}

    def first_batch() -> None:
        with upload._quick_thread_switches():
            first_in.set()
            second_in.wait(10)
        seen["first ended"] = sys.getswitchinterval()
        first_out.set()

    def second_batch() -> None:
        first_in.wait(10)
        with upload._quick_thread_switches():
            seen["both running"] = sys.getswitchinterval()
            second_in.set()
            first_out.wait(10)

    threads = [threading.Thread(target=first_batch), threading.Thread(target=second_batch)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen["both running"] == pytest.approx(upload.SWITCH_INTERVAL_S)
    assert seen["first ended"] == pytest.approx(upload.SWITCH_INTERVAL_S), (
        "a batch still runs after the first one ends"
    )
    assert sys.getswitchinterval() == pytest.approx(original)
