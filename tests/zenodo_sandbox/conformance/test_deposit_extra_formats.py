"""zenodo-rdm ``site/tests/legacy/test_extra_formats.py`` over HTTP."""

from __future__ import annotations

import requests

MIMETYPE = "application/custom+xml"
NO_ACCEPT = {"Accept": None}  # the Flask test client sends none; requests sends */*


def _check_absent(api: requests.Session, url: str) -> None:
    assert api.get(url, headers={"Accept": MIMETYPE}).status_code == 404
    assert api.get(url, params={"mimetype": MIMETYPE}).status_code == 404
    bare = api.get(url, headers=NO_ACCEPT)
    assert bare.status_code == 400
    assert bare.json() == {"message": "Invalid extra format MIMEType.", "status": 400}
    listed = api.options(url)
    assert listed.status_code == 200 and listed.json() == []


# test_extra_formats.py::test_extra_formats
def test_extra_formats(sandbox, api):
    created = api.post(f"{sandbox.url}/api/deposit/depositions", json={"metadata": {
        "title": "My first upload", "upload_type": "dataset",
        "description": "This is my first upload",
        "creators": [{"name": "Doe, John", "affiliation": "Zenodo"}]}})
    assert created.status_code == 201
    links = created.json()["links"]
    uploaded = api.post(links["files"], files={"file": ("data.csv", b"1, 2, 3")},
                        data={"name": "data.csv"})
    assert uploaded.status_code == 201
    published = api.post(links["publish"])
    assert published.status_code == 202
    deposit_url = f"{links['self']}/formats"
    record_url = f"{published.json()['links']['record']}/formats"
    urls = (deposit_url, record_url)
    for url in urls:
        _check_absent(api, url)

    put = api.put(deposit_url, data=b"custom xml", headers={"Content-Type": MIMETYPE})
    assert put.status_code == 200
    assert put.json() == {"message": f'Extra format "{MIMETYPE}" updated.'}
    for url in urls:
        assert api.get(url, headers={"Accept": MIMETYPE}).content == b"custom xml"
        assert api.get(url, params={"mimetype": MIMETYPE}).content == b"custom xml"
        assert api.get(url, headers=NO_ACCEPT).status_code == 400
        [entry] = api.options(url).json()
        assert entry["mimetype"] == "application/octet-stream"
        assert entry["checksum"] == "md5:e021897cee95295e216a1f911697bee9"
        assert (entry["key"], entry["size"]) == (MIMETYPE, 10)
        assert (entry["status"], entry["storage_class"]) == ("completed", "L")

    deleted = api.delete(deposit_url, headers={"Content-Type": MIMETYPE})
    assert deleted.status_code == 200
    assert deleted.json() == {"message": f'Extra format "{MIMETYPE}" deleted.'}
    for url in urls:
        _check_absent(api, url)
