"""The baseline for P3: the 2019 pilots' Celery uploader, modelled as it behaved.

The ICEDIG pilots (D6.3, 2019) uploaded with Celery: the operator queued all of a batch's
creates, then all its file uploads, then all its publishes, three FIFO queues (first in, first
out) worked by a pool of workers. :class:`Uploader2019` does the same with N threads (each its
own keep-alive session), one stage after the other:

1. create a deposition with its metadata, for every record of the batch, in order;
2. PUT the file into the bucket of every record whose create answered;
3. publish every record whose upload answered.

Nothing is retried. A failed create or upload (a non-2xx status or a broken connection) is
logged failed, and the record waits for the operator's next batch; the draft of a failed upload
stays on the server (nothing discards it). A create whose answer was lost (the server
committed, then the answer failed) leaves a draft the client never learns of: an orphan. The log
loses publish errors: every publish is logged as published whatever its answer, so a publish
that failed leaves a record that is not online while the log says it is. The log keeps one
state a record, the latest batch's: the operator's only view of what is online.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import requests

_OK = (200, 201, 202)


class Logged(StrEnum):
    """What the 2019 log says of a record."""

    PUBLISHED = "published"
    CREATE_FAILED = "create failed"
    UPLOAD_FAILED = "upload failed"


@dataclass(frozen=True)
class Upload:
    """One record to upload: its metadata and its one file."""

    key: str
    metadata: dict[str, Any]
    path: Path


@dataclass(frozen=True)
class _Draft:
    """A record whose create answered: its deposition id and the links the next stages use."""

    upload: Upload
    depid: str
    bucket: str
    publish: str

    @property
    def key(self) -> str:
        """The record's key (the log's)."""
        return self.upload.key


_Item = TypeVar("_Item", Upload, _Draft)


class Uploader2019:
    """Upload batches the 2019 pilots' way, keeping their log.

    :param url: the server's base URL.
    :param token: the access token (sent as a bearer header).
    :param workers: threads working each stage's queue.

    ``log`` (key -> :class:`Logged`) and ``drafts`` (the deposition ids whose create answered)
    grow over the batches, as the operator's log file did.
    """

    def __init__(self, url: str, token: str, *, workers: int = 16) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.workers = workers
        self.log: dict[str, Logged] = {}
        self.drafts: set[str] = set()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"Authorization": f"Bearer {self.token}",
                                    "Accept": "application/json"})
            self._local.session = session
        return session

    def run(self, uploads: Iterable[Upload]) -> float:
        """Upload one batch, stage by stage, logging every record; return its wall seconds."""
        uploads = list(uploads)
        started = time.monotonic()
        with ThreadPoolExecutor(self.workers, thread_name_prefix="uploader2019") as pool:
            created = self._stage(pool, self._create, uploads, Logged.CREATE_FAILED)
            self.drafts.update(draft.depid for draft in created)
            uploaded = self._stage(pool, self._upload, created, Logged.UPLOAD_FAILED)
            for _ in pool.map(self._publish, uploaded):
                pass
        self.log.update((draft.key, Logged.PUBLISHED) for draft in uploaded)
        return time.monotonic() - started

    def _stage(self, pool: ThreadPoolExecutor, step: Callable[[_Item], _Draft | None],
               items: list[_Item], failure: Logged) -> list[_Draft]:
        """Work ``items`` through ``step`` in queue order; log ``failure`` for each that failed."""
        done = []
        for item, draft in zip(items, pool.map(step, items), strict=True):
            if draft is None:
                self.log[item.key] = failure
            else:
                done.append(draft)
        return done

    def _create(self, upload: Upload) -> _Draft | None:
        try:
            created = _checked(self._session().post(f"{self.url}/api/deposit/depositions",
                                                    json={"metadata": upload.metadata},
                                                    timeout=30))
        except (requests.RequestException, RuntimeError):
            return None
        links = created["links"]
        return _Draft(upload, str(created["id"]), links["bucket"], links["publish"])

    def _upload(self, draft: _Draft) -> _Draft | None:
        path = draft.upload.path
        try:
            with path.open("rb") as handle:
                _checked(self._session().put(
                    f"{draft.bucket}/{path.name}", data=handle, timeout=30,
                    headers={"Content-Type": "application/octet-stream"}))
        except (requests.RequestException, RuntimeError):
            return None
        return draft

    def _publish(self, draft: _Draft) -> None:
        """Send the publish; its answer is never read (the 2019 log lost publish errors)."""
        with contextlib.suppress(requests.RequestException):
            self._session().post(draft.publish, timeout=30)


def _checked(response: requests.Response) -> dict[str, Any]:
    if response.status_code not in _OK:
        raise RuntimeError(f"[{response.status_code}] {response.text[:200]}")
    return response.json()
