"""An image from an http(s) server is sent to Zenodo like one from an object store: its last
piece is held back until the whole body has been read and checked, so a file changed since
prepare, or a body cut short, never reaches Zenodo whole (checked_body.py)."""

from __future__ import annotations

import hashlib
import os
import pathlib

import pytest

from tests.zenodo.source.image_server import serving
from zenodo.source.file_errors import ImageChanged, ImageUnavailable
from zenodo.source.image_http import RemoteBody, RemoteFile

BODY = os.urandom(3 * (1 << 20) + 123)  # a few pieces, and a part of one


def _drain(body: RemoteBody) -> None:
    while body.read(64 * 1024):
        pass


def test_a_file_changed_since_prepare_is_stopped_before_its_last_piece(
        tmp_path: pathlib.Path) -> None:
    (tmp_path / "sheet.jpg").write_bytes(BODY)
    prepared = hashlib.md5(BODY, usedforsecurity=False).hexdigest()
    with serving(tmp_path) as server:
        remote = RemoteFile(f"{server.url}/sheet.jpg")
        with RemoteBody(remote, len(BODY), prepared) as body:
            _drain(body)
            assert (body.bytes_read, body.md5) == (len(BODY), prepared)
        (tmp_path / "sheet.jpg").write_bytes(BODY[:-3] + b"xyz")  # same length, new bytes
        with pytest.raises(ImageChanged, match="has md5"), \
                RemoteBody(remote, len(BODY), prepared) as body:
            _drain(body)
        assert body.bytes_read < len(BODY), "the PUT stops before Zenodo has the whole length"
        (tmp_path / "sheet.jpg").write_bytes(BODY + b"more")
        with pytest.raises(ImageChanged, match=rf"has {len(BODY) + 4} bytes, {len(BODY)} when"):
            RemoteBody(remote, len(BODY), prepared)


def test_a_body_cut_short_never_hands_out_its_end(tmp_path: pathlib.Path) -> None:
    (tmp_path / "sheet.jpg").write_bytes(BODY)
    with serving(tmp_path) as server:
        server.faults["sheet.jpg"] = "short"
        with pytest.raises(ImageUnavailable), \
                RemoteBody(RemoteFile(f"{server.url}/sheet.jpg"), len(BODY)) as body:
            _drain(body)
        assert body.bytes_read < len(BODY) // 2 + 1
