"""Shared pieces of the sandbox: the error type, the server context, time and DOI helpers."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zenodo_sandbox.blobs import BlobStore
from zenodo_sandbox.config import SandboxConfig
from zenodo_sandbox.storage import Deposition, Storage

NOT_FOUND = "The persistent identifier does not exist."
PERMISSION_DENIED = "Permission denied."
VALIDATION_FAILED = "A validation error occurred."


class ApiError(Exception):
    """An error answered as Zenodo's JSON error body."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None):
        """Keep the HTTP status, message and optional field errors."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """Return the JSON body ``{"status", "message"[, "errors"]}``."""
        body: dict[str, Any] = {"status": self.status, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def iso(timestamp: float | None) -> str | None:
    """Format an epoch timestamp as Zenodo does (``2020-05-19T11:58:41.606998+00:00``)."""
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat()


@dataclass
class Context:
    """What every handler needs: storage, blobs, configuration and a clock."""

    storage: Storage
    blobs: BlobStore
    config: SandboxConfig
    clock: Callable[[], float] = time.time
    base_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def doi(self, recid: int | str) -> str:
        """Return the sandbox DOI of a record or concept id."""
        return f"{self.config.doi_prefix}/zenodo.{recid}"

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` (which starts with ``/``)."""
        return f"{self.base_url}{path}"


def owned(ctx: Context, user: str, depid: int) -> Deposition:
    """Return deposition ``depid`` if ``user`` owns it, else raise 404 (as Zenodo does)."""
    dep = ctx.storage.get(depid)
    if dep is None or dep.owner != user or dep.deleted:
        raise ApiError(404, NOT_FOUND)
    return dep


def current_metadata(dep: Deposition) -> dict[str, Any]:
    """Return the metadata the deposit API shows: the open draft, else the published one."""
    if dep.draft is not None:
        return dep.draft
    return dep.record or {}
