"""Contract tests of publish, edit, discard and newversion."""

from __future__ import annotations

import datetime as dt

import requests


def test_publish_answers_202_with_doi_concept_and_links(sandbox, api, deposit):
    dep = deposit(publish=True)
    recid = dep["id"]
    assert dep["state"] == "done" and dep["submitted"] is True
    assert dep["doi"] == f"10.5072/zenodo.{recid}"
    assert dep["doi_url"] == f"https://doi.org/10.5072/zenodo.{recid}"
    assert dep["conceptdoi"] == f"10.5072/zenodo.{dep['conceptrecid']}"
    assert dep["links"]["record_html"] and dep["links"]["latest"]
    assert dep["links"]["self"] == f"{sandbox.url}/api/records/{recid}"
    record = sandbox.admin.records()[0]
    assert (record["id"], record["doi"], record["conceptrecid"]) == (
        recid, dep["doi"], dep["conceptrecid"])
    assert record["files"][0]["md5"] == dep["files"][0]["checksum"]


def test_publish_without_files_or_required_fields_is_400_with_zenodo_errors(sandbox, api,
                                                                              deposit):
    dep = deposit(meta={"title": "Only a title", "upload_type": "image"}, files={})
    response = api.post(dep["links"]["publish"])
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["message"] == "A validation error occurred."
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"metadata.creators", "files.enabled"}
    assert all(isinstance(e["messages"], list) and e["messages"] for e in body["errors"])
    assert sandbox.admin.counts()["by_state"] == {"unsubmitted": 1}


def test_publish_applies_communities_and_default_license(sandbox, api, deposit, metadata):
    meta = dict(metadata, communities=[{"identifier": "herbaria"}])
    del meta["license"]
    dep = deposit(meta=meta, publish=True)
    record = api.get(f"{sandbox.url}/api/records/{dep['id']}").json()
    assert record["metadata"]["communities"] == [{"id": "herbaria"}]
    assert record["metadata"]["license"] == {"id": "cc-by-4.0"}


def test_edit_then_republish_changes_metadata_and_keeps_the_doi(sandbox, api, deposit):
    dep = deposit(publish=True)
    edit = api.post(dep["links"]["edit"])
    assert edit.status_code == 201 and edit.json()["state"] == "inprogress"
    meta = {k: v for k, v in edit.json()["metadata"].items() if k not in ("prereserve_doi",
                                                                          "doi")}
    meta["title"] = "Corrected title"
    assert api.put(f"{sandbox.url}/api/deposit/depositions/{dep['id']}",
                   json={"metadata": meta}).status_code == 200
    again = api.post(f"{sandbox.url}/api/deposit/depositions/{dep['id']}/actions/publish")
    assert again.status_code == 202
    assert again.json()["doi"] == dep["doi"] and again.json()["state"] == "done"
    record = api.get(f"{sandbox.url}/api/records/{dep['id']}").json()
    assert record["title"] == "Corrected title"
    assert record["updated"] > record["created"]


def test_discard_drops_the_edit_and_is_404_when_not_editing(sandbox, api, deposit):
    dep = deposit(publish=True)
    base = f"{sandbox.url}/api/deposit/depositions/{dep['id']}"
    assert api.post(f"{base}/actions/discard").status_code == 404
    api.post(f"{base}/actions/edit")
    api.put(base, json={"metadata": {"title": "Throw away"}})
    discarded = api.post(f"{base}/actions/discard")
    assert discarded.status_code == 204
    assert api.get(base).json()["title"] == dep["title"]
    assert api.get(base).json()["state"] == "done"


def test_edit_of_an_unpublished_draft_returns_it(sandbox, api, deposit):
    dep = deposit()
    response = api.post(dep["links"]["edit"])
    assert response.status_code == 201 and response.json()["id"] == dep["id"]


def test_newversion_returns_the_new_draft_with_files_copied(sandbox, api, deposit):
    dep = deposit(publish=True)
    response = api.post(dep["links"]["newversion"])
    assert response.status_code == 201
    new = response.json()
    assert new["id"] != dep["id"] and new["conceptrecid"] == dep["conceptrecid"]
    assert new["state"] == "unsubmitted"
    assert new["links"]["latest_draft"] == f"{sandbox.url}/api/deposit/depositions/{new['id']}"
    assert [(f["filename"], f["checksum"]) for f in new["files"]] == [
        (f["filename"], f["checksum"]) for f in dep["files"]]
    assert new["metadata"]["publication_date"] == dt.datetime.now(dt.UTC).date().isoformat()
    second = api.post(dep["links"]["newversion"])
    assert second.status_code == 400
    assert second.json()["errors"] == [{"field": "files.enabled",
                                        "messages": ["Please remove all files first."]}]


def test_publishing_a_new_version_makes_it_latest(sandbox, api, deposit):
    dep = deposit(publish=True)
    new = api.post(dep["links"]["newversion"]).json()
    api.delete(f"{new['links']['files']}/{new['files'][0]['id']}")
    assert api.put(f"{new['links']['bucket']}/sheet-v2.jpg", data=b"v2").status_code == 201
    published = api.post(new["links"]["publish"])
    assert published.status_code == 202
    latest = requests.get(f"{sandbox.url}/api/records/{dep['id']}/versions/latest", timeout=10)
    assert latest.json()["id"] == new["id"]
    old = requests.get(f"{sandbox.url}/api/records/{dep['id']}", timeout=10).json()
    assert old["metadata"]["relations"]["version"][0]["is_last"] is False
    assert [f["key"] for f in latest.json()["files"]] == ["sheet-v2.jpg"]


def test_newversion_of_a_draft_is_404(sandbox, api, deposit):
    dep = deposit()
    assert api.post(dep["links"]["newversion"]).status_code == 404
