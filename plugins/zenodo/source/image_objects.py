"""Images in object storage (``s3://``, ``gs://``, …), read through Airflow's ObjectStoragePath.

The filesystem is ``ObjectStoragePath("<scheme>://<bucket>/", conn_id=images.conn_id).fs``:
the Airflow connection holds the credentials and the endpoint (for S3, the Amazon provider's
``aws`` connection, ``extra.endpoint_url`` for an S3-compatible server), so no secret is ever
in an image URL. Validation asks only for what its rules need: the size (one ``HEAD``) and the
first bytes / last two (ranged ``GET``s). Prepare's md5 and the upload each read the object
once, as one streamed ``GET`` taken in pieces, so memory stays flat whatever the size.

A missing object (404) or a refused one (403) raises :class:`ImageGone`; anything else the store
or its client raises (5xx once the client's own retries are spent, a timeout, a cut body)
:class:`ImageUnavailable`, naming the image without credentials and the store's error code.
Airflow is imported when an object is first opened, so this module imports without it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from zenodo.source.checked_body import PIECE, CheckedBody
from zenodo.source.file_errors import ImageGone, ImageUnavailable, UnsafeFile
from zenodo.source.image_http import RemoteFile

T = TypeVar("T")
#: Bytes one ranged read fetches when the filesystem cannot stream (no ``open_async``).
READ_BLOCK = 8 * PIECE
#: Bytes read from the store at a time (one held back, one on its way: memory stays flat).
FETCH = 2 * PIECE


def store_path(remote: RemoteFile) -> tuple[Any, str]:
    """The filesystem of ``remote``'s store (Airflow's, with its connection) and its path there.

    :raises ImageGone: no filesystem for the scheme (its provider is not installed), or the
        connection cannot be used; the message says which.
    """
    from airflow.sdk import ObjectStoragePath

    parts = urlsplit(remote.url)
    try:
        base = ObjectStoragePath(f"{parts.scheme}://{parts.netloc}/", conn_id=remote.conn_id)
        fs = base.fs
    except Exception as exc:  # no provider for the scheme, an unknown or unusable connection
        raise ImageGone(f"image {remote.shown}: cannot open {parts.scheme}:// images "
                        f"({type(exc).__name__}: {str(exc)[:200]})") from None
    return fs, f"{parts.netloc}/{unquote(parts.path.lstrip('/'))}"


def _answer(exc: BaseException) -> tuple[int | None, str]:
    """The HTTP status and error code a store's client error carries (in it or its causes)."""
    seen: BaseException | None = exc
    for _ in range(8):  # a chain of causes is short; never follow a loop
        if seen is None:
            break
        response = getattr(seen, "response", None)
        if isinstance(response, dict):
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = response.get("Error", {}).get("Code", "")
            return (int(status) if status else None), str(code)
        seen = seen.__cause__ or seen.__context__
    return None, ""


def failure(remote: RemoteFile, exc: BaseException, doing: str) -> Exception:
    """What a store's exception means for the specimen: gone (404/403) or unavailable."""
    if isinstance(exc, UnsafeFile | ImageUnavailable):
        return exc
    where = f"image {remote.shown}"
    status, code = _answer(exc)
    if isinstance(exc, FileNotFoundError) or status == 404:
        return ImageGone(f"{where}: not in the store (404)")
    if isinstance(exc, PermissionError) or status == 403:
        return ImageGone(f"{where}: the store refused access (403; check images.conn_id)")
    told = ", ".join(dict.fromkeys(str(x) for x in (status, code) if x)) or type(exc).__name__
    return ImageUnavailable(f"{where}: {doing} failed ({told}); try again later",
                            status=status, operation="image")


def guarded(remote: RemoteFile, doing: str, call: Callable[[], T]) -> T:
    """Run ``call``; a store's exception becomes :func:`failure`'s (names the image)."""
    try:
        return call()
    except Exception as exc:
        raise failure(remote, exc, doing) from None


def object_size(remote: RemoteFile) -> int:
    """The object's size (one ``HEAD``, never a cached listing)."""
    def stat() -> int:
        fs, path = store_path(remote)
        info = fs.info(path, refresh=True) if _takes_refresh(fs) else fs.info(path)
        if info.get("type") == "directory":
            raise FileNotFoundError(path)
        return int(info["size"])
    return guarded(remote, "stat", stat)


def _takes_refresh(fs: Any) -> bool:
    """Whether ``fs.info`` accepts ``refresh`` (s3fs: skip its listing cache)."""
    return type(fs).__module__.split(".")[0] == "s3fs"


def object_range(remote: RemoteFile, start: int, end: int) -> bytes:
    """Bytes ``start`` to ``end`` (exclusive) of the object, one ranged ``GET``."""
    def cat() -> bytes:
        fs, path = store_path(remote)
        return bytes(fs.cat_file(path, start=start, end=end))
    return guarded(remote, "ranged read", cat) if end > start else b""


class _Stream:
    """One streamed read of a whole object: ``read(n)`` gives its next piece, ``b""`` at its end.

    An async filesystem with ``open_async`` (s3fs: one ``GET``, its body read as it comes) is
    read on its event loop, one piece ahead: the next piece arrives while the caller sends
    the last one. Another filesystem is read through ``open`` with a bounded read-ahead.
    """

    def __init__(self, remote: RemoteFile) -> None:
        from fsspec.asyn import AsyncFileSystem, sync

        fs, path = store_path(remote)
        self._fs = fs
        self._async = isinstance(fs, AsyncFileSystem) and \
            type(fs).open_async is not AsyncFileSystem.open_async
        self._file = sync(fs.loop, fs.open_async, path, "rb") if self._async else fs.open(
            path, "rb", block_size=READ_BLOCK, cache_type="readahead")
        self._next: concurrent.futures.Future[bytes] | None = None

    async def _read_full(self, count: int) -> bytes:
        """``count`` bytes, fewer only at the object's end (a body gives what has come)."""
        parts: list[bytes] = []
        got = 0
        while got < count:
            piece = await self._file.read(count - got)
            if not piece:
                break
            parts.append(bytes(piece))
            got += len(piece)
        return b"".join(parts)

    def _ask(self, count: int) -> concurrent.futures.Future[bytes]:
        return asyncio.run_coroutine_threadsafe(self._read_full(count), self._fs.loop)

    def read(self, count: int) -> bytes:
        """Up to ``count`` bytes, at least one unless the object has ended."""
        if not self._async:
            return bytes(self._file.read(count))
        pending, self._next = self._next or self._ask(count), None
        piece = pending.result()
        if piece:
            self._next = self._ask(count)
        return piece

    def close(self) -> None:
        """Let the connection go (an unfinished body is dropped, not read to its end)."""
        if not self._async:
            self._file.close()
            return
        if self._next is not None:
            self._next.cancel()
            self._next = None
        body = getattr(self._file, "r", None)  # s3fs's streamed body, once asked for
        if body is not None:
            self._fs.loop.call_soon_threadsafe(body.close)


class ObjectBody(CheckedBody):
    """An object opened for one upload: its size asked first (a changed one is not sent), then
    one streamed read (:class:`~zenodo.source.checked_body.CheckedBody` holds its last piece
    until checked)."""

    fetch_size = FETCH

    def _start(self) -> int | None:
        actual = object_size(self.remote)
        self._stream = guarded(self.remote, "read", lambda: _Stream(self.remote))
        return actual

    def _piece(self, count: int) -> bytes:
        return guarded(self.remote, "read", lambda: self._stream.read(count))

    def _stop(self) -> None:
        self._stream.close()
