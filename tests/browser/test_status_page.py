"""The Zenodo status page inside the real Airflow API server, in headless Chromium.

A real run against the sandbox fills the ledger (published, quarantined and failed specimens)
and writes its HTML report; the API server runs this repo's plugin. The browser signs in with
Airflow's login page, reads the counts, opens the collection and follows the run's report link.
Anonymous requests are refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.zenodo_pages import ROOT, ApiServer, chromium, screenshot, sign_in
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.engine.batch_runner import publish_specimens
from zenodo.engine.settings import EngineSettings
from zenodo.engine.statistics import load_batches
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore
from zenodo.ledger.states import State
from zenodo.report.html import write_html
from zenodo.report.run_report import build_report, report_folder
from zenodo.report.status_data import counts_by_collection
from zenodo_sandbox.testing import SandboxProcess

RUN_ID = "manual__2026-11-24T10:00:00+00:00"


@pytest.fixture
def filled(sandbox: SandboxProcess, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    """Run 12 specimens to Zenodo, quarantine 2, fail 1, and write the run's HTML report."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.migrate()
    keys = register_specimens(ledger, tmp_path, 12)
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_TEST", sandbox.connection_json())
    store = PayloadStore(ledger)
    publish_specimens(COLLECTION, keys, hook=ZenodoHook("zenodo_test"), ledger=ledger,
                      payload_for=lambda k: store.get(COLLECTION, k),
                      settings=EngineSettings(concurrency=4),
                      batch_id="b1", actor={"run_id": RUN_ID})
    for key in ("urn:bad:1", "urn:bad:2"):
        ledger.quarantine(COLLECTION, key, [f"{key}: eventDate: not a date"],
                          source_modified=None)
    failed = register_specimens(ledger, tmp_path, 1, start=100)[0]
    ledger.claim(COLLECTION, [failed], owner="t", ttl_s=60)
    ledger.record_failure(COLLECTION, failed, owner="t", kind="ServerError", status=504,
                          message="create: HTTP 504 Gateway Time-out")
    reports = tmp_path / "reports"
    write_html(build_report(ledger, COLLECTION, run_id=RUN_ID),
               load_batches(ledger, COLLECTION, RUN_ID), counts_by_collection(ledger.engine),
               report_folder(reports, COLLECTION, RUN_ID))
    entries = yaml.safe_load((ROOT / "include" / "collections.yaml").read_text())["collections"]
    entry = {**entries[0], "id": COLLECTION, "zenodo_conn_id": "zenodo_test"}
    collections = tmp_path / "collections.yaml"
    collections.write_text(yaml.safe_dump({"collections": [entry]}), encoding="utf-8")
    published = {k: ledger.get(COLLECTION, k).record_id for k in keys}
    yield {"ledger": ledger, "reports": reports, "collections": collections,
           "published": published, "env": {
               "ZENODO_LEDGER_URL": ledger.url, "ZENODO_REPORTS_DIR": str(reports),
               "ZENODO_COLLECTIONS_FILE": str(collections),
               "AIRFLOW_CONN_ZENODO_TEST": os.environ["AIRFLOW_CONN_ZENODO_TEST"]}}
    ledger.dispose()


def test_status_page_in_a_browser(filled: dict, sandbox: SandboxProcess,
                                  tmp_path: Path) -> None:
    with ApiServer(tmp_path / "airflow", filled["env"]) as server:
        anonymous = requests.get(f"{server.url}/zenodo/", timeout=30, allow_redirects=False)
        assert anonymous.status_code == 401
        report_url = f"{server.url}/zenodo/reports/{COLLECTION}/x"
        assert requests.get(report_url, timeout=30).status_code == 401
        as_browser = requests.get(f"{server.url}/zenodo/", headers={"Accept": "text/html"},
                                  timeout=30, allow_redirects=False)
        assert as_browser.status_code == 303
        assert as_browser.headers["location"].startswith("/auth/login?next=/zenodo/")

        with chromium(tmp_path / "profile") as driver:
            wait = WebDriverWait(driver, 60)
            sign_in(driver, f"{server.url}/zenodo/", wait)
            row = driver.find_element(By.CSS_SELECTOR, f"tr[data-collection='{COLLECTION}']")
            cells = {c.get_attribute("data-state"): int(c.text)
                     for c in row.find_elements(By.CSS_SELECTOR, "td[data-state]")}
            assert cells["PUBLISHED"] == 12 and cells["QUARANTINED"] == 2
            assert cells["FAILED"] == 1 and cells["NEW"] == 0
            screenshot(driver, "status-page-index.png")

            row.find_element(By.TAG_NAME, "a").click()
            wait.until(expected_conditions.presence_of_element_located((By.ID, "runs")))
            assert "eventDate: not a date" in driver.find_element(By.ID, "quarantined").text
            assert "HTTP 504" in driver.find_element(By.ID, "failures").text
            links = {a.text: a.get_attribute("href")
                     for a in driver.find_elements(By.CSS_SELECTOR, "a.record")}
            assert set(links) == set(filled["published"].values())
            for record_id, href in links.items():
                assert href == f"{sandbox.url}/records/{record_id}"
            screenshot(driver, "status-page-collection.png")

            driver.find_element(By.CSS_SELECTOR, "a.report").click()
            wait.until(expected_conditions.presence_of_element_located((By.ID, "table4")))
            assert driver.find_element(By.ID, "online").text == "12"
            screenshot(driver, "status-page-report.png")
    assert filled["ledger"].counts(COLLECTION)[State.PUBLISHED] == 12
