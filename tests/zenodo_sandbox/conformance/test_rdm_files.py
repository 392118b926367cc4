"""Draft and record files of the sandbox's RDM API behave as on zenodo.org.

Sources: invenio-rdm-records ``tests/resources/test_resources.py`` (``_create_and_assert_file``,
``test_multiple_files_record``) and ``tests/resources/test_files.py``; invenio-records-resources
``services/files/`` (service, ``transfer/base.py``, ``transfer/providers/local.py``,
``components/content.py``, ``components/metadata.py``, ``schema.py``),
``records/systemfields/files/manager.py`` and ``resources/errors.py``; zenodo-rdm
``invenio.cfg`` (``RECORDS_RESOURCES_ALLOW_EMPTY_FILES = False``) and ``config.py``
(``lock_edit_record_published_files``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import requests

OCTET = {"Content-Type": "application/octet-stream"}
BODY: dict[str, Any] = {
    "access": {"record": "public", "files": "public"}, "files": {"enabled": True},
    "metadata": {"creators": [{"person_or_org": {"name": "Troy Inc.",
                                                 "type": "organizational"}}],
                 "publication_date": "2020-06-01", "publisher": "Acme Inc",
                 "resource_type": {"id": "image-photo"}, "title": "A Romans story"},
}


def new_draft(api: requests.Session, url: str) -> dict[str, Any]:
    response = api.post(f"{url}/api/records", json=BODY)
    assert response.status_code == 201, response.text
    return response.json()


def upload(api: requests.Session, draft: dict[str, Any], key: str, content: bytes) -> None:
    files = draft["links"]["files"]
    assert api.post(files, json=[{"key": key}]).status_code == 201
    assert api.put(f"{files}/{key}/content", data=content, headers=OCTET).status_code == 200
    assert api.post(f"{files}/{key}/commit").status_code == 200


# test_resources.py::_create_and_assert_file, ::test_multiple_files_record
def test_declare_upload_commit_publish(sandbox, api):
    draft = new_draft(api, sandbox.url)
    files = draft["links"]["files"]
    base = f"{sandbox.url}/api/records/{draft['id']}/draft/files"
    for key, content in (("test.txt", b"testfile1"), ("test2.txt", b"testfile2")):
        declared = api.post(files, json=[{"key": key}])
        assert declared.status_code == 201
        [entry] = [e for e in declared.json()["entries"] if e["key"] == key]
        assert entry["links"] == {"self": f"{base}/{key}", "content": f"{base}/{key}/content",
                                  "commit": f"{base}/{key}/commit"}
        assert entry["status"] == "pending"
        put = api.put(entry["links"]["content"], data=content, headers=OCTET)
        assert put.status_code == 200 and put.json()["status"] == "pending"
        committed = api.post(entry["links"]["commit"])
        assert committed.status_code == 200 and committed.json()["status"] == "completed"
        md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
        assert committed.json()["checksum"] == f"md5:{md5}"
        assert committed.json()["size"] == len(content)
    assert api.post(draft["links"]["publish"]).status_code == 202


# invenio-records-resources services/files/service.py init_files, FileMetadataComponent,
# FileRecord manager create(); resources/errors.py
def test_declaring_files(sandbox, api):
    draft = new_draft(api, sandbox.url)
    files = draft["links"]["files"]
    assert api.post(files, json=[]).status_code == 400
    assert api.post(files, json=[{"key": "a.txt", "colour": "red"}]).status_code == 400
    assert api.post(files, json=[{"key": "a.txt"}]).status_code == 201
    again = api.post(files, json=[{"key": "a.txt"}])
    assert again.status_code == 400
    assert again.json()["message"] == "File with key a.txt already exists."
    many = api.post(files, json=[{"key": f"f{i}.txt"} for i in range(100)])
    assert many.status_code == 400
    assert many.json()["message"] == ("Uploading selected files will result in exceeding "
                                       "the max amount per record.")


# invenio-records-resources transfer/base.py status (pending until the file record has an
# object, i.e. until committed); schema.py FileSchema; the declared checksum is not checked
def test_status_and_checksum_come_from_the_bytes(sandbox, api):
    draft = new_draft(api, sandbox.url)
    files = draft["links"]["files"]
    api.post(files, json=[{"key": "a.txt", "checksum": "md5:0", "size": 99}])
    pending = api.get(f"{files}/a.txt").json()
    assert pending["status"] == "pending" and pending["checksum"] == "md5:0"
    api.put(f"{files}/a.txt/content", data=b"abc", headers=OCTET)
    assert api.get(f"{files}/a.txt").json()["status"] == "pending"
    done = api.post(f"{files}/a.txt/commit").json()
    assert done["status"] == "completed" and done["size"] == 3
    assert done["checksum"] == "md5:" + hashlib.md5(b"abc", usedforsecurity=False).hexdigest()
    assert api.post(f"{files}/a.txt/commit").status_code == 200  # committing again


# records/systemfields/files/manager.py commit() (no content: a bare Exception, 500);
# components/metadata.py commit_file + zenodo-rdm RECORDS_RESOURCES_ALLOW_EMPTY_FILES
def test_commit_without_content_or_of_an_empty_file(sandbox, api):
    draft = new_draft(api, sandbox.url)
    files = draft["links"]["files"]
    api.post(files, json=[{"key": "a.txt"}, {"key": "empty.txt"}])
    assert api.post(f"{files}/a.txt/commit").status_code == 500
    api.put(f"{files}/empty.txt/content", data=b"", headers=OCTET)
    empty = api.post(f"{files}/empty.txt/commit")
    assert empty.status_code == 400 and empty.json()["message"] == "Empty files are not accepted."
    assert api.get(f"{files}/empty.txt").json()["status"] == "pending"


# transfer/providers/local.py set_file_content (already committed: TransferException),
# components/content.py (the file is removed), service.set_file_content (200 with errors)
def test_content_sent_again_to_a_committed_file_removes_it(sandbox, api):
    draft = new_draft(api, sandbox.url)
    upload(api, draft, "a.txt", b"abc")
    files = draft["links"]["files"]
    again = api.put(f"{files}/a.txt/content", data=b"abcd", headers=OCTET)
    assert again.status_code == 200 and again.json()["errors"] == "File upload transfer failed."
    assert api.get(f"{files}/a.txt").status_code == 404
    assert api.get(files).json()["entries"] == []


# resources/errors.py FileKeyNotFoundError (404)
def test_unknown_file_keys(sandbox, api):
    draft = new_draft(api, sandbox.url)
    files = draft["links"]["files"]
    missing = api.get(f"{files}/nope.txt")
    assert missing.status_code == 404
    assert missing.json()["message"] == f"Record '{draft['id']}' has no file 'nope.txt'."
    assert api.put(f"{files}/nope.txt/content", data=b"x", headers=OCTET).status_code == 404
    assert api.delete(f"{files}/nope.txt").status_code == 404


# test_files.py::test_upload_and_access_filename_with_slash, ::test_files_api_flow_for_...
def test_record_files_with_a_slash_in_the_key(sandbox, api):
    draft = new_draft(api, sandbox.url)
    upload(api, draft, "folder/test.pdf", b"testfile")
    current = api.get(draft["links"]["self"]).json()
    assert current["files"]["enabled"] and current["files"]["count"] == 1
    assert "folder/test.pdf" in current["files"]["entries"]
    record = api.post(draft["links"]["publish"]).json()
    base = f"{sandbox.url}/api/records/{record['id']}/files"
    assert requests.get(base, timeout=30).status_code == 200
    assert requests.get(f"{base}/folder/test.pdf", timeout=30).status_code == 200
    content = requests.get(f"{base}/folder/test.pdf/content", timeout=30)
    assert content.status_code == 200 and content.content == b"testfile"


# test_files.py::test_published_record_files_deny_edit (the upload is what a locked bucket
# refuses); zenodo-rdm config.py lock_edit_record_published_files
def test_an_edit_draft_has_locked_files(sandbox, api):
    draft = new_draft(api, sandbox.url)
    upload(api, draft, "test.pdf", b"testfile")
    record = api.post(draft["links"]["publish"]).json()
    edit = api.post(record["links"]["draft"])
    assert edit.status_code == 201
    files = edit.json()["links"]["files"]
    api.post(files, json=[{"key": "test3.pdf"}])
    locked = api.put(f"{files}/test3.pdf/content", data=b"testfile", headers=OCTET)
    assert locked.status_code == 403
    assert api.delete(f"{files}/test.pdf").status_code == 403


# test_draft_file_permissions.py::test_only_owners_can_init_file_upload,
# ::test_only_owners_can_upload_file, ::test_only_owners_can_commit_file (anonymous and
# another user: 403)
def test_only_owners_handle_draft_files(sandbox, api):
    draft = new_draft(api, sandbox.url)
    files = draft["links"]["files"]
    bob = requests.Session()
    bob.headers.update(sandbox.headers("bob"))
    for client in (requests.Session(), bob):
        assert client.post(files, json=[{"key": "test.pdf"}]).status_code == 403
    assert api.post(files, json=[{"key": "test.pdf"}]).status_code == 201
    for client in (requests.Session(), bob):
        put = client.put(f"{files}/test.pdf/content", data=b"x", headers=OCTET)
        assert put.status_code == 403
        assert client.post(f"{files}/test.pdf/commit").status_code == 403
    anonymous = requests.get(draft["links"]["self"], timeout=30)
    assert anonymous.status_code == 403 and anonymous.json()["message"] == "Permission denied."
