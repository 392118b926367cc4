"""The reference client for P3: how the 2019 pilot scripts uploaded (the seed's style).

Per record: create the deposition with its metadata, PUT the file into its bucket, publish;
N worker threads, each with its own keep-alive session. No pacer, no ledger, no lookup:
any error (a non-2xx status or a broken connection) is logged and the whole record is
retried blindly from the create, after a short pause, up to ``attempts`` times. A publish
whose answer was lost is therefore published again as a new record: a duplicate. (The
pilot's Celery uploader did not retry at all: a failed record waited for the operator's next
batch. The three tries only help the baseline.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

log = logging.getLogger(__name__)

_OK = (200, 201, 202)


@dataclass(frozen=True)
class Upload:
    """One record to upload: its metadata and its one file."""

    key: str
    metadata: dict[str, Any]
    path: Path


@dataclass
class BaselineResult:
    """What the baseline believes it did (the sandbox may hold more: see the census)."""

    published: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    errors: int = 0
    seconds: float = 0.0


class BaselineUploader:
    """Upload records the seed's way.

    :param url: the server's base URL.
    :param token: the access token (sent as a bearer header).
    :param workers: threads uploading at once.
    :param attempts: tries per record (each from the create).
    :param retry_wait: seconds to pause before a retry.
    """

    def __init__(self, url: str, token: str, *, workers: int = 16, attempts: int = 3,
                 retry_wait: float = 1.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.workers = workers
        self.attempts = attempts
        self.retry_wait = retry_wait
        self._local = threading.local()
        self._lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"Authorization": f"Bearer {self.token}",
                                    "Accept": "application/json"})
            self._local.session = session
        return session

    def run(self, uploads: Iterable[Upload]) -> BaselineResult:
        """Upload every record; return what the client believes happened."""
        uploads = list(uploads)
        result = BaselineResult()
        started = time.monotonic()
        with ThreadPoolExecutor(self.workers, thread_name_prefix="baseline") as pool:
            for upload, ok in zip(uploads, pool.map(lambda u: self._upload(u, result), uploads),
                                  strict=True):
                (result.published if ok else result.failed).add(upload.key)
        result.seconds = time.monotonic() - started
        return result

    def _upload(self, upload: Upload, result: BaselineResult) -> bool:
        for attempt in range(1, self.attempts + 1):
            try:
                self._once(upload)
                return True
            except (requests.RequestException, RuntimeError) as exc:
                with self._lock:
                    result.errors += 1
                log.info("record %s attempt %d failed: %s", upload.key, attempt, exc)
                time.sleep(self.retry_wait)
        return False

    def _once(self, upload: Upload) -> None:
        session = self._session()
        created = _checked(session.post(f"{self.url}/api/deposit/depositions",
                                        json={"metadata": upload.metadata}, timeout=30))
        bucket = created["links"]["bucket"]
        with upload.path.open("rb") as handle:
            _checked(session.put(f"{bucket}/{upload.path.name}", data=handle, timeout=30,
                                 headers={"Content-Type": "application/octet-stream"}))
        _checked(session.post(created["links"]["publish"], timeout=30))


def _checked(response: requests.Response) -> dict[str, Any]:
    if response.status_code not in _OK:
        raise RuntimeError(f"[{response.status_code}] {response.text[:200]}")
    return response.json()
