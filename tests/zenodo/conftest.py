"""Fixtures for the domain tests: a real sandbox process, a hook on it, a migrated ledger."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo_sandbox.testing import SandboxProcess


@pytest.fixture
def zenodo_hook(sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> ZenodoHook:
    """A ZenodoHook whose connection (from the environment) points at the sandbox."""
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_TEST", sandbox.connection_json())
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
