"""zenodo-rdm's quickstart, file-permission and file-link tests over HTTP.

* ``site/tests/legacy/test_quickstart.py``
* ``site/tests/legacy/deposits/test_rest_api_file_permissions.py``
* ``site/tests/legacy/test_file_link_serialization.py`` (the deposit side: the download link
  of a file entry quotes the key and keeps it under ``draft/files``)
"""

from __future__ import annotations

import requests

PERMISSION_DATA = {"metadata": {
    "upload_type": "dataset", "title": "Legacy file permission regression",
    "creators": [{"name": "Doe, John"}], "publication_date": "2020-01-01",
    "description": "Regression test", "access_right": "open",
}}


def _url(sandbox) -> str:
    return f"{sandbox.url}/api/deposit/depositions"


def _upload(session, files_url: str, data: bytes, filename: str, name: str | None = None):
    form = {"name": name} if name else {}
    return session.post(files_url, files={"file": (filename, data)}, data=form)


def _check_file_entry(data: dict) -> None:
    assert data["id"]
    assert data["checksum"] == "66ce05ea43c73b8e33c74c12d0371bc9"
    assert data["filesize"] == 7
    assert {"self", "download"} <= data["links"].keys()


# test_quickstart.py::test_quickstart_workflow
def test_quickstart_workflow(sandbox, api):
    anonymous = requests.get(_url(sandbox), timeout=10)
    assert anonymous.status_code == 403
    listed = api.get(_url(sandbox))
    assert listed.status_code == 200 and listed.json() == []
    created = api.post(_url(sandbox), json={})
    assert created.status_code == 201
    data = created.json()
    assert data["title"] == "" and "created" in data and "modified" in data
    assert isinstance(data["id"], int) and isinstance(data["record_id"], int)
    assert data["conceptrecid"] and "metadata" in data and "doi" not in data
    assert data["metadata"]["prereserve_doi"] == {"doi": f"10.5281/zenodo.{data['id']}",
                                                  "recid": data["id"]}
    assert data["state"] == "unsubmitted"
    bob = requests.post(_url(sandbox), json={}, headers=sandbox.headers("bob"), timeout=10)
    assert isinstance(data["owner"], int) and bob.json()["owner"] != data["owner"]
    links = data["links"]

    first = _upload(api, links["files"], b"1, 2, 3", "my_first_file.csv", "my_first_file.csv")
    assert first.status_code == 201
    _check_file_entry(first.json())
    assert first.json()["filename"] == "my_first_file.csv"
    again = api.get(first.json()["links"]["self"])
    assert again.status_code == 200
    _check_file_entry(again.json())
    assert again.json()["filename"] == "my_first_file.csv"

    second = _upload(api, links["files"], b"1, 2, 3", "my_second_file.csv")
    assert second.status_code == 201
    _check_file_entry(second.json())
    assert second.json()["filename"] == "my_second_file.csv"

    third = api.put(f"{links['bucket']}/my_third_file.csv", data=b"4, 5, 6")
    assert third.status_code == 201
    body = third.json()
    assert {"created", "updated"} <= body.keys() and body["version_id"]
    assert body["mimetype"] == "text/csv"
    assert body["checksum"] == "md5:c2d626f8beba73ad0cf4e66214f7d949"
    assert body["key"] == "my_third_file.csv" and body["size"] == 7
    assert body["is_head"] is True and body["delete_marker"] is False
    assert {"self", "uploads", "version"} <= body["links"].keys()

    deposit = {"metadata": {"title": "My first upload", "upload_type": "dataset",
                            "description": "This is my first upload",
                            "creators": [{"name": "Doe, John", "affiliation": "Zenodo"}]}}
    assert api.put(links["self"], json=deposit).status_code == 200
    published = api.post(links["publish"])
    assert published.status_code == 202
    record_id = published.json()["id"]
    record = api.get(published.json()["links"]["self"])
    assert record.status_code == 200
    assert record.json()["doi"] == sandbox.admin.deposition(record_id)["doi"]


# test_rest_api_file_permissions.py::
#   test_upload_after_published_files_read_does_not_forbid_next_upload
def test_upload_after_published_files_read_does_not_forbid_next_upload(sandbox, api):
    first = api.post(_url(sandbox), json=PERMISSION_DATA)
    assert first.status_code == 201
    first_links = first.json()["links"]
    assert _upload(api, first_links["files"], b"first.txt", "first.txt",
                   "first.txt").status_code == 201
    bucket_url = api.get(first_links["self"]).json()["links"]["bucket"]
    assert api.post(first_links["publish"]).status_code == 202
    assert api.get(f"{bucket_url}/first.txt").status_code == 200
    second = api.post(_url(sandbox), json=PERMISSION_DATA)
    assert second.status_code == 201
    assert _upload(api, second.json()["links"]["files"], b"second.txt", "second.txt",
                   "second.txt").status_code == 201


# test_file_link_serialization.py::test_serializers_generate_expected_file_links
def test_file_links_quote_the_key_and_point_at_the_draft(sandbox, api):
    links = api.post(_url(sandbox), json={}).json()["links"]
    assert api.put(f"{links['bucket']}/report draft.pdf", data=b"%PDF").status_code == 201
    entry = api.get(links["self"]).json()["files"][0]
    assert entry["links"]["download"] == (
        f"{sandbox.url}/api/records/{links['self'].rsplit('/', 1)[1]}"
        "/draft/files/report%20draft.pdf/content")
    assert entry["links"]["self"] == f"{links['files']}/{entry['id']}"
