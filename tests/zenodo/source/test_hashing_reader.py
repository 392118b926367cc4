"""HashingReader hashes exactly what it hands out, in bounded chunks."""

from __future__ import annotations

import hashlib
import pathlib

from zenodo.source.hashing_reader import HashingReader, file_md5


def test_reader_md5_equals_the_files_md5(tmp_path: pathlib.Path) -> None:
    data = bytes(range(256)) * 5000
    path = tmp_path / "sheet.tif"
    path.write_bytes(data)
    with HashingReader.open(path) as reader:
        assert len(reader) == len(data)
        chunks = []
        while chunk := reader.read(8192):
            assert len(chunk) <= 8192
            chunks.append(chunk)
    assert b"".join(chunks) == data
    assert reader.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest() == file_md5(path)
    assert reader.bytes_read == len(data)
