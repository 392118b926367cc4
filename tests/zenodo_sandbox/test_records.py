"""Contract tests of the public records API."""

from __future__ import annotations

import hashlib
import time

import requests


def md5_hex(data: bytes) -> str:
    """Return the md5 hex digest of ``data``."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_record_is_public_zenodo_json(sandbox, deposit):
    dep = deposit(files={"sheet.jpg": b"jpeg-bytes"}, publish=True)
    response = requests.get(f"{sandbox.url}/api/records/{dep['id']}", timeout=10)
    assert response.status_code == 200
    record = response.json()
    assert record["id"] == dep["id"] and record["recid"] == str(dep["id"])
    assert record["doi"] == dep["doi"] and record["conceptrecid"] == dep["conceptrecid"]
    assert record["metadata"]["resource_type"] == {"type": "image", "subtype": "photo",
                                                   "title": "Photo"}
    assert record["metadata"]["custom"]["dwc:catalogNumber"] == ["BR0000013"]
    file_entry = record["files"][0]
    assert file_entry["checksum"] == "md5:" + md5_hex(b"jpeg-bytes")
    content = requests.get(file_entry["links"]["self"], timeout=10)
    assert content.content == b"jpeg-bytes"


def test_unpublished_is_404_and_deleted_is_410(sandbox, deposit):
    draft = deposit()
    assert requests.get(f"{sandbox.url}/api/records/{draft['id']}", timeout=10).status_code == 404
    dep = deposit(publish=True)
    sandbox.admin.delete_record(dep["id"])
    gone = requests.get(f"{sandbox.url}/api/records/{dep['id']}", timeout=10)
    assert gone.status_code == 410
    body = gone.json()  # invenio-rdm-records RecordDeletedException: message and tombstone
    assert (body["status"], body["message"]) == (410, "Record deleted")
    assert body["tombstone"]["is_visible"] is True and body["tombstone"]["removal_date"]


def test_search_filters_by_community_and_pages_with_links(sandbox):
    sandbox.admin.seed(5, communities=["herbaria"])
    sandbox.admin.seed(2, communities=["insects"])
    url = f"{sandbox.url}/api/records"
    first = requests.get(url, params={"communities": "herbaria", "size": 2}, timeout=10).json()
    assert first["hits"]["total"] == 5 and len(first["hits"]["hits"]) == 2
    assert "prev" not in first["links"]
    seen = [h["id"] for h in first["hits"]["hits"]]
    page = first
    while "next" in page["links"]:
        page = requests.get(page["links"]["next"], timeout=10).json()
        seen += [h["id"] for h in page["hits"]["hits"]]
    assert len(set(seen)) == 5 and "prev" in page["links"]
    unknown = requests.get(url, params={"communities": "nobody"}, timeout=10).json()
    assert unknown["hits"]["total"] == 0


def test_search_by_query_and_guest_page_size_limit(sandbox):
    sandbox.admin.seed(3)
    url = f"{sandbox.url}/api/records"
    hits = requests.get(url, params={"q": 'title:"Seeded specimen 2"'}, timeout=10).json()
    assert [h["title"] for h in hits["hits"]["hits"]] == ["Seeded specimen 2"]
    assert requests.get(url, params={"size": 26}, timeout=10).status_code == 400
    authed = requests.get(url, params={"size": 26}, headers=sandbox.headers(), timeout=10)
    assert authed.status_code == 200


def test_search_shows_only_the_latest_version_unless_all_versions(sandbox, api, deposit):
    dep = deposit(publish=True)
    new = api.post(dep["links"]["newversion"]).json()
    assert api.post(new["links"]["publish"]).status_code == 202
    url = f"{sandbox.url}/api/records"
    latest = requests.get(url, timeout=10).json()["hits"]["hits"]
    assert [h["id"] for h in latest] == [new["id"]]
    every = requests.get(url, params={"all_versions": "true"}, timeout=10).json()
    assert sorted(h["id"] for h in every["hits"]["hits"]) == sorted([dep["id"], new["id"]])


def test_records_search_lags_by_the_records_index_delay(sandbox, deposit):
    sandbox.admin.set_delays(records=0.5)
    dep = deposit(publish=True)
    url = f"{sandbox.url}/api/records"
    assert requests.get(f"{url}/{dep['id']}", timeout=10).status_code == 200
    assert requests.get(url, timeout=10).json()["hits"]["total"] == 0
    time.sleep(0.7)
    assert requests.get(url, timeout=10).json()["hits"]["total"] == 1


def test_the_community_page_lists_the_communitys_records(sandbox, deposit, metadata):
    deposit({**metadata, "communities": [{"identifier": "herbaria"}]}, publish=True)
    page = requests.get(f"{sandbox.url}/communities/herbaria", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<h1>Community herbaria</h1>" in page.text and "1 records" in page.text
