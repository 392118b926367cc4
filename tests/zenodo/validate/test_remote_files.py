"""The image rules for images by URL, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from tests.zenodo.source.image_server import ImageServer, serving
from zenodo.source.file_errors import ImageUnavailable
from zenodo.source.image_http import RemoteFile
from zenodo.source.specimen import FileSpec, SpecimenRecord
from zenodo.validate.files import check_files

JPEG = b"\xff\xd8\xff\xe0" + b"sheet" * 1000 + b"\xff\xd9"


@pytest.fixture
def server(tmp_path: pathlib.Path) -> Iterator[ImageServer]:
    (tmp_path / "good.jpg").write_bytes(JPEG)
    (tmp_path / "cut.jpg").write_bytes(JPEG[:-2])
    (tmp_path / "png.jpg").write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 100)
    (tmp_path / "empty.jpg").write_bytes(b"")
    with serving(tmp_path) as running:
        yield running


def _problems(server: ImageServer, *names: str) -> list[tuple[str, str]]:
    images = tuple(FileSpec(RemoteFile(server.url + n), n.rpartition("/")[2]) for n in names)
    record = SpecimenRecord("K1", {}, images=images)
    return [(p.field, p.reason) for p in check_files(record, pathlib.Path("https:/h/root"))]


def test_remote_images_pass_or_fail_the_same_rules_as_local_ones(server: ImageServer) -> None:
    assert _problems(server, "good.jpg") == []
    assert _problems(server, "cut.jpg") == [
        ("cut.jpg", "JPEG is truncated (no end-of-image marker)")]
    assert _problems(server, "png.jpg") == [("png.jpg", "content is png, extension says jpeg")]
    assert _problems(server, "empty.jpg") == [("empty.jpg", "image file is empty (0 bytes)")]
    assert _problems(server, "gone.jpg") == [
        ("gone.jpg", f"image file is missing: image {server.url}gone.jpg: HTTP 404 (missing)")]
    assert server.bytes_sent < 100, "validation never downloads a whole image"


def test_a_dot_dot_segment_is_refused_before_any_request(server: ImageServer) -> None:
    assert _problems(server, "../good.jpg") == [
        ("good.jpg", f"unsafe file name: URL '{server.url}../good.jpg' has a '..' segment")]
    assert server.requests == []


def test_a_scheme_without_a_filesystem_is_a_missing_image() -> None:
    """gs:// needs the Google provider, which is not installed: the image cannot be opened."""
    record = SpecimenRecord("K1", {}, images=(FileSpec(RemoteFile("gs://b/x.tif"), "x.tif"),))
    assert [p.reason for p in check_files(record)] == [
        "image file is missing: image gs://b/x.tif: cannot open gs:// images (ValueError: No "
        "filesystem registered for scheme gs)"]


def test_a_server_error_is_not_the_specimens_fault(server: ImageServer) -> None:
    server.faults["good.jpg"] = "503"
    with pytest.raises(ImageUnavailable, match=r"good.jpg: HTTP 503"):
        _problems(server, "good.jpg")
