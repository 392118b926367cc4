"""A remote image by its scheme: http(s) through ``requests``, any other through the object store.

The one place that tells the two apart, so validation, prepare and the upload ask the same
questions of either: the size, the first or last bytes, a streamed md5, a checked upload body.
"""

from __future__ import annotations

from zenodo.source import image_http, image_objects
from zenodo.source.file_errors import ImageGone
from zenodo.source.image_http import HTTP_SCHEMES, RemoteBody, RemoteFile
from zenodo.source.image_objects import ObjectBody


def in_object_store(remote: RemoteFile) -> bool:
    """Whether ``remote`` is read through Airflow's ObjectStoragePath (``s3://``, ``gs://``…)."""
    return remote.scheme not in HTTP_SCHEMES


def remote_size(remote: RemoteFile) -> int:
    """The image's size in bytes, without reading it."""
    if in_object_store(remote):
        return image_objects.object_size(remote)
    return image_http.remote_size(remote)


def read_head(remote: RemoteFile, count: int) -> bytes:
    """The image's first ``count`` bytes (a ranged read)."""
    if in_object_store(remote):
        return image_objects.object_range(remote, 0, count)
    return image_http.read_head(remote, count)


def read_tail(remote: RemoteFile, count: int, size: int) -> bytes:
    """The image's last ``count`` bytes (``size``: its size, known from :func:`remote_size`)."""
    if in_object_store(remote):
        return image_objects.object_range(remote, max(size - count, 0), size)
    return image_http.read_tail(remote, count)


def remote_digest(remote: RemoteFile) -> tuple[int, str]:
    """Read the whole image once, streamed: its size and hex md5."""
    return open_body(remote, None, None).read_through()


def open_body(remote: RemoteFile, size: int | None, md5: str | None) -> RemoteBody | ObjectBody:
    """The image opened for one upload, checked against its prepared size and md5."""
    if in_object_store(remote):
        return ObjectBody(remote, size, md5)
    return RemoteBody(remote, size, md5)


def store_refusal(root: str, conn_id: str | None) -> str | None:
    """Why the object store ``images.root`` names cannot be opened (``None``: it can, or the
    root is not an object store): no filesystem for its scheme, or an unusable connection."""
    remote = RemoteFile(root, conn_id)
    if not in_object_store(remote):
        return None
    if conn_id is not None:  # a provider may fall back to default credentials without one
        from airflow.sdk import BaseHook

        try:
            BaseHook.get_connection(conn_id)
        except Exception as exc:
            return f"the Airflow connection {conn_id!r} cannot be read ({type(exc).__name__})"
    try:
        image_objects.store_path(remote)
    except ImageGone as exc:
        return str(exc)
    return None
