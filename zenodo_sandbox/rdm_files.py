"""Files of RDM drafts: declare keys, stream content, commit, delete, import; record files.

As invenio-records-resources' files service runs on Zenodo:

* a declared key is ``pending`` until it is committed; only then does it enter the shared
  files table (deposit, records and admin APIs see it). Its declared ``checksum`` and
  ``size`` are kept but never compared: a commit takes the bytes that were sent, and the
  entry's ``checksum`` is theirs (``md5:…``). Committing without content is a server error
  (500); an empty file is refused (``RECORDS_RESOURCES_ALLOW_EMPTY_FILES = False``).
* sending content again to a committed key fails the transfer: the file is removed from the
  draft and the answer (200) carries ``"errors": "File upload transfer failed."``.
* an edit draft of a published record has its files locked (Zenodo unlocks them only
  through a file-modification request): keys may be declared, but content, deleting a
  committed file or importing answer 403.
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool

from zenodo_sandbox import rdm_serialize, records
from zenodo_sandbox.blobs import TooLarge
from zenodo_sandbox.core import VALIDATION_FAILED, ApiError, Context
from zenodo_sandbox.files import QUOTA, check_key
from zenodo_sandbox.rdm import draft_of, load_state, save
from zenodo_sandbox.rdm_fields import Field, Schema, boolean, integer, load, mapping, text
from zenodo_sandbox.storage import Deposition, StoredFile

TOO_MANY = "Uploading selected files will result in exceeding the max amount per record."
TRANSFER_FAILED = "File upload transfer failed."
REMOVE_FIRST = "Please remove all files first."
LOCKED = "Bucket is locked for modifications."
EMPTY = "Empty files are not accepted."
INIT = Schema({"key": Field(text(), required=True), "storage_class": Field(text()),
               "checksum": Field(text()), "size": Field(integer),
               "transfer": Field(mapping), "metadata": Field(mapping),
               "access": Field(Schema({"hidden": Field(boolean)}))})


def no_file(recid: int, key: str) -> ApiError:
    """invenio-records-resources' ``FileKeyNotFoundError`` (404)."""
    return ApiError(404, f"Record '{recid}' has no file '{key}'.")


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
    raise no_file(recid, key)


def record_files(ctx: Context, recid: int) -> dict[str, Any]:
    """The files of a published record (public)."""
    dep = records.published(ctx, recid)
    enabled = ((load_state(ctx, dep)["record"] or {}).get("files") or {}).get("enabled", True)
    return rdm_serialize.file_listing(ctx, dep, {}, enabled=enabled, draft=False)


def record_file(ctx: Context, recid: int, key: str) -> dict[str, Any]:
    """One file entry of a published record (public)."""
    for entry in record_files(ctx, recid)["entries"]:
        if entry["key"] == key:
            return entry
    raise no_file(recid, key)


def _declared(body: Any) -> list[dict[str, Any]]:
    items = body if isinstance(body, list) else [body]
    found, errors = [], []
    for index, item in enumerate(items):
        data, problems = load(INIT, item)
        errors += [{**p, "field": f"{index}.{p['field']}"} for p in problems]
        found.append(data)
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    if not found:
        raise ApiError(400, VALIDATION_FAILED, [{"field": "_schema",
                                                 "messages": ["No files to upload."]}])
    for item in found:
        check_key(item["key"])
    return found


def declare(ctx: Context, user: str, recid: int, body: Any) -> dict[str, Any]:
    """Declare files by key (``[{"key": ...}, ...]``); new entries are ``pending`` (201)."""
    items = _declared(body)
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        taken = {f.key for f in db.files(dep.id)} | set(state["pending"])
        if len(taken) <= ctx.config.max_files < len(taken) + len(items):
            raise ApiError(400, TOO_MANY)
        now = ctx.clock()
        for item in items:
            if item["key"] in taken:
                raise ApiError(400, f"File with key {item['key']} already exists.")
            taken.add(item["key"])
            state["pending"][item["key"]] = {
                "key": item["key"], "size": item.get("size"),
                "checksum": item.get("checksum"), "metadata": item.get("metadata"),
                "created": now, "updated": now, "path": None}
        save(db, dep, state)
    return _listing(ctx, dep, state)


def _room(ctx: Context, dep: Deposition) -> int:
    return ctx.config.quota_bytes - ctx.storage.file_stats(dep.id)[1]


def _target(ctx: Context, user: str, recid: int, key: str,
            ) -> tuple[Deposition, dict[str, Any], dict[str, Any] | None]:
    """The draft and the pending entry of ``key`` (None when ``key`` is committed)."""
    dep, state = draft_of(ctx, user, recid)
    if dep.submitted:
        raise ApiError(403, LOCKED)
    entry = state["pending"].get(key)
    if entry is None and not any(f.key == key for f in ctx.storage.files(dep.id)):
        raise no_file(recid, key)
    return dep, state, entry


