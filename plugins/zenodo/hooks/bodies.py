"""Bodies on the wire: a file sent from an open handle; an answer read within a cap and a deadline.

A hostile or broken server can send a page of hundreds of megabytes, or trickle one byte every
few seconds (each read then beats the read timeout, and the answer never ends). The body is
read in small pieces: past ``max_bytes`` it is refused
(:class:`~zenodo.errors.ResponseTooLarge`), past the ``deadline`` abandoned
(:class:`~zenodo.errors.DeadlinePassed`); neither is retried.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import requests
import urllib3.exceptions

from zenodo.errors import DeadlinePassed, ResponseTooLarge, ServerError
from zenodo.source.hashing_reader import HashingReader

#: What a file upload sends: a path (opened here) or a file already open (sent from its start).
FileSource = str | os.PathLike[str] | BinaryIO

#: The most a read returns at once; small enough to see a deadline pass between two reads.
PIECE = 64 * 1024
#: Errors while the body streams: the answer is incomplete, a retry may get it whole.
_BODY_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)


def seconds_left(deadline: float | None, *, operation: str) -> float | None:
    """Return the seconds until ``deadline`` (``time.monotonic()`` based; None: no deadline).

    :raises DeadlinePassed: when it has passed.
    """
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlinePassed(f"{operation}: deadline passed; gave up waiting for the answer",
                             operation=operation)
    return left


def read_capped(response: requests.Response, *, max_bytes: int, deadline: float | None,
                operation: str, truncate: bool = False) -> bytes:
    """Read a ``stream=True`` response's body: at most ``max_bytes``, before ``deadline``.

    :param truncate: return the first ``max_bytes`` instead of refusing a longer body (for
        error pages, read only to be quoted).
    :raises ResponseTooLarge: the body (or its declared length) exceeds ``max_bytes``.
    :raises DeadlinePassed: ``deadline`` passed while reading.
    :raises ServerError: the connection failed mid-body.
    """
    declared = response.headers.get("Content-Length", "")
    if not truncate and declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(
            f"{operation}: answer of {int(declared)} bytes refused (more than {max_bytes})",
            status=response.status_code, operation=operation)
    pieces: list[bytes] = []
    size = 0
    try:
        while True:
            seconds_left(deadline, operation=operation)
            piece = response.raw.read1(PIECE)
            if not piece:
                break
            size += len(piece)
            if size > max_bytes:
                if truncate:
                    pieces.append(piece[: len(piece) - (size - max_bytes)])
                    break
                raise ResponseTooLarge(
                    f"{operation}: answer refused after {max_bytes} bytes (the cap)",
                    status=response.status_code, operation=operation)
            pieces.append(piece)
    except _BODY_ERRORS as exc:
        raise ServerError(f"{operation}: {type(exc).__name__} while reading the answer",
                          operation=operation) from exc
    return b"".join(pieces)


def source_name(source: FileSource) -> str:
    """The file name of a path or an open file."""
    name = getattr(source, "name", source) if hasattr(source, "read") else source
    return os.path.basename(os.fspath(name))  # type: ignore[arg-type]


@contextmanager
def sending(source: FileSource, md5: str | None) -> Iterator[Any]:
    """Yield the body of one PUT: hashed on the way when ``md5`` is unknown (``.md5``).

    An open file is sent from its start and left open (its owner checked and closes it); a
    path is opened here and closed after. A body that hashes itself (a remote image's
    :class:`~zenodo.source.image_http.RemoteBody`, with ``.md5``) is sent as it is.
    """
    if hasattr(source, "read"):
        handle: BinaryIO = source  # type: ignore[assignment]
        if md5 is None and not hasattr(handle, "md5"):
            yield HashingReader.over(handle)
        else:
            handle.seek(0)
            yield handle
        return
    with HashingReader.open(source) if md5 is None else open(source, "rb") as body:
        yield body
