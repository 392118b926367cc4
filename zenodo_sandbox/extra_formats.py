"""Extra formats: one file per MIME type beside a record's files (zenodo-rdm
``legacy/resources.py`` ``DraftExtraFormatsResource`` and ``RecordExtraFormatsResource``).

They live apart from the record's files (InvenioRDM media files): an index per deposition
under the blob folder (so a sandbox reset wipes them) maps a MIME type to its blob.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from zenodo_sandbox.core import ApiError, Context, iso

INVALID = "Invalid extra format MIMEType."
NOT_FOUND = "Not found."
_LOCK = threading.Lock()


def _index(ctx: Context, depid: int) -> Path:
    folder = ctx.blobs.root / "formats"
    folder.mkdir(exist_ok=True)
    return folder / f"{depid}.json"


def _read(ctx: Context, depid: int) -> dict[str, dict[str, Any]]:
    path = _index(ctx, depid)
    return json.loads(path.read_text()) if path.exists() else {}


def _write(ctx: Context, depid: int, entries: dict[str, dict[str, Any]]) -> None:
    _index(ctx, depid).write_text(json.dumps(entries))


def mimetype(value: str | None) -> str:
    """Return the MIME type a request names; 400 ``Invalid extra format MIMEType.``."""
    if not value:
        raise ApiError(400, INVALID)
    return value


async def put(ctx: Context, depid: int, kind: str, body: AsyncIterator[bytes]) -> dict[str, str]:
    """Create or replace the extra format ``kind`` (200 with a message)."""
    blob = await ctx.blobs.write_stream(body, ctx.config.quota_bytes)
    now = ctx.clock()
    with _LOCK:
        entries = _read(ctx, depid)
        old = entries.get(kind)
        entries[kind] = {"path": blob.path, "md5": blob.md5, "size": blob.size,
                         "created": old["created"] if old else now, "updated": now}
        _write(ctx, depid, entries)
    if old:
        ctx.blobs.remove(old["path"])
    return {"message": f'Extra format "{kind}" updated.'}


def delete(ctx: Context, depid: int, kind: str) -> dict[str, str]:
    """Delete the extra format ``kind`` (404 when there is none)."""
    with _LOCK:
        entries = _read(ctx, depid)
        old = entries.pop(kind, None)
        if old is None:
            raise ApiError(404, NOT_FOUND)
        _write(ctx, depid, entries)
    ctx.blobs.remove(old["path"])
    return {"message": f'Extra format "{kind}" deleted.'}


def path_of(ctx: Context, depid: int, kind: str) -> str:
    """Return the blob of the extra format ``kind`` (404 when there is none)."""
    entry = _read(ctx, depid).get(kind)
    if entry is None:
        raise ApiError(404, NOT_FOUND)
    return entry["path"]


def listing(ctx: Context, depid: int) -> list[dict[str, Any]]:
    """Return the extra formats as InvenioRDM file entries (``OPTIONS``)."""
    return [{"key": kind, "mimetype": "application/octet-stream",
             "checksum": f"md5:{entry['md5']}", "size": entry["size"], "status": "completed",
             "storage_class": "L", "created": iso(entry["created"]),
             "updated": iso(entry["updated"]), "metadata": None}
            for kind, entry in sorted(_read(ctx, depid).items())]
