"""File operations: the bucket API (streamed PUT) and the old multipart files API.

As on zenodo.org (``RDM_FILES_DEFAULT_QUOTA_SIZE``, ``max_files_count``,
``RECORDS_RESOURCES_ALLOW_EMPTY_FILES = False``): at most 100 files and 50 GB a record, and an
empty file is refused (400). Another user's bucket or deposition answers 403. A bucket key
holding ``/`` matches no route (404), as Zenodo's ``/files/<bucket_id>/<key>`` rule.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool

from zenodo_sandbox import serialize
from zenodo_sandbox.blobs import Blob, TooLarge
from zenodo_sandbox.core import NOT_FOUND, PERMISSION_DENIED, ApiError, Context
from zenodo_sandbox.deposits import owned
from zenodo_sandbox.storage import Deposition, StoredFile

TOO_MANY = "Uploading selected files will result in exceeding the max amount per record."
EMPTY = "Empty files are not accepted."
QUOTA = "Uploading the selected files will result in exceeding the max size per record."
TOO_LARGE = "The data value transmitted exceeds the capacity limit."
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_key(key: str) -> None:
    """Refuse empty keys, ``..`` segments, control characters and a leading ``/`` (400)."""
    if (not key or key.startswith("/") or _CONTROL.search(key)
            or any(part in ("", ".", "..") for part in key.split("/"))):
        raise ApiError(400, f"Invalid file key: {key!r}.")


def secure_filename(name: str) -> str:
    """Return ``name`` made safe the way Werkzeug's ``secure_filename`` does."""
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    for sep in ("/", "\\"):
        name = name.replace(sep, " ")
    name = re.sub(r"[^A-Za-z0-9_.-]", "", "_".join(name.split())).strip("._")
    return name


def _locked(dep: Deposition) -> bool:
    return dep.submitted


def _bucket_owned(ctx: Context, user: str, bucket: str) -> Deposition:
    dep = ctx.storage.by_bucket(bucket)
    if dep is None or dep.deleted:
        raise ApiError(404, NOT_FOUND)
    if dep.owner != user:
        raise ApiError(403, PERMISSION_DENIED)
    return dep


def _check_room(ctx: Context, dep: Deposition, key: str, extra: int) -> int:
    """Return the bytes still allowed for ``key``; raise 400 when the record is full."""
    others = [f for f in ctx.storage.files(dep.id) if f.key != key]
    if len(others) >= ctx.config.max_files:
        raise ApiError(400, TOO_MANY)
    room = ctx.config.quota_bytes - sum(f.size for f in others)
    if extra > room:
        raise ApiError(400, QUOTA)
    return room


def _store(ctx: Context, dep: Deposition, key: str, blob: Blob, *, replace: bool) -> StoredFile:
    """Record ``blob`` as file ``key`` of ``dep`` atomically (re-checking the limits)."""
    if blob.size == 0:
        ctx.blobs.remove(blob.path)
        raise ApiError(400, EMPTY)
    now = ctx.clock()
    stored = StoredFile(id=str(uuid.uuid4()), depid=dep.id, key=key, size=blob.size,
                        md5=blob.md5, mimetype=mimetypes.guess_type(key)[0]
                        or "application/octet-stream", version_id=str(uuid.uuid4()),
                        created=now, updated=now, path=blob.path)
    old: list[StoredFile] = []
    try:
        with ctx.storage.transaction() as db:
            current = db.get(dep.id)
            if current is None or _locked(current):
                raise ApiError(404, NOT_FOUND)
            old = [f for f in db.files(dep.id) if f.key == key]
            if old and not replace:
                raise ApiError(400, f"File with key {key} already exists.")
            if blob.size > _check_room(ctx, current, key, 0):
                raise ApiError(400, QUOTA)
            db.put_file(stored)
    except ApiError:
        ctx.blobs.remove(blob.path)
        raise
    for previous in old:
        ctx.blobs.remove(previous.path)
    return stored


