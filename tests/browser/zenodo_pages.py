"""Helpers of the status-page and HTML-report browser tests: an API server and headless Chromium.

:class:`ApiServer` runs the real ``airflow api-server`` (Simple auth manager, one user with a
known password, this repo's plugins) in its own ``AIRFLOW_HOME``. :func:`chromium` starts
Debian's Chromium with a fresh profile.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1300,1000")
USER, PASSWORD = "viewer", "viewer-pass-4711"


def free_port() -> int:
    """Return a TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ApiServer:
    """``airflow api-server`` on a free port, with ``extra_env`` (ledger, reports, connection)."""

    def __init__(self, home: Path, extra_env: Mapping[str, str]) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        home.mkdir(parents=True, exist_ok=True)
        (home / "dags").mkdir(exist_ok=True)
        passwords = home / "passwords.json"
        passwords.write_text(json.dumps({USER: PASSWORD}), encoding="utf-8")
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("AIRFLOW", "ZENODO_"))}
        self.env = {
            **base, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:viewer",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(ROOT)]),
            **extra_env,
        }
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ApiServer:
        airflow = str(Path(sys.executable).with_name("airflow"))
        subprocess.run([airflow, "db", "migrate"], env=self.env, check=True,
                       capture_output=True, timeout=180)
        log = (self.home / "api-server.log").open("wb")
        self._proc = subprocess.Popen([airflow, "api-server", "--port", str(self.port)],
                                      env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"api-server exited: {self.log_tail()}")
            try:
                if requests.get(f"{self.url}/api/v2/monitor/health", timeout=2).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"api-server did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        """Return the end of the server's log."""
        return (self.home / "api-server.log").read_text(errors="replace")[-3000:]

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """Yield a headless Chromium WebDriver with a fresh profile in ``profile``."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        message = "Debian packages chromium and chromium-driver are not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver: Any, url: str, wait: Any) -> None:
    """Open ``url`` (a page behind Airflow's login), sign in as :data:`USER`, and wait until
    the browser is back on a page with ``#collections`` (the status index)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions

    driver.get(url)
    wait.until(expected_conditions.presence_of_element_located(
        (By.CSS_SELECTOR, "input[type=password]")))
    driver.find_element(By.CSS_SELECTOR, "input[name=username]").send_keys(USER)
    driver.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "collections")))


def screenshot(driver: Any, name: str) -> Path:
    """Save a screenshot under ``test-artifacts/`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path
