"""Image file rules: present, non-empty, readable, the type the extension says, safe names,
and within Zenodo's per-record limits (100 files, 50 GB).

A remote image (an http(s) URL, or an object in a store such as ``s3://``) is asked only for
what the rules need: its size, its first 16 bytes and, for a JPEG, its last 2 (``HEAD`` and
ranged reads). 404/410 (a store's 404/403) make it missing; a server error or timeout raises
:class:`~zenodo.source.file_errors.ImageUnavailable` (not the specimen's fault: it is not
quarantined).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from zenodo.config.url_credentials import credential_refusal
from zenodo.source.file_errors import ImageGone
from zenodo.source.image_http import RemoteFile
from zenodo.source.image_remote import read_head, read_tail, remote_size
from zenodo.source.image_urls import local_root, root_url
from zenodo.source.specimen import FileSpec, SpecimenRecord
from zenodo.validate.problem import ERROR, WARNING, Problem

#: invenio-rdm-records config.py RDM_RECORDS_MAX_FILES_COUNT (zenodo.org keeps the default)
MAX_FILES_PER_RECORD = 100
#: zenodo-rdm invenio.cfg RDM_FILES_DEFAULT_QUOTA_SIZE (decimal gigabytes)
MAX_BYTES_PER_RECORD = 50 * 10**9
MAX_NAME_BYTES = 255

_MAGIC: dict[str, tuple[bytes, ...]] = {
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "tiff": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    "jp2": (b"\x00\x00\x00\x0cjP  ",),
}
_EXTENSIONS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".tif": "tiff",
               ".tiff": "tiff", ".jp2": "jp2"}


def sniff_type(head: bytes) -> str | None:
    """Return the image type that ``head`` (the first bytes of a file) starts with."""
    for kind, magics in _MAGIC.items():
        if any(head.startswith(magic) for magic in magics):
            return kind
    return None


def unsafe_name_reason(name: str) -> str | None:
    """Return why ``name`` is not a safe upload file name, or ``None`` when it is."""
    if not name or name in (".", ".."):
        return "empty or dot-only file name"
    if "/" in name or "\\" in name:
        return "file name contains a path separator"
    if name.startswith("."):
        return "file name starts with a dot (hidden file)"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in name):
        return "file name contains control or invisible characters"
    if len(name.encode("utf-8", errors="surrogatepass")) > MAX_NAME_BYTES:
        return f"file name is longer than {MAX_NAME_BYTES} bytes"
    return None


def _inside_root(path: Path, root: Path | None) -> bool:
    if root is None:
        return ".." not in path.parts
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):
        return False


def _check_bytes(key: str, spec: FileSpec, size: int, head: bytes,
                 tail: Callable[[], bytes]) -> Iterator[Problem]:
    """The content rules, from the size, the first bytes and (for a JPEG) the last two."""
    if size == 0:
        yield Problem(key, spec.name, ERROR, "image file is empty (0 bytes)")
        return
    expected = _EXTENSIONS.get(spec.path.suffix.lower())
    actual = sniff_type(head)
    if expected is None:
        yield Problem(key, spec.name, WARNING,
                      f"extension {spec.path.suffix!r} is not a known image type")
    elif actual != expected:
        yield Problem(key, spec.name, ERROR,
                      f"content is {actual or 'not a known image type'}, "
                      f"extension says {expected}")
    elif actual == "jpeg" and tail() != b"\xff\xd9":
        yield Problem(key, spec.name, ERROR, "JPEG is truncated (no end-of-image marker)")


def _check_content(key: str, spec: FileSpec, path: Path) -> Iterator[Problem]:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(16)
            handle.seek(max(size - 2, 0))
            tail = handle.read(2)
    except PermissionError:
        yield Problem(key, spec.name, ERROR, "image file is not readable (permission denied)")
        return
    except OSError as exc:
        yield Problem(key, spec.name, ERROR, f"image file is not readable: {exc.strerror}")
        return
    yield from _check_bytes(key, spec, size, head, lambda: tail)


def _check_remote(key: str, spec: FileSpec, remote: RemoteFile) -> Iterator[Problem | int]:
    """The rules for a remote image; yields its size (an int) once it is known.

    :raises ImageUnavailable: the server failed or did not answer (try again later).
    """
    try:
        size = remote_size(remote)
        yield size
        head = read_head(remote, 16) if size else b""
    except ImageGone as exc:
        yield Problem(key, spec.name, ERROR, f"image file is missing: {exc}")
        return
    yield from _check_bytes(key, spec, size, head, lambda: read_tail(remote, 2, size))


def check_files(record: SpecimenRecord, image_root: Path | None = None,
                extra_files: int = 0) -> Iterator[Problem]:
    """Check every image file of a record and the record's totals.

    :param record: the record
    :param image_root: files must resolve inside this folder (``None``: no ``..`` allowed)
    :param extra_files: files the mapping adds (e.g. 1 for a JSON-LD sidecar)
    """
    if not record.images:
        yield Problem(record.key, "images", ERROR, "no image files for this specimen")
        return
    total = 0
    names: set[str] = set()
    if image_root is not None:  # a URL root holds no local file; a file:// one is a folder
        image_root = None if root_url(image_root) else local_root(image_root)
    for spec in record.images:
        reason = unsafe_name_reason(spec.name)
        remote = spec.path if isinstance(spec.path, RemoteFile) else None
        if reason is None and remote is None and not _inside_root(spec.path, image_root):
            reason = f"path {os.fspath(spec.path)!r} leaves the image root"
        elif reason is None and remote is not None and ".." in remote.url.split("?")[0].split("/"):
            reason = f"URL {remote.shown!r} has a '..' segment"
        if reason is None and remote is not None and (
                why := credential_refusal(remote.url)) is not None:
            yield Problem(record.key, spec.name or "images", ERROR,
                          f"image URL {remote.shown!r}: {why}")
            continue
        if reason is not None:
            yield Problem(record.key, spec.name or "images", ERROR, f"unsafe file name: {reason}")
            continue
        if spec.name in names:
            yield Problem(record.key, spec.name, ERROR, "two files would get the same name")
        names.add(spec.name)
        if remote is not None:
            for found in _check_remote(record.key, spec, remote):
                if isinstance(found, int):
                    total += found
                else:
                    yield found
            continue
        if not spec.path.is_file():
            yield Problem(record.key, spec.name, ERROR, f"image file is missing: {spec.path}")
            continue
        total += spec.path.stat().st_size
        yield from _check_content(record.key, spec, spec.path)
    if len(record.images) + extra_files > MAX_FILES_PER_RECORD:
        yield Problem(record.key, "images", ERROR,
                      f"{len(record.images) + extra_files} files: Zenodo allows "
                      f"{MAX_FILES_PER_RECORD} per record")
    if total > MAX_BYTES_PER_RECORD:
        yield Problem(record.key, "images", ERROR,
                      f"{total} bytes: Zenodo allows {MAX_BYTES_PER_RECORD} per record")