async def bucket_put(ctx: Context, user: str, bucket: str, key: str,
                     body: AsyncIterator[bytes], length: int | None) -> dict[str, Any]:
    """Stream a file into a draft's bucket (201); the same key is replaced."""
    check_key(key)
    dep = await run_in_threadpool(_bucket_owned, ctx, user, bucket)
    if _locked(dep):
        raise ApiError(403, PERMISSION_DENIED)
    room = await run_in_threadpool(_check_room, ctx, dep, key, length or 0)
    try:
        blob = await ctx.blobs.write_stream(body, room)
    except TooLarge as exc:
        raise ApiError(400, QUOTA) from exc
    stored = await run_in_threadpool(_store, ctx, dep, key, blob, replace=True)
    return serialize.bucket_file(ctx, dep, stored)


def bucket_list(ctx: Context, user: str, bucket: str) -> dict[str, Any]:
    """List a bucket's files (shape after the pre-2023 Files REST API)."""
    dep = _bucket_owned(ctx, user, bucket)
    files = ctx.storage.files(dep.id)
    return {
        "id": bucket, "locked": _locked(dep), "size": sum(f.size for f in files),
        "quota_size": ctx.config.quota_bytes, "max_file_size": ctx.config.quota_bytes,
        "contents": [serialize.bucket_file(ctx, dep, f) for f in files],
        "links": {"self": ctx.url(f"/api/files/{bucket}")},
    }


def bucket_file(ctx: Context, user: str, bucket: str, key: str) -> StoredFile:
    """Return file ``key`` of a bucket the caller owns (404 otherwise)."""
    dep = _bucket_owned(ctx, user, bucket)
    for stored in ctx.storage.files(dep.id):
        if stored.key == key:
            return stored
    raise ApiError(404, NOT_FOUND)


def bucket_delete(ctx: Context, user: str, bucket: str, key: str) -> None:
    """Delete file ``key`` from a draft's bucket (204; published: 403)."""
    stored = bucket_file(ctx, user, bucket, key)
    _delete(ctx, user, stored)


def _delete(ctx: Context, user: str, stored: StoredFile) -> None:
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, stored.depid)
        if _locked(dep):
            raise ApiError(403, PERMISSION_DENIED)
        db.delete_file(stored.id)
    ctx.blobs.remove(stored.path)


def legacy_list(ctx: Context, user: str, depid: int) -> list[dict[str, Any]]:
    """List a deposition's files as legacy entries."""
    dep = owned(ctx, user, depid)
    return [serialize.legacy_file(ctx, dep, f) for f in ctx.storage.files(depid)]


def _legacy_lookup(ctx: Context, user: str, depid: int, file_id: str) -> StoredFile:
    owned(ctx, user, depid)
    for stored in ctx.storage.files(depid):
        if stored.id == file_id:
            return stored
    raise ApiError(404, NOT_FOUND)


def legacy_get(ctx: Context, user: str, depid: int, file_id: str) -> dict[str, Any]:
    """Return one legacy file entry."""
    stored = _legacy_lookup(ctx, user, depid, file_id)
    return serialize.legacy_file(ctx, owned(ctx, user, depid), stored)


def legacy_delete(ctx: Context, user: str, depid: int, file_id: str) -> None:
    """Delete one file by id (204; published: 403)."""
    _delete(ctx, user, _legacy_lookup(ctx, user, depid, file_id))


def legacy_prepare(ctx: Context, user: str, depid: int, length: int | None) -> Deposition:
    """Check a multipart upload may start: owner, not published (404), size (413)."""
    dep = owned(ctx, user, depid)
    if _locked(dep):
        raise ApiError(404, NOT_FOUND)
    if length is not None and length > ctx.config.multipart_max_bytes:
        raise ApiError(413, TOO_LARGE)
    return dep


def legacy_store(ctx: Context, dep: Deposition, name: str, blob: Blob) -> dict[str, Any]:
    """Store a multipart upload under ``secure_filename(name)`` (duplicate key: 400)."""
    key = secure_filename(name)
    if not key:
        ctx.blobs.remove(blob.path)
        raise ApiError(400, "A file name is required.")
    try:
        _check_room(ctx, dep, key, blob.size)
    except ApiError:
        ctx.blobs.remove(blob.path)
        raise
    stored = _store(ctx, dep, key, blob, replace=False)
    return serialize.legacy_file(ctx, dep, stored)
