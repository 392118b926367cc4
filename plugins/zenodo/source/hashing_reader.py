"""Files to send: opened once and checked to be the validated file; read with a running md5.

An image may be swapped between validation and upload (replaced by a symlink to a file outside
the image root, by a device, by another file). :func:`open_checked` opens the path once and
checks the opened file itself (``fstat`` of the descriptor, not the name): a regular file, the
very file (device and inode) recorded when it was validated, of the validated size. The upload
then sends that handle, never the path again. A remote image (a
:class:`~zenodo.source.image_http.RemoteFile`: http(s), or an object store such as ``s3://``)
is opened as a body checked against its prepared size and md5
(:func:`~zenodo.source.image_remote.open_body`).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from typing import Any, BinaryIO

from zenodo.source.file_errors import UnsafeFile
from zenodo.source.image_http import RemoteFile
from zenodo.source.image_remote import open_body, remote_digest
from zenodo.source.specimen import FileSpec


@dataclass(frozen=True)
class CheckedFileSpec(FileSpec):
    """A :class:`FileSpec` with the identity of the file that was validated and hashed.

    :param device: ``st_dev`` of the file when its payload was stored.
    :param inode: ``st_ino`` of the file then.
    """

    device: int | None = None
    inode: int | None = None


def with_identity(spec: FileSpec) -> CheckedFileSpec:
    """Return ``spec`` with the identity of the file its path names now (follows links).

    A remote image has none: its prepared size and md5 identify it.
    """
    if isinstance(spec.path, RemoteFile):
        return CheckedFileSpec(spec.path, spec.name, spec.size, spec.md5)
    try:
        found = os.stat(spec.path)
    except OSError:
        return CheckedFileSpec(spec.path, spec.name, spec.size, spec.md5)
    return CheckedFileSpec(spec.path, spec.name, spec.size, spec.md5, found.st_dev, found.st_ino)


def _where(fd: int) -> str:
    """Where an open descriptor really points (Linux), for messages."""
    try:
        return os.path.realpath(f"/proc/self/fd/{fd}")
    except OSError:  # pragma: no cover - no /proc
        return "?"


def open_checked(spec: FileSpec) -> Any:
    """Open ``spec.path`` once for reading and check the opened file; return the handle.

    The file must be a regular file, have the validated size, and, when ``spec`` carries the
    validated identity (:class:`CheckedFileSpec`), be that very file; without an identity a
    symbolic link is refused. Opening never blocks (a FIFO swapped in is refused).

    A remote image is asked for once and must have the prepared size (its md5 is checked as
    it is read: :func:`~zenodo.source.image_remote.open_body`).

    :raises UnsafeFile: naming the file, its path and what is wrong.
    """
    if isinstance(spec.path, RemoteFile):
        return open_body(spec.path, spec.size, spec.md5)
    device, inode = getattr(spec, "device", None), getattr(spec, "inode", None)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if device is None or inode is None:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    where = f"file {spec.name!r} ({os.fspath(spec.path)})"
    try:
        fd = os.open(spec.path, flags)
    except OSError as exc:
        reason = "is a symbolic link" if os.path.islink(spec.path) else f"cannot be opened: " \
                 f"{exc.strerror}"
        raise UnsafeFile(f"{where} {reason}; not sent") from None
    try:
        found = os.fstat(fd)
        problem = None
        if not stat.S_ISREG(found.st_mode):
            problem = f"is not a regular file (now {_where(fd)})"
        elif device is not None and inode is not None and (found.st_dev, found.st_ino) != (
                device, inode):
            problem = f"was replaced since it was validated (now {_where(fd)})"
        elif spec.size is not None and found.st_size != spec.size:
            problem = f"has {found.st_size} bytes, {spec.size} when validated"
        if problem:
            raise UnsafeFile(f"{where} {problem}; not sent: prepare it again (Backfill) once "
                             "the file is right")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class HashingReader:
    """Wrap an open binary file: every ``read`` feeds an md5, so an upload needs one pass.

    ``requests`` streams any object with ``read`` and takes the body length from ``len()``,
    so memory stays constant whatever the file size.

    :param handle: a file opened in binary mode, positioned at its start.
    :param size: the number of bytes that will be read.
    """

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self._handle = handle
        self._size = size
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.bytes_read = 0
        self._owned = True

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> HashingReader:
        """Open ``path`` for a streamed, hashed read."""
        handle = open(path, "rb")  # noqa: SIM115 - closed by close(), owned by the reader
        return cls(handle, os.fstat(handle.fileno()).st_size)

    @classmethod
    def over(cls, handle: BinaryIO) -> HashingReader:
        """Read an open file from its start (its owner closes it: :meth:`close` does not)."""
        handle.seek(0)
        reader = cls(handle, os.fstat(handle.fileno()).st_size)
        reader._owned = False
        return reader

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes and add them to the running md5."""
        chunk = self._handle.read(size if size and size > 0 else 1 << 20)
        self._md5.update(chunk)
        self.bytes_read += len(chunk)
        return chunk

    def __len__(self) -> int:
        return self._size

    @property
    def md5(self) -> str:
        """The hex md5 of everything read so far."""
        return self._md5.hexdigest()

    def close(self) -> None:
        """Close the underlying file (unless it was handed in by :meth:`over`)."""
        if self._owned:
            self._handle.close()

    def __enter__(self) -> HashingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_digest(path: str | os.PathLike[str] | RemoteFile) -> tuple[int, str]:
    """Return a file's size and hex md5 (a remote image: both from one streamed read)."""
    if isinstance(path, RemoteFile):
        return remote_digest(path)
    return os.stat(path).st_size, file_md5(path)


def file_md5(path: str | os.PathLike[str] | RemoteFile, *, chunk_size: int = 1 << 20) -> str:
    """Return the hex md5 of a file (or a remote image, streamed once), read in chunks."""
    if isinstance(path, RemoteFile):
        return remote_digest(path)[1]
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
