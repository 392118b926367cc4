"""Images in an object store (s3://), read through Airflow's ObjectStoragePath and connection.

Every object is served by a real S3-API server process (moto's server mode), reached through
an Airflow ``aws`` connection given by ``AIRFLOW_CONN_<ID>``; faults come from a proxy in front.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator

import pytest

from tests.zenodo.source.s3_server import FaultProxy, S3Server, connection_json
from zenodo.config.url_credentials import url_credential
from zenodo.source.file_errors import ImageChanged, ImageGone, ImageUnavailable
from zenodo.source.hashing_reader import file_digest, open_checked
from zenodo.source.image_http import RemoteFile
from zenodo.source.image_remote import read_head, read_tail, remote_size, store_refusal
from zenodo.source.specimen import FileSpec, SpecimenRecord
from zenodo.validate.files import check_files

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 9000 + b"\xff\xd9"
KEY = "herbarium/sheets/A 1.jpg"
URL = "s3://herbarium/sheets/A%201.jpg"
_ids = itertools.count()


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with S3Server() as server:
        server.client().create_bucket(Bucket="herbarium")
        yield server


@pytest.fixture
def proxy(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FaultProxy, str]]:
    """A fault proxy before the server, the object put afresh, and a connection id to it."""
    client = s3.client()
    client.put_object(Bucket="herbarium", Key="sheets/A 1.jpg", Body=JPEG)

    def put(key: str, content: bytes) -> None:
        bucket, _, name = key.partition("/")
        client.put_object(Bucket=bucket, Key=name, Body=content)

    conn_id = f"images_s3_{next(_ids)}"  # Airflow keeps one filesystem per connection id
    with FaultProxy(s3.url, put) as running:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", connection_json(running.url))
        yield running, conn_id


def _spec(conn_id: str, content: bytes = JPEG) -> FileSpec:
    return FileSpec(RemoteFile(URL, conn_id), "A 1.jpg", len(content),
                    hashlib.md5(content, usedforsecurity=False).hexdigest())


def test_validation_reads_the_size_and_a_few_bytes_only(proxy: tuple[FaultProxy, str]) -> None:
    server, conn_id = proxy
    remote = RemoteFile(URL, conn_id)
    record = SpecimenRecord("K1", {}, images=(FileSpec(remote, "A 1.jpg"),))
    assert list(check_files(record)) == []
    assert remote_size(remote) == len(JPEG)
    assert read_head(remote, 4) == JPEG[:4] and read_tail(remote, 2, len(JPEG)) == b"\xff\xd9"
    reads = [(method, ranged) for method, key, ranged in server.requests if key == KEY]
    assert {method for method, _ in reads} <= {"HEAD", "GET"}
    assert all(ranged for method, ranged in reads if method == "GET"), "never the whole object"


def test_prepare_hashes_and_the_upload_streams_the_object(
        proxy: tuple[FaultProxy, str]) -> None:
    server, conn_id = proxy
    md5 = hashlib.md5(JPEG, usedforsecurity=False).hexdigest()
    assert file_digest(RemoteFile(URL, conn_id)) == (len(JPEG), md5)
    with open_checked(_spec(conn_id)) as body:
        assert len(body) == len(JPEG)
        assert b"".join(iter(lambda: body.read(16384), b"")) == JPEG and body.md5 == md5
        body.seek(0)  # a retried PUT asks for the object again
        assert body.read(4) == JPEG[:4]
    assert server.gets[KEY] == 3, "one whole GET each: prepare, upload, the retried upload"


def test_a_missing_object_is_gone_and_a_failing_store_unavailable(
        proxy: tuple[FaultProxy, str]) -> None:
    server, conn_id = proxy
    with pytest.raises(ImageGone, match=r"s3://herbarium/nothing\.jpg: not in the store \(404\)"):
        remote_size(RemoteFile("s3://herbarium/nothing.jpg", conn_id))
    server.faults[KEY] = 503
    with pytest.raises(ImageUnavailable, match=r"A%201\.jpg: stat failed \(503\); try again"):
        remote_size(RemoteFile(URL, conn_id))
    server.faults[KEY] = 500
    with pytest.raises(ImageUnavailable) as raised:
        open_checked(_spec(conn_id))
    assert raised.value.status == 500


def test_a_short_body_never_hands_out_its_last_byte(proxy: tuple[FaultProxy, str]) -> None:
    server, conn_id = proxy
    server.faults[KEY] = "short"
    with pytest.raises(ImageUnavailable, match=r"A%201\.jpg: (read failed|body of)"), \
            open_checked(_spec(conn_id)) as body:
        while body.read(16384):
            pass
    assert body.bytes_read < len(JPEG)


def test_an_object_replaced_since_prepare_is_refused(
        proxy: tuple[FaultProxy, str], s3: S3Server) -> None:
    _server, conn_id = proxy
    prepared = _spec(conn_id)
    client = s3.client()
    client.put_object(Bucket="herbarium", Key="sheets/A 1.jpg", Body=JPEG + b"more")
    with pytest.raises(ImageChanged, match=rf"has {len(JPEG) + 4} bytes, {len(JPEG)} when"):
        open_checked(prepared)
    client.put_object(Bucket="herbarium", Key="sheets/A 1.jpg", Body=JPEG[:-3] + b"xyz")
    with pytest.raises(ImageChanged, match="has md5"), open_checked(prepared) as body:
        while body.read(16384):
            pass
    assert body.bytes_read < len(JPEG), "the PUT stops before Zenodo has the whole length"


def test_an_unusable_store_is_told_before_anything_is_read(
        proxy: tuple[FaultProxy, str]) -> None:
    _server, conn_id = proxy
    assert store_refusal("s3://herbarium/sheets/", conn_id) is None
    assert store_refusal("https://images.example.org/", None) is None
    assert "cannot open gs:// images" in (store_refusal("gs://herbarium/", None) or "")
    assert "no_such_connection" in (store_refusal("s3://herbarium/", "no_such_connection") or "")


@pytest.mark.parametrize(("url", "found"), [
    ("https://images.example.org/a.jpg?size=full", None),
    ("s3://herbarium/sheets/", None),
    ("https://user:pw@images.example.org/a.jpg", "a user name or password"),
    ("s3://aws_default@herbarium/sheets/", "a user name or password"),
    ("https://images.example.org/a.jpg?token=x", "the query parameter 'token'"),
    ("https://h/a.jpg?X-Amz-Signature=x", "the query parameter 'X-Amz-Signature'"),
    ("https://h/a.jpg?sv=1&sig=x", "the query parameter 'sig'"),
    ("https://h/a.jpg?my_api_token=x", "the query parameter 'my_api_token'"),
    ("sheets/{catalogNumber}.jpg", None),
])
def test_credentials_in_a_url_are_found_by_name_never_shown(url: str, found: str | None) -> None:
    assert url_credential(url) == found
