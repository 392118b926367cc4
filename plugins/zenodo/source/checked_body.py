"""A remote image opened for one upload, whatever serves it (an http(s) server, an object store):
streamed in pieces, hashed on the way, and checked before its last byte is handed on.

``requests`` sends it like an open file (``read`` and ``len``). The size must be the prepared
one when the source declares it (else :class:`ImageChanged` before a byte is sent). One piece is
always held back until the source's end has been read and checked, so a body that is short
(:class:`ImageUnavailable`), long (the same, as soon as it passes the size) or of another md5
(:class:`ImageChanged`) stops the PUT before Zenodo has the declared length: no partial or
wrong file is ever complete on Zenodo. ``seek(0)`` asks the source again (a retried PUT).
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from zenodo.source.file_errors import ImageChanged, ImageUnavailable

#: What one read hands on at most, when the caller names no size.
PIECE = 1 << 20


class RemoteImage(Protocol):
    """What a body needs of its image (:class:`~zenodo.source.image_http.RemoteFile`)."""

    @property
    def name(self) -> str:
        """The file name."""

    @property
    def shown(self) -> str:
        """The URL as it may be shown (no credentials)."""


class CheckedBody:
    """The checks and the held-back piece; a subclass opens its source and reads its pieces.

    :param remote: the image.
    :param size: the prepared size (``None``: the source's).
    :param md5: the prepared md5, checked at the end when given.
    """

    #: Bytes asked of the source at a time.
    fetch_size = PIECE

    def __init__(self, remote: RemoteImage, size: int | None, md5: str | None = None) -> None:
        self.remote = remote
        self.name = remote.name
        self._size = size
        self._expected_md5 = md5.lower() if md5 else None
        self._open_source = False
        self._open()

    # -- what a source gives -----------------------------------------------------------------

    def _start(self) -> int | None:
        """Open the source for one whole read; return the size it declares (or ``None``)."""
        raise NotImplementedError

    def _piece(self, count: int) -> bytes:
        """The source's next bytes (at most ``count``, ``b""`` at its end)."""
        raise NotImplementedError

    def _stop(self) -> None:
        """Let the source go (an unfinished body is dropped, not read to its end)."""
        raise NotImplementedError

    # -- the file the upload reads -------------------------------------------------------------

    @property
    def _where(self) -> str:
        return f"image {self.remote.shown}"

    def _open(self) -> None:
        self.close()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.bytes_read = 0  # handed to the reader
        self._fetched = 0  # read from the source (and hashed)
        self._buffer, self._at, self._ended = b"", 0, False
        declared = self._start()
        self._open_source = True
        if declared is not None and self._size is not None and declared != self._size:
            self.close()
            raise ImageChanged(f"{self._where} has {declared} bytes, {self._size} when "
                               "prepared; not sent: prepare it again (Backfill) once the file "
                               "is right")
        if self._size is None:
            self._size = declared

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (a piece when not given), never the last before the check."""
        if not self._open_source:
            return b""
        want = size if size and size > 0 else PIECE
        while len(self._buffer) - self._at <= want and not self._ended:
            self._fetch()
        piece = self._buffer[self._at:self._at + want]
        self._at += len(piece)
        self.bytes_read += len(piece)
        return piece

    def _fetch(self) -> None:
        """Read the source's next piece into the buffer; at its end, check size and md5."""
        piece = self._piece(self.fetch_size)
        if not piece:
            self._ended = True
            if self._size is not None and self._fetched != self._size:
                raise ImageUnavailable(f"{self._where}: body of {self._fetched} bytes, "
                                       f"{self._size} expected (cut short); try again later",
                                       operation="image")
            if self._expected_md5 and self.md5 != self._expected_md5:
                raise ImageChanged(f"{self._where} has md5 {self.md5}, {self._expected_md5} "
                                   "when prepared; not sent: prepare it again (Backfill)")
            return
        self._fetched += len(piece)
        if self._size is not None and self._fetched > self._size:
            raise ImageUnavailable(f"{self._where}: body longer than its {self._size} bytes; "
                                   "try again later", operation="image")
        self._md5.update(piece)
        self._buffer, self._at = self._buffer[self._at:] + piece, 0

    def read_through(self) -> tuple[int, str]:
        """Read the whole body, then let the source go: its size and hex md5 (prepare's one
        streamed read of a remote image)."""
        with self:
            while self.read(PIECE):
                pass
            return self.bytes_read, self.md5

    def seek(self, offset: int, whence: int = 0) -> int:
        """Go back to the start (only): the source is asked again unless nothing was read."""
        if offset != 0 or whence != 0:
            raise OSError(f"{self._where}: can only seek to its start")
        if self._fetched or not self._open_source:
            self._open()
        return 0

    def tell(self) -> int:
        """Bytes handed to the reader so far."""
        return self.bytes_read

    def __len__(self) -> int:
        return self._size or 0

    @property
    def md5(self) -> str:
        """The hex md5 of everything read from the source so far."""
        return self._md5.hexdigest()

    def close(self) -> None:
        """Let the source go."""
        if self._open_source:
            self._open_source = False
            self._stop()

    def __enter__(self) -> CheckedBody:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
