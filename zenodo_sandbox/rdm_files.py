"""Files of RDM drafts: declare keys, stream content, commit (md5 checked), delete, import.

A declared file lives in the draft's RDM state (``pending``) until it is committed; only
then does it enter the shared files table, where the deposit API, the records API and the
admin API see it. Files of a published record (also while it is being edited) are locked:
changing them answers 403.
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool

from zenodo_sandbox import rdm_serialize
from zenodo_sandbox.blobs import TooLarge
from zenodo_sandbox.core import NOT_FOUND, PERMISSION_DENIED, VALIDATION_FAILED, ApiError, Context
from zenodo_sandbox.files import QUOTA, TOO_MANY, check_key
from zenodo_sandbox.rdm import draft_of, save
from zenodo_sandbox.storage import Deposition, StoredFile

TRANSFER_FAILED = "The file upload transfer failed, please try again."
REMOVE_FIRST = "Please remove all files first."


def _unlocked(ctx: Context, user: str, recid: int) -> tuple[Deposition, dict[str, Any]]:
    dep, state = draft_of(ctx, user, recid)
    if dep.submitted:
        raise ApiError(403, PERMISSION_DENIED)
    return dep, state


def _listing(ctx: Context, dep: Deposition, state: dict[str, Any]) -> dict[str, Any]:
    enabled = (state["draft"].get("files") or {}).get("enabled", True)
    return rdm_serialize.file_listing(ctx, dep, state["pending"], enabled=enabled)


def list_files(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """Return the draft's committed and pending files."""
    dep, state = draft_of(ctx, user, recid)
    return _listing(ctx, dep, state)


def read_file(ctx: Context, user: str, recid: int, key: str) -> dict[str, Any]:
    """Return one file entry of the caller's draft (committed or pending; 404 otherwise)."""
    dep, state = draft_of(ctx, user, recid)
    for entry in _listing(ctx, dep, state)["entries"]:
        if entry["key"] == key:
            return entry
    raise ApiError(404, NOT_FOUND)


def _declared(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("key"), str):
        raise ApiError(400, VALIDATION_FAILED, [{"field": "key", "messages": [
            "Missing data for required field."]}])
    check_key(item["key"])
    checksum = item.get("checksum")
    if checksum is not None and not (isinstance(checksum, str) and checksum.startswith("md5:")):
        raise ApiError(400, VALIDATION_FAILED, [{"field": "checksum", "messages": [
            "Only md5 checksums (md5:<hex>) are supported."]}])
    size = item.get("size")
    if size is not None and (not isinstance(size, int) or size < 0):
        raise ApiError(400, VALIDATION_FAILED, [{"field": "size", "messages": [
            "Not a valid integer."]}])
    return {"key": item["key"], "size": size, "checksum": checksum,
            "metadata": item.get("metadata")}


def declare(ctx: Context, user: str, recid: int, body: Any) -> dict[str, Any]:
    """Declare files by key (``[{"key": ...}, ...]``); new entries are ``pending`` (201)."""
    items = [_declared(item) for item in (body if isinstance(body, list) else [body])]
    with ctx.storage.transaction() as db:
        dep, state = _unlocked(ctx, user, recid)
        taken = {f.key for f in db.files(dep.id)} | set(state["pending"])
        if len(taken) + len(items) > ctx.config.max_files:
            raise ApiError(400, TOO_MANY)
        now = ctx.clock()
        for item in items:
            if item["key"] in taken:
                raise ApiError(400, f"File with key {item['key']} already exists.")
            taken.add(item["key"])
            state["pending"][item["key"]] = {**item, "created": now, "updated": now,
                                             "path": None}
        save(db, dep, state)
    return _listing(ctx, dep, state)


def _pending(ctx: Context, user: str, recid: int, key: str,
             ) -> tuple[Deposition, dict[str, Any], dict[str, Any]]:
    dep, state = _unlocked(ctx, user, recid)
    entry = state["pending"].get(key)
    if entry is None:
        if any(f.key == key for f in ctx.storage.files(dep.id)):
            raise ApiError(400, f"File with key {key} is already committed.")
        raise ApiError(404, NOT_FOUND)
    return dep, state, entry


def _room(ctx: Context, dep: Deposition) -> int:
    return ctx.config.quota_bytes - ctx.storage.file_stats(dep.id)[1]


