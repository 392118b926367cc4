"""A file reader that computes the md5 of what it hands out, for streamed uploads."""

from __future__ import annotations

import hashlib
import os
from typing import BinaryIO


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

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> HashingReader:
        """Open ``path`` for a streamed, hashed read."""
        handle = open(path, "rb")  # noqa: SIM115 - closed by close(), owned by the reader
        return cls(handle, os.fstat(handle.fileno()).st_size)

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
        """Close the underlying file."""
        self._handle.close()

    def __enter__(self) -> HashingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_md5(path: str | os.PathLike[str], *, chunk_size: int = 1 << 20) -> str:
    """Return the hex md5 of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
