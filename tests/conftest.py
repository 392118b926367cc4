"""Shared fixtures: a hermetic Airflow home, and fresh databases on the real PostgreSQL."""

from __future__ import annotations

import os
import pathlib
import tempfile
import uuid
from collections.abc import Iterator

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Airflow reads its configuration at import time: set it before anything imports airflow.
# Each pytest-xdist worker gets its own home (and metadata database): the workers inherit the
# controller's environment, and one worker's reset of the database would break the other's runs.
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(
        prefix=f"airflow-home-{os.environ['PYTEST_XDIST_WORKER']}-")
else:
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from zenodo_sandbox.testing import SandboxProcess  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_admin_engine() -> sa.Engine:
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        message = f"PostgreSQL is unreachable at {engine.url.render_as_string()}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return engine


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """Create a fresh PostgreSQL database for one test; drop it afterwards.

    Fails (does not skip) when CI=true and PostgreSQL cannot be reached.
    """
    admin = _postgres_admin_engine()
    name = f"test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: pathlib.Path) -> str:
    """A fresh SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run a test once on SQLite and once on the real PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def sandbox_process() -> Iterator[SandboxProcess]:
    """One sandbox server process for the whole session (reset before each test using it)."""
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
