"""Fixtures of the browser test: ``airflow standalone`` as ``make airflow`` runs it, and Chromium.

The browser is Debian's ``chromium`` driven by ``chromium-driver`` (both installed by
``.ci/run`` when missing), headless, with a fresh profile; nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.airflow_processes import (
    AirflowApi,
    AirflowProcesses,
    free_port,
    manual_collections_file,
    wait_until,
)
from tests.browser.zenodo_pages import chromium
from zenodo_demo import local_airflow as standalone
from zenodo_sandbox.testing import SandboxProcess


@dataclass
class Standalone:
    """A running ``airflow standalone`` of this project, wired to a sandbox."""

    url: str
    password: str
    sandbox: SandboxProcess
    api: AirflowApi
    work: Path


@pytest.fixture
def airflow_standalone(tmp_path: Path) -> Iterator[Standalone]:
    """Start ``airflow standalone`` the way ``make airflow`` does (manual-only schedule)."""
    work = tmp_path / "local"
    port = free_port()
    with SandboxProcess(limits_profile="none", data_dir=work / "sandbox") as sandbox:
        collections = manual_collections_file(tmp_path / "collections.yaml")
        env = standalone.standalone_env(work, sandbox.connection_json(), port,
                                        extra={"ZENODO_COLLECTIONS_FILE": str(collections)})
        standalone.initialise(env)
        password = standalone.admin_password(work / "airflow")
        procs = AirflowProcesses(work / "airflow", env)
        try:
            procs.start("standalone", "standalone")
            api = AirflowApi(f"http://127.0.0.1:{port}")
            wait_until(api.healthy, 120, "the api-server", procs.check_alive)
            api.login(standalone.ADMIN_USER, password)
            wait_until(lambda: api.dag_loaded("herbarium_sample"), 120, "the DAG",
                       procs.check_alive)
            yield Standalone(api.base_url, password, sandbox, api, work)
        finally:
            procs.stop_all()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Return a headless Chromium (Selenium WebDriver) with a fresh profile; quit afterwards."""
    with chromium(tmp_path / "chromium-profile") as driver:
        driver.implicitly_wait(0)
        yield driver
