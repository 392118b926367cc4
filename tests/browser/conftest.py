"""Fixtures of the browser test: ``airflow standalone`` as ``make airflow`` runs it, and Chromium.

The browser is Debian's ``chromium`` driven by ``chromium-driver`` (both installed by
``.ci/run`` when missing), headless, with a fresh profile; nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
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
from zenodo_sandbox import standalone
from zenodo_sandbox.testing import SandboxProcess

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--window-size=1400,1000")


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
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        message = "Debian packages chromium and chromium-driver are not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
