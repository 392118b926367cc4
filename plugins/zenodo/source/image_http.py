"""Images on an http(s) server: their size, a few bytes, a whole streamed read.

``requests`` with ``stream=True`` (TLS verification on): Airflow's ``ObjectStoragePath`` has no
filesystem for ``http``/``https`` with the installed providers, and a raw request keeps the
status (404 vs 5xx), ``Range`` and ``Content-Length`` in our hands. Validation asks only what
it needs (``HEAD``, ``Range: bytes=0-15``, ``Range: bytes=-2``); the md5 and the upload read the
file once each, in pieces, so memory stays flat. 404/410 and other refusals raise
:class:`ImageGone`; 5xx, 429, timeouts and cut bodies :class:`ImageUnavailable`.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import urllib3.exceptions

from zenodo.config.url_credentials import shown
from zenodo.source.checked_body import PIECE, CheckedBody
from zenodo.source.file_errors import ImageGone, ImageUnavailable

#: (connect, read) seconds for an image server.
TIMEOUT = (10.0, 60.0)
_GONE = (404, 410)
#: Schemes read with plain HTTP requests; every other one is an object store.
HTTP_SCHEMES = ("http", "https")
_TRANSPORT = (requests.ConnectionError, requests.Timeout,
              requests.exceptions.ChunkedEncodingError, urllib3.exceptions.HTTPError, OSError)


class RemoteFile:
    """An image at a URL, where a local image has its :class:`~pathlib.Path`.

    :param url: the absolute URL (kept whole: its credentials are used, never shown).
    :param conn_id: the Airflow connection an object store (``s3://``…) is opened with
        (``images.conn_id``); ``None`` for http(s), or the store's default credentials.
    """

    def __init__(self, url: str, conn_id: str | None = None) -> None:
        self.url = url
        self.conn_id = conn_id

    @property
    def scheme(self) -> str:
        """The URL's scheme, lower case."""
        return urlsplit(self.url).scheme.lower()

    @property
    def name(self) -> str:
        """The last segment of the URL's path, unquoted."""
        return unquote(PurePosixPath(urlsplit(self.url).path).name)

    @property
    def suffix(self) -> str:
        """The name's extension (``.jpg``)."""
        return PurePosixPath(self.name).suffix

    @property
    def shown(self) -> str:
        """The URL as it may be shown: without credentials, query or fragment."""
        return shown(self.url)

    def stat(self) -> Any:
        """The remote size as ``st_size``, like :meth:`pathlib.Path.stat`."""
        return SimpleNamespace(st_size=remote_size(self))

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"RemoteFile({self.shown!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteFile) and (other.url, other.conn_id) == (
            self.url, self.conn_id)

    def __hash__(self) -> int:
        return hash((self.url, self.conn_id))


def _get(remote: RemoteFile, method: str = "GET", headers: dict[str, str] | None = None
         ) -> requests.Response:
    """Send one request for ``remote``; an error status or no answer raises, named."""
    where = f"image {remote.shown}"
    if remote.scheme not in HTTP_SCHEMES:
        raise ImageGone(f"{where}: not an http(s) URL")
    try:
        response = requests.request(
            method, remote.url, stream=True, timeout=TIMEOUT, allow_redirects=True,
            headers={"Accept-Encoding": "identity", **(headers or {})})
    except _TRANSPORT as exc:
        raise ImageUnavailable(f"{where}: no answer ({type(exc).__name__}); try again later",
                               operation="image") from None
    status = response.status_code
    if status < 400:
        return response
    response.close()
    if status in _GONE:
        raise ImageGone(f"{where}: HTTP {status} (missing)")
    if status >= 500 or status == 429:
        raise ImageUnavailable(f"{where}: HTTP {status}; try again later", status=status,
                               operation="image")
    raise ImageGone(f"{where}: HTTP {status} (refused)")


def _read(response: requests.Response, remote: RemoteFile, limit: int) -> bytes:
    """At most ``limit`` bytes of a streamed body; a cut connection is unavailability."""
    try:
        return response.raw.read(limit) or b""
    except _TRANSPORT as exc:
        raise ImageUnavailable(f"image {remote.shown}: body cut ({type(exc).__name__})",
                               operation="image") from None


def remote_size(remote: RemoteFile) -> int:
    """The image's size: ``HEAD``'s ``Content-Length``, else a one-byte ranged ``GET``."""
    with _get(remote, "HEAD") as head:
        declared = head.headers.get("Content-Length", "")
    if declared.isdigit():
        return int(declared)
    with _get(remote, headers={"Range": "bytes=0-0"}) as ranged:
        total = ranged.headers.get("Content-Range", "").rpartition("/")[2]
        declared = ranged.headers.get("Content-Length", "")
        if ranged.status_code == 206 and total.isdigit():
            return int(total)
        if ranged.status_code == 200 and declared.isdigit():
            return int(declared)
    return RemoteBody(remote, size=None).read_through()[0]


def read_head(remote: RemoteFile, count: int) -> bytes:
    """The first ``count`` bytes (a ``Range`` request; a server without ranges: cut short)."""
    with _get(remote, headers={"Range": f"bytes=0-{count - 1}"}) as response:
        return _read(response, remote, count)[:count]


def read_tail(remote: RemoteFile, count: int) -> bytes:
    """The last ``count`` bytes (a suffix ``Range``; a server without ranges: read through)."""
    with _get(remote, headers={"Range": f"bytes=-{count}"}) as response:
        if response.status_code == 206:
            return _read(response, remote, count)[-count:]
        tail = b""
        while piece := _read(response, remote, PIECE):
            tail = (tail + piece)[-count:]
        return tail


class RemoteBody(CheckedBody):
    """An image on an http(s) server opened for one upload: one streamed ``GET``
    (:class:`~zenodo.source.checked_body.CheckedBody` holds its last piece until checked)."""

    def _start(self) -> int | None:
        self._response = _get(self.remote)
        declared = self._response.headers.get("Content-Length", "")
        return int(declared) if declared.isdigit() else None

    def _piece(self, count: int) -> bytes:
        return _read(self._response, self.remote, count)

    def _stop(self) -> None:
        self._response.close()
