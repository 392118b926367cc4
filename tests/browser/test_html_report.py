"""The run's HTML report (from a real faulted run) opens in headless Chromium, self-contained."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.browser.zenodo_pages import chromium, screenshot
from tests.zenodo.engine_helpers import run_batch
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.engine.statistics import load_batches
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.report.html import T4_COLUMNS, write_html
from zenodo.report.run_report import build_report
from zenodo.report.status_data import counts_by_collection
from zenodo_sandbox.testing import SandboxProcess


def test_the_html_report_opens_with_tables_and_plots(
    sandbox: SandboxProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_TEST", sandbox.connection_json())
    zenodo_hook = ZenodoHook("zenodo_test", backoff_max=0.5)
    sqlite_ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    sqlite_ledger.migrate()
    keys = register_specimens(sqlite_ledger, tmp_path, 30)
    sandbox.admin.set_faults({"seed": 5, "kinds": {"get": {"error_rate": 0.3},
                                                   "create": {"error_rate": 0.1}}})
    for half, batch in ((keys[:15], "b1"), (keys[15:], "b2")):
        run_batch(sqlite_ledger, zenodo_hook, half, concurrency=3, batch_id=batch,
                  actor={"run_id": "run-7"})
    batches = load_batches(sqlite_ledger, COLLECTION, "run-7")
    path = write_html(build_report(sqlite_ledger, COLLECTION, run_id="run-7"), batches,
                      counts_by_collection(sqlite_ledger.engine), tmp_path / "out")
    assert "http://" not in path.read_text().replace("http://www.w3.org", "")

    with chromium(tmp_path / "profile") as driver:
        driver.get(path.as_uri())
        header = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#table4 th")]
        assert tuple(header) == T4_COLUMNS
        rows = driver.find_elements(By.CSS_SELECTOR, "#table4 tr")
        body = [[td.text for td in r.find_elements(By.TAG_NAME, "td")] for r in rows[1:]]
        assert [r[0] for r in body] == ["b1", "b2", "total"]
        assert [int(r[5]) for r in body[:2]] == [b["errors"] for b in batches]
        assert int(body[2][5]) == sum(b["errors"] for b in batches) > 0
        statuses = {tr.find_elements(By.TAG_NAME, "td")[0].text
                    for tr in driver.find_elements(By.CSS_SELECTOR, "#table5 tr")[1:]}
        assert statuses == {s for b in batches for s in b["errors_by_status"]}
        images = driver.find_elements(By.TAG_NAME, "img")
        assert len(images) == 3
        for image in images:
            assert image.get_attribute("src").startswith("data:image/svg+xml;base64,")
            assert driver.execute_script("return arguments[0].naturalWidth", image) > 100
        shot = screenshot(driver, "html-report.png")
    assert shot.stat().st_size > 10_000
