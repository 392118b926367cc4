"""Where an image is: a local path, or a URL standing where a path stands.

An image reference (a template result, a multimedia row) and ``images.root`` may be URLs.
``http://`` and ``https://`` images are read over the network (:mod:`zenodo.source.image_http`,
which also strips credentials and query tokens from URLs shown in logs and reasons);
a ``file://`` URL is a local path and gets every local check. Another scheme (``s3://``,
``gs://``…) is an object store, opened through Airflow's ObjectStoragePath with the
collection's ``images.conn_id`` (:mod:`zenodo.source.image_objects`), which each
:class:`RemoteFile` carries.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit
from urllib.request import url2pathname

from zenodo.source.image_http import HTTP_SCHEMES, RemoteFile

_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
#: What ``Path("https://host/x")`` makes of a URL: ``https:/host/x``.
_COLLAPSED_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/(?!/)(.*)$")


def is_url(reference: str) -> bool:
    """Tell whether ``reference`` is an absolute URL (``scheme://…``)."""
    return bool(_URL_RE.match(reference))


#: What a file spec's ``path`` may be.
ImagePath = Path | RemoteFile


def root_url(root: Path | str) -> str | None:
    """The URL ``images.root`` names, or ``None`` for a folder.

    The configuration keeps the root as a :class:`~pathlib.Path`, which folds ``https://h/x``
    into ``https:/h/x``; both spellings are understood.
    """
    text = str(root)
    if is_url(text):
        return text
    folded = _COLLAPSED_RE.match(text)
    if folded and folded.group(1).lower() != "file":
        return f"{folded.group(1)}://{folded.group(2)}"
    return None


def local_root(root: Path | str) -> Path:
    """``images.root`` as a folder (a ``file://`` root becomes its path)."""
    text = str(root)
    for prefix in ("file://", "file:"):
        if text.lower().startswith(prefix):
            return Path(url2pathname(urlsplit("file:" + text[len(prefix):]).path or "/"))
    return Path(root)


def _conn_for(url: str, conn_id: str | None) -> str | None:
    """The connection an image at ``url`` is opened with: none for http(s)."""
    return None if urlsplit(url).scheme.lower() in HTTP_SCHEMES else conn_id


def location(reference: str, conn_id: str | None = None) -> ImagePath:
    """An absolute reference as a path: a ``file://`` URL its local path, another URL remote.

    :param conn_id: the Airflow connection of an object store (``images.conn_id``).
    """
    if reference.lower().startswith("file:"):
        return local_root(reference)
    return RemoteFile(reference, _conn_for(reference, conn_id))


def under_url(root: str, reference: str, conn_id: str | None = None) -> RemoteFile:
    """The file ``reference`` (relative, ``/``-separated) under the URL ``root``."""
    parts = urlsplit(root)
    path = parts.path.rstrip("/") + "/" + quote(reference.lstrip("/"), safe="/~")
    url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    return RemoteFile(url, _conn_for(url, conn_id))


def stored_path(text: str, conn_id: str | None = None) -> ImagePath:
    """A path as the payload store wrote it (``str`` of a path or of a :class:`RemoteFile`,
    whose connection id is stored beside it)."""
    return RemoteFile(text, conn_id) if is_url(text) else Path(text)
