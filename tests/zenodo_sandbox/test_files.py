"""Contract tests of the bucket API and the old multipart files API."""

from __future__ import annotations

import hashlib
import os

import pytest
import requests

from zenodo_sandbox.testing import SandboxProcess


def md5_hex(data: bytes) -> str:
    """Return the md5 hex digest of ``data``."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_bucket_put_streams_and_reports_md5_and_size(sandbox, api, deposit):
    dep = deposit(files={})
    content = os.urandom(3 * 1024 * 1024 + 17)

    def chunks():
        for start in range(0, len(content), 65536):
            yield content[start:start + 65536]

    response = api.put(f"{dep['links']['bucket']}/big.bin", data=chunks())
    assert response.status_code == 201
    body = response.json()
    assert body["checksum"] == "md5:" + md5_hex(content)
    assert body["size"] == len(content) and body["key"] == "big.bin"
    stored = sandbox.admin.deposition(dep["id"])["files"]
    assert stored == [{"id": stored[0]["id"], "key": "big.bin", "size": len(content),
                       "md5": md5_hex(content)}]
    assert api.get(f"{dep['links']['bucket']}/big.bin").content == content


def test_bucket_put_on_the_same_key_replaces_the_file(sandbox, api, deposit):
    dep = deposit(files={"a.txt": b"one"})
    response = api.put(f"{dep['links']['bucket']}/a.txt", data=b"two!")
    assert response.status_code == 201
    files = api.get(dep["links"]["files"]).json()
    assert [(f["filename"], f["filesize"], f["checksum"]) for f in files] == [
        ("a.txt", 4, md5_hex(b"two!"))]


def test_bad_filenames_are_refused(sandbox, api, deposit):
    dep = deposit(files={})
    bucket = dep["links"]["bucket"]
    for key in ("%2E%2E/etc", "a/%2E%2E/b", "bad%01name", "%2Flead", "a//b"):
        response = api.put(f"{bucket}/{key}", data=b"x")
        assert response.status_code in (400, 404), key
        assert response.json()["status"] == response.status_code
    assert api.put(f"{bucket}/", data=b"x").status_code in (400, 404, 405)
    assert sandbox.admin.deposition(dep["id"])["files"] == []


def test_the_101st_file_is_refused(sandbox, api, deposit):
    dep = deposit(files={})
    session = requests.Session()
    session.headers.update(sandbox.headers())
    for n in range(100):
        assert session.put(f"{dep['links']['bucket']}/f{n}.txt", data=b"x").status_code == 201
    response = session.put(f"{dep['links']['bucket']}/f100.txt", data=b"x")
    assert response.status_code == 400
    assert "max amount per record" in response.json()["message"]
    assert session.put(f"{dep['links']['bucket']}/f5.txt", data=b"yy").status_code == 201
    assert len(sandbox.admin.deposition(dep["id"])["files"]) == 100


def test_record_quota_is_enforced_while_streaming():
    with SandboxProcess(limits_profile="none", extra_args=["--quota-bytes", "1000"]) as box:
        session = requests.Session()
        session.headers.update(box.headers())
        dep = session.post(f"{box.url}/api/deposit/depositions", json={}).json()
        assert session.put(f"{dep['links']['bucket']}/a", data=b"x" * 600).status_code == 201

        def body():
            yield b"y" * 300
            yield b"y" * 300

        response = session.put(f"{dep['links']['bucket']}/b", data=body())
        assert response.status_code == 400 and "max size" in response.json()["message"]
        assert [f["key"] for f in box.admin.deposition(dep["id"])["files"]] == ["a"]
        assert len(os.listdir(box.data_dir / "files")) == 1


def test_multipart_upload_applies_secure_filename_and_refuses_duplicates(sandbox, api, deposit):
    dep = deposit(files={})
    url = dep["links"]["files"]
    response = api.post(url, files={"file": ("x", b"abc")}, data={"name": "my sheet/é.jpg"})
    assert response.status_code == 201
    entry = response.json()
    assert entry["filename"] == "my_sheet_e.jpg"
    assert entry["checksum"] == md5_hex(b"abc") and entry["filesize"] == 3
    again = api.post(url, files={"file": ("my_sheet_e.jpg", b"abc")})
    assert again.status_code == 400 and "already exists" in again.json()["message"]
    assert api.get(f"{url}/{entry['id']}").json()["filename"] == "my_sheet_e.jpg"
    assert api.delete(f"{url}/{entry['id']}").status_code == 204
    assert api.get(url).json() == []


def test_sort_and_rename_endpoints_are_405(sandbox, api, deposit):
    dep = deposit()
    file_id = dep["files"][0]["id"]
    assert api.put(dep["links"]["files"], json=[]).status_code == 405
    assert api.put(f"{dep['links']['files']}/{file_id}", json={}).status_code == 405


def test_files_of_a_published_record_are_locked(sandbox, api, deposit):
    dep = deposit(publish=True)
    files = f"{dep['links']['latest_draft']}/files"
    file_id = dep["files"][0]["id"]
    assert api.delete(f"{files}/{file_id}").status_code == 403
    assert api.post(files, files={"file": ("n.txt", b"n")}).status_code == 404
    assert api.put(f"{dep['links']['bucket']}/new.txt", data=b"n").status_code == 403
    assert api.delete(f"{dep['links']['bucket']}/sheet.jpg").status_code == 403
    assert [f["key"] for f in sandbox.admin.deposition(dep["id"])["files"]] == ["sheet.jpg"]


def test_multipart_body_over_the_limit_is_413():
    with SandboxProcess(limits_profile="none", extra_args=["--multipart-max-bytes", "1000"]) as box:
        headers = box.headers()
        dep = requests.post(f"{box.url}/api/deposit/depositions", json={}, headers=headers,
                            timeout=10).json()
        response = requests.post(dep["links"]["files"], files={"file": ("a", b"z" * 5000)},
                                 headers=headers, timeout=10)
        assert response.status_code == 413
        assert response.json() == {"status": 413, "message":
                                   "The data value transmitted exceeds the capacity limit."}


def test_a_chunked_multipart_body_cannot_pass_the_limit():
    """A chunked body declares no length: the stored bytes are counted instead."""
    with SandboxProcess(limits_profile="none",
                        extra_args=["--multipart-max-bytes", "300000"]) as box:
        headers = box.headers()
        dep = requests.post(f"{box.url}/api/deposit/depositions", json={}, headers=headers,
                            timeout=10).json()
        boundary = "sandbox-test-boundary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body():  # a generator: requests sends it chunked, with no Content-Length
            yield head
            for _ in range(7):
                yield b"z" * 100_000
            yield tail

        response = requests.post(
            dep["links"]["files"], data=body(), timeout=30,
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert response.status_code == 413
        assert box.admin.deposition(dep["id"])["files"] == []


@pytest.mark.parametrize("bad_id", ["²", "١٢", "12a"])
def test_a_non_ascii_digit_id_is_404_not_500(sandbox, api, bad_id):
    response = api.get(f"{sandbox.url}/api/deposit/depositions/{bad_id}")
    assert response.status_code == 404, response.text
    assert api.get(f"{sandbox.url}/api/records/{bad_id}").status_code == 404
