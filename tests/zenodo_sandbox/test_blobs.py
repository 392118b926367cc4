"""Blob writes: md5 and size on the way, a budget, and nothing left behind on failure."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from zenodo_sandbox.blobs import BlobStore, TooLarge


def test_a_blob_has_the_md5_and_size_of_its_chunks(tmp_path: Path) -> None:
    blob = BlobStore(tmp_path).write_chunks([b"ab", b"cd"], max_size=4)
    assert (blob.size, blob.md5) == (4, hashlib.md5(b"abcd", usedforsecurity=False).hexdigest())
    assert Path(blob.path).read_bytes() == b"abcd"


def test_past_the_budget_nothing_is_left_behind(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with pytest.raises(TooLarge):
        store.write_chunks([b"ab", b"cde"], max_size=4)

    async def body() -> AsyncIterator[bytes]:
        yield b"abc"
        yield b"de"

    with pytest.raises(TooLarge):
        asyncio.run(store.write_stream(body(), max_size=4))
    assert list(tmp_path.iterdir()) == []
