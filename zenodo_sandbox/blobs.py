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
        """Write an async byte stream (a request body) to a new blob; raise :class:`TooLarge`
        past ``max_size`` bytes."""
        with _Writer(self._new_path(), max_size) as out:
            async for chunk in chunks:
                out.add(chunk)
        return out.blob()

    def write_chunks(self, chunks: Iterable[bytes], max_size: int) -> Blob:
        """Write a synchronous byte iterable to a new blob; raise :class:`TooLarge` past
        ``max_size`` (however the bytes arrived: a chunked body declares no length)."""
        with _Writer(self._new_path(), max_size) as out:
            for chunk in chunks:
                out.add(chunk)
        return out.blob()

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


class _Writer:
    """One blob being written: counts and hashes each chunk; removes the file on any error."""

    def __init__(self, path: Path, max_size: int) -> None:
        self.path, self.max_size = path, max_size
        self.digest, self.size = hashlib.md5(usedforsecurity=False), 0

    def __enter__(self) -> _Writer:
        self._out = self.path.open("wb")
        return self

    def add(self, chunk: bytes) -> None:
        """Append ``chunk``; raise :class:`TooLarge` once the budget is passed."""
        self.size += len(chunk)
        if self.size > self.max_size:
            raise TooLarge
        self.digest.update(chunk)
        self._out.write(chunk)

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self._out.close()
        if kind is not None:
            self.path.unlink(missing_ok=True)

    def blob(self) -> Blob:
        """The finished blob."""
        return Blob(str(self.path), self.digest.hexdigest(), self.size)