async def upload(ctx: Context, user: str, recid: int, key: str,
                 stream: AsyncIterator[bytes]) -> dict[str, Any]:
    """Stream the content of a declared file (200); a second upload replaces the first."""
    dep, _state, _entry = await run_in_threadpool(_pending, ctx, user, recid, key)
    room = await run_in_threadpool(_room, ctx, dep)
    try:
        blob = await ctx.blobs.write_stream(stream, room)
    except TooLarge as exc:
        raise ApiError(400, QUOTA) from exc

    def store() -> dict[str, Any]:
        old = None
        try:
            with ctx.storage.transaction() as db:
                current, state, entry = _pending(ctx, user, recid, key)
                old = entry.get("path")
                entry.update(path=blob.path, md5=blob.md5, uploaded_size=blob.size,
                             updated=ctx.clock())
                save(db, current, state)
        except ApiError:
            ctx.blobs.remove(blob.path)
            raise
        if old:
            ctx.blobs.remove(old)
        return rdm_serialize.pending_entry(ctx, current, entry)

    return await run_in_threadpool(store)


def commit(ctx: Context, user: str, recid: int, key: str) -> dict[str, Any]:
    """Commit an uploaded file: check declared size/md5, then add it to the record (200).

    A mismatch, or no content yet, is 400 and drops the uploaded content (the entry stays
    pending, so the client can upload again).
    """
    with ctx.storage.transaction() as db:
        dep, state, entry = _pending(ctx, user, recid, key)
        path = entry.get("path")
        bad = path is None or (
            entry.get("checksum") not in (None, f"md5:{entry['md5']}")
            or entry.get("size") not in (None, entry["uploaded_size"]))
        if bad:
            for name in ("path", "md5", "uploaded_size"):
                entry.pop(name, None)
            entry["path"] = None
            save(db, dep, state)
        else:
            now = ctx.clock()
            stored = StoredFile(id=str(uuid.uuid4()), depid=dep.id, key=key,
                                size=entry["uploaded_size"], md5=entry["md5"],
                                mimetype=mimetypes.guess_type(key)[0]
                                or "application/octet-stream",
                                version_id=str(uuid.uuid4()), created=now, updated=now,
                                path=path)
            db.put_file(stored)
            del state["pending"][key]
            dep.modified = now
            save(db, dep, state)
    if bad:
        if path:
            ctx.blobs.remove(path)
        raise ApiError(400, TRANSFER_FAILED)
    return rdm_serialize.completed_entry(ctx, dep, stored, draft=True)


def delete(ctx: Context, user: str, recid: int, key: str) -> None:
    """Delete a pending or committed file of a draft (204; published record: 403)."""
    with ctx.storage.transaction() as db:
        dep, state = _unlocked(ctx, user, recid)
        entry = state["pending"].pop(key, None)
        committed = [f for f in db.files(dep.id) if f.key == key]
        if entry is None and not committed:
            raise ApiError(404, NOT_FOUND)
        for stored in committed:
            db.delete_file(stored.id)
        save(db, dep, state)
    paths = [f.path for f in committed] + ([entry["path"]] if entry and entry["path"] else [])
    for path in paths:
        ctx.blobs.remove(path)


def import_files(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """Copy the files of the latest published version into a new-version draft (201)."""
    with ctx.storage.transaction() as db:
        dep, state = _unlocked(ctx, user, recid)
        if state["pending"] or db.file_stats(dep.id)[0]:
            raise ApiError(400, VALIDATION_FAILED, [{"field": "files.enabled",
                                                     "messages": [REMOVE_FIRST]}])
        previous = [d for d in db.by_concept(dep.conceptrecid)
                    if d.submitted and not d.deleted and d.id != dep.id]
        if not previous:
            raise ApiError(404, NOT_FOUND)
        for stored in db.files(previous[-1].id):
            now = ctx.clock()
            db.put_file(StoredFile(
                id=str(uuid.uuid4()), depid=dep.id, key=stored.key, size=stored.size,
                md5=stored.md5, mimetype=stored.mimetype, version_id=str(uuid.uuid4()),
                created=now, updated=now, path=ctx.blobs.copy(stored.path)))
    return _listing(ctx, dep, state)
