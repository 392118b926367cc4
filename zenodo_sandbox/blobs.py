"""Store file contents on disk: streamed writes with md5 and size computed on the way."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path


class TooLarge(Exception):
    """The stream went over the byte budget it was given."""


@dataclass(frozen=True)
class Blob:
    """A finished blob: where it lives, its md5 (hex) and size in bytes."""

    path: str
    md5: str
    size: int


class BlobStore:
    """Blobs live as ``<root>/<uuid>``; a partial write never leaves a blob behind."""

    def __init__(self, root: Path) -> None:
        """Use (and create) ``root`` as the blob folder."""
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _new_path(self) -> Path:
        return self.root / uuid.uuid4().hex

    async def write_stream(self, chunks: AsyncIterator[bytes], max_size: int) -> Blob:
        """Write an async byte stream to a new blob; raise :class:`TooLarge` past ``max_size``.

        :param chunks: the request body stream
        :param max_size: the most bytes accepted
        """
        path = self._new_path()
        digest, size = hashlib.md5(usedforsecurity=False), 0
        try:
            with path.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_size:
                        raise TooLarge
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Blob(str(path), digest.hexdigest(), size)

    def write_chunks(self, chunks: Iterable[bytes], max_size: int) -> Blob:
        """Write a synchronous byte iterable to a new blob; raise :class:`TooLarge` past
        ``max_size`` (however the bytes arrived: a chunked body declares no length)."""
        path = self._new_path()
        digest, size = hashlib.md5(usedforsecurity=False), 0
        try:
            with path.open("wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_size:
                        raise TooLarge
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Blob(str(path), digest.hexdigest(), size)

    def copy(self, path: str) -> str:
        """Return the path of a new blob with the same content (hard link when possible)."""
        target = self._new_path()
        try:
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)
        return str(target)

    def remove(self, path: str) -> None:
        """Delete a blob (missing is fine)."""
        Path(path).unlink(missing_ok=True)

    def wipe(self) -> None:
        """Delete every blob."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