async def upload(ctx: Context, user: str, recid: int, key: str,
                 stream: AsyncIterator[bytes]) -> dict[str, Any]:
    """Stream the content of a declared file (200); a second upload replaces the first."""
    dep, _state, entry = await run_in_threadpool(_target, ctx, user, recid, key)
    if entry is None:
        return await run_in_threadpool(_fail_committed, ctx, user, recid, key)
    room = await run_in_threadpool(_room, ctx, dep)
    try:
        blob = await ctx.blobs.write_stream(stream, room)
    except TooLarge as exc:
        raise ApiError(400, QUOTA) from exc

    def store() -> dict[str, Any]:
        old = None
        try:
            with ctx.storage.transaction() as db:
                current, state, entry = _target(ctx, user, recid, key)
                if entry is None:
                    raise no_file(recid, key)
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


def _fail_committed(ctx: Context, user: str, recid: int, key: str) -> dict[str, Any]:
    """Content sent to a committed key: the transfer fails and the file is removed."""
    with ctx.storage.transaction() as db:
        dep, _state = draft_of(ctx, user, recid)
        gone = [f for f in db.files(dep.id) if f.key == key]
        if not gone:
            raise no_file(recid, key)
        for stored in gone:
            db.delete_file(stored.id)
        dep.modified = ctx.clock()
        db.save(dep)
    for stored in gone:
        ctx.blobs.remove(stored.path)
    entry = rdm_serialize.completed_entry(ctx, dep, gone[0], draft=True)
    return {**entry, "errors": TRANSFER_FAILED}


def commit(ctx: Context, user: str, recid: int, key: str) -> dict[str, Any]:
    """Commit an uploaded file (200): it becomes ``completed`` with the md5 of its bytes.

    A committed key commits again (200); no content yet is a 500, an empty file 400.
    """
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        entry = state["pending"].get(key)
        if entry is None:
            for stored in db.files(dep.id):
                if stored.key == key:
                    return rdm_serialize.completed_entry(ctx, dep, stored, draft=True)
            raise no_file(recid, key)
        if entry.get("path") is None:
            raise ApiError(500, "Internal server error.")
        if not entry["uploaded_size"]:
            raise ApiError(400, EMPTY)
        now = ctx.clock()
        stored = StoredFile(id=str(uuid.uuid4()), depid=dep.id, key=key,
                            size=entry["uploaded_size"], md5=entry["md5"],
                            mimetype=mimetypes.guess_type(key)[0]
                            or "application/octet-stream",
                            version_id=str(uuid.uuid4()), created=now, updated=now,
                            path=entry["path"])
        db.put_file(stored)
        del state["pending"][key]
        dep.modified = now
        save(db, dep, state)
    return rdm_serialize.completed_entry(ctx, dep, stored, draft=True)


def delete(ctx: Context, user: str, recid: int, key: str) -> None:
    """Delete a pending or committed file of a draft (204; a locked committed one: 403)."""
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        entry = state["pending"].pop(key, None)
        committed = [f for f in db.files(dep.id) if f.key == key]
        if entry is None and not committed:
            raise no_file(recid, key)
        if committed and dep.submitted:
            raise ApiError(403, LOCKED)
        for stored in committed:
            db.delete_file(stored.id)
        save(db, dep, state)
    paths = [f.path for f in committed] + ([entry["path"]] if entry and entry["path"] else [])
    for path in paths:
        ctx.blobs.remove(path)


def import_files(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """Copy the files of the latest published version into a new-version draft (201)."""
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        if state["pending"] or db.file_stats(dep.id)[0]:
            raise ApiError(400, VALIDATION_FAILED, [{"field": "files.enabled",
                                                     "messages": [REMOVE_FIRST]}])
        if dep.submitted:
            raise ApiError(403, LOCKED)
        previous = [d for d in db.by_concept(dep.conceptrecid)
                    if d.submitted and not d.deleted and d.id != dep.id]
        if not previous:
            raise ApiError(404, "Not found.")
        for stored in db.files(previous[-1].id):
            now = ctx.clock()
            db.put_file(StoredFile(
                id=str(uuid.uuid4()), depid=dep.id, key=stored.key, size=stored.size,
                md5=stored.md5, mimetype=stored.mimetype, version_id=str(uuid.uuid4()),
                created=now, updated=now, path=ctx.blobs.copy(stored.path)))
    return _listing(ctx, dep, state)
