"""Fixtures for the domain tests: a real sandbox process, a hook on it, a migrated ledger."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator

import pytest

from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger import Ledger
from zenodo_sandbox.testing import SandboxProcess


@pytest.fixture(scope="session")
def sandbox_process() -> Iterator[SandboxProcess]:
    """One sandbox server for the session (reset before each test that uses it)."""
    with SandboxProcess(limits_profile="none") as process:
        yield process


@pytest.fixture
def sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    """The shared sandbox, wiped: no data, no faults, no limits, no indexing delay."""
    admin = sandbox_process.admin
    admin.reset()
    admin.set_faults(None)
    admin.set_limits(profile="none")
    admin.set_delays(deposit=0, records=0, oai=0)
    return sandbox_process


def connection_json(url: str, token: str, **extra: object) -> str:
    """The JSON form of an Airflow ``zenodo`` connection to ``url``."""
    options = {"rate_limit_profile": "none", "read_timeout": 30, **extra}
    return json.dumps({"conn_type": "zenodo", "host": url, "password": token, "extra": options})


@pytest.fixture
def zenodo_hook(sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> ZenodoHook:
    """A ZenodoHook whose connection (from the environment) points at the sandbox."""
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_TEST", connection_json(sandbox.url, sandbox.token))
    return ZenodoHook("zenodo_test", backoff_max=0.5)


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    """A migrated ledger, once on SQLite and once on PostgreSQL."""
    ledger = Ledger(database_url)
    ledger.migrate()
    yield ledger
    ledger.dispose()


@pytest.fixture
def sqlite_ledger(tmp_path: pathlib.Path) -> Iterator[Ledger]:
    """A migrated ledger on SQLite only."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.migrate()
    yield ledger
    ledger.dispose()
