"""P7's pages: the status page and the run's HTML report at the collection's size, as a user
opens them: inside the real Airflow API server (this repo's plugin), in headless Chromium,
signed in. Each page is timed from the request to its main element being in the document,
and a screenshot of each is kept in the work folder.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.zenodo_pages import ApiServer, chromium, sign_in

#: The longest a page may take to open at P7's size (the brief's target).
PAGE_BOUND_S = 5.0
#: Where the screenshots are kept (the work folder is removed after the run).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "bench-artifacts" / "pilot2"


@dataclass
class PageTimes:
    """Seconds each page took to open, and where its screenshot is."""

    seconds: dict[str, float] = field(default_factory=dict)
    screenshots: dict[str, Path] = field(default_factory=dict)


def _timed(driver: object, wait: WebDriverWait, url_or_click: object, element_id: str) -> float:
    started = time.monotonic()
    if isinstance(url_or_click, str):
        driver.get(url_or_click)  # type: ignore[attr-defined]
    else:
        url_or_click.click()  # type: ignore[attr-defined]
    wait.until(expected_conditions.presence_of_element_located((By.ID, element_id)))
    return time.monotonic() - started


def open_pages(home: Path, env: Mapping[str, str], collection: str,
               shots: Path) -> PageTimes:
    """Sign in, then open the status index, the collection's page and its newest report.

    :param home: a folder for the API server's own ``AIRFLOW_HOME`` and Chromium's profile.
    :param env: what the plugin reads (``ZENODO_LEDGER_URL``, ``ZENODO_REPORTS_DIR``,
        ``ZENODO_COLLECTIONS_FILE``, the Zenodo connection).
    :param shots: where the screenshots go.
    """
    times = PageTimes()
    shots.mkdir(parents=True, exist_ok=True)
    with ApiServer(home / "api-server", env) as server, chromium(home / "chromium") as driver:
        wait = WebDriverWait(driver, 120)
        sign_in(driver, f"{server.url}/zenodo/", wait)
        pages = (("status index", f"{server.url}/zenodo/", "collections"),
                 ("status collection", f"{server.url}/zenodo/collections/{collection}", "runs"))
        for name, url, element in pages:
            times.seconds[name] = _timed(driver, wait, url, element)
            times.screenshots[name] = shots / f"{name.replace(' ', '-')}.png"
            driver.save_screenshot(str(times.screenshots[name]))
        report_link = driver.find_element(By.CSS_SELECTOR, "a.report")
        times.seconds["run report"] = _timed(driver, wait, report_link, "table4")
        times.screenshots["run report"] = shots / "run-report.png"
        driver.save_screenshot(str(times.screenshots["run report"]))
    return times
