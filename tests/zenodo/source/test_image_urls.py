"""Images by URL: where references point, what is read of a remote image, and its faults.

Every remote image is served by a real HTTP server on 127.0.0.1 (:mod:`image_server`).
"""

from __future__ import annotations

import hashlib
import pathlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.zenodo.source.image_server import ImageServer, serving
from zenodo.config.collection_file import ImageTemplate
from zenodo.source.dwca import media_files
from zenodo.source.extract import resolve_images
from zenodo.source.file_errors import ImageChanged, ImageGone, ImageUnavailable
from zenodo.source.hashing_reader import file_md5, open_checked
from zenodo.source.image_http import RemoteFile, read_head, read_tail, remote_size
from zenodo.source.image_urls import stored_path
from zenodo.source.specimen import FileSpec

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 400 + b"\xff\xd9"


@pytest.fixture
def server(tmp_path: pathlib.Path) -> Iterator[ImageServer]:
    folder = tmp_path / "served"
    (folder / "herbarium").mkdir(parents=True)
    (folder / "herbarium" / "A1.jpg").write_bytes(JPEG)
    with serving(folder) as running:
        yield running


def _url(server: ImageServer, name: str = "herbarium/A1.jpg") -> RemoteFile:
    return RemoteFile(server.url + name)


def test_a_shown_url_drops_credentials_and_query_tokens() -> None:
    url = "https://user:s3cret@images.example.org:8443/herbarium/A1.jpg?token=abc#x"
    assert RemoteFile(url).shown == "https://images.example.org:8443/herbarium/A1.jpg"
    assert "s3cret" not in repr(RemoteFile(url)) and "abc" not in repr(RemoteFile(url))


def test_references_resolve_under_a_url_root_or_as_absolute_urls(tmp_path: Path) -> None:
    terms = {"catalogNumber": "A 1"}
    # the configuration keeps the root as a Path, which folds "https://" to "https:/"
    under = resolve_images(Path("https://images.example.org/herbarium/"),
                           [ImageTemplate("{catalogNumber}.jpg")], terms)
    assert [(str(f.path), f.name) for f in under] == [
        ("https://images.example.org/herbarium/A%201.jpg", "A 1.jpg")]
    absolute = resolve_images(tmp_path, [ImageTemplate("https://cdn.example.org/{catalogNumber}"
                                                       ".jpg?sig=1")], terms)
    assert [(str(f.path), f.name) for f in absolute] == [
        ("https://cdn.example.org/A 1.jpg?sig=1", "A 1.jpg")]
    (tmp_path / "A 1.jpg").write_bytes(JPEG)
    local = resolve_images(Path(f"file://{tmp_path}"), [ImageTemplate("{catalogNumber}.jpg")],
                           terms)
    assert [f.path for f in local] == [tmp_path / "A 1.jpg"], "file:// is a local folder"
    files, refused = media_files(tmp_path, ["https://cdn.example.org/x/B2.jpg", "A 1.jpg"])
    assert refused == ()
    assert [(str(f.path), f.name) for f in files] == [
        ("https://cdn.example.org/x/B2.jpg", "B2.jpg"), (str(tmp_path / "A 1.jpg"), "A 1.jpg")]
    assert stored_path(str(files[0].path)) == files[0].path


def test_validation_reads_only_the_size_the_head_and_the_tail(server: ImageServer) -> None:
    remote = _url(server)
    assert remote_size(remote) == len(JPEG)
    assert read_head(remote, 16) == JPEG[:16]
    assert read_tail(remote, 2) == b"\xff\xd9"
    assert [(m, r) for m, _, r in server.requests] == [
        ("HEAD", None), ("GET", "bytes=0-15"), ("GET", "bytes=-2")]
    assert server.bytes_sent <= 18, "never the whole file"


def test_a_server_without_ranges_is_read_only_as_far_as_needed(server: ImageServer) -> None:
    server.faults["herbarium/A1.jpg"] = "no-range"
    assert read_head(_url(server), 16) == JPEG[:16]
    assert read_tail(_url(server), 2) == b"\xff\xd9"


@pytest.mark.parametrize("status", ["404", "410"])
def test_a_missing_remote_image_is_gone_with_url_and_status(server: ImageServer,
                                                            status: str) -> None:
    server.faults["herbarium/A1.jpg"] = status
    with pytest.raises(ImageGone, match=rf"image {server.url}herbarium/A1.jpg: HTTP {status}"):
        remote_size(_url(server))


def test_a_server_error_or_no_answer_is_unavailable_not_gone(server: ImageServer) -> None:
    server.faults["herbarium/A1.jpg"] = "500"
    with pytest.raises(ImageUnavailable, match="HTTP 500; try again later"):
        remote_size(_url(server))
    with pytest.raises(ImageUnavailable, match="no answer"):
        remote_size(RemoteFile("http://127.0.0.1:9/nothing.jpg?token=hidden"))


def test_md5_at_prepare_streams_the_file_once(server: ImageServer) -> None:
    assert file_md5(_url(server)) == hashlib.md5(JPEG, usedforsecurity=False).hexdigest()


def _spec(server: ImageServer, content: bytes = JPEG) -> FileSpec:
    md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    return FileSpec(_url(server), "A1.jpg", len(content), md5)


def test_an_upload_body_is_the_prepared_file_read_in_pieces(server: ImageServer) -> None:
    with open_checked(_spec(server)) as body:
        assert len(body) == len(JPEG)
        read = b"".join(iter(lambda: body.read(4096), b""))
        assert read == JPEG and body.md5 == hashlib.md5(JPEG, usedforsecurity=False).hexdigest()
        body.seek(0)  # a retried PUT asks for the image again
        assert body.read(4) == JPEG[:4]


@pytest.mark.parametrize("fault", ["short", "cut"])
def test_a_short_or_cut_body_is_unavailable(server: ImageServer, fault: str) -> None:
    server.faults["herbarium/A1.jpg"] = fault
    with pytest.raises(ImageUnavailable, match=r"A1\.jpg"), open_checked(_spec(server)) as body:
        while body.read(4096):
            pass


def test_a_file_changed_since_prepare_is_refused(server: ImageServer, tmp_path: Path) -> None:
    served = tmp_path / "served" / "herbarium" / "A1.jpg"
    prepared = _spec(server)
    served.write_bytes(JPEG + b"more")
    with pytest.raises(ImageChanged, match=rf"has {len(JPEG) + 4} bytes, {len(JPEG)} when"):
        open_checked(prepared)
    served.write_bytes(JPEG[:-3] + b"xyz")  # same size, other content
    with pytest.raises(ImageChanged, match="has md5"), open_checked(prepared) as body:
        while body.read(4096):
            pass
