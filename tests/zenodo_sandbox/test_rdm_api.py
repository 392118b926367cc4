"""The InvenioRDM records API of the sandbox, over real HTTP against a server process."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import defusedxml.ElementTree
import pytest
import requests

from zenodo_sandbox.rdm_validation import validate_rdm
from zenodo_sandbox.testing import SandboxProcess

OAI = {"oai": "http://www.openarchives.org/OAI/2.0/"}
BROKEN = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
OCTET = {"Content-Type": "application/octet-stream"}
SPECIMEN_URL = "https://www.botanicalcollections.be/specimen/BR0000013456789"
RDM_BODY: dict[str, Any] = {
    "metadata": {
        "resource_type": {"id": "image-photo"},
        "title": "Quercus robur L. (BR0000013456789)",
        "publication_date": "2025-06-01",
        "publisher": "Meise Botanic Garden",
        "creators": [
            {"person_or_org": {"type": "organizational", "name": "Meise Botanic Garden"}},
            {"person_or_org": {"type": "personal", "family_name": "Doe", "given_name": "Jane",
                               "identifiers": [{"scheme": "orcid",
                                                "identifier": "0000-0002-1694-233X"}]},
             "affiliations": [{"name": "Meise Botanic Garden"}]},
        ],
        "description": "Herbarium specimen of Quercus robur.",
        "rights": [{"id": "cc-by-sa-4.0"}],
        "subjects": [{"subject": "Fagaceae"}],
        "identifiers": [{"identifier": SPECIMEN_URL, "scheme": "url"}],
        "locations": {"features": [{"geometry": {"type": "Point", "coordinates": [4.33, 50.93]},
                                    "place": "Meise"}]},
        "dates": [{"date": "1876-05-12", "type": {"id": "collected"}}],
    },
    "custom_fields": {"dwc:catalogNumber": ["BR0000013456789"], "dwc:decimalLatitude": [50.93],
                      "ac:captureDevice": ["Canon EOS 5DS R"]},
    "access": {"record": "public", "files": "public"},
    "files": {"enabled": True},
}
JPEG = b"\xff\xd8 pretend jpeg \xff\xd9"


def body(**metadata: Any) -> dict[str, Any]:
    """Return a fresh valid RDM body with ``metadata`` fields overridden."""
    result = copy.deepcopy(RDM_BODY)
    result["metadata"].update(metadata)
    return result


def create(session: requests.Session, url: str, data: dict[str, Any] | None = None) -> dict:
    response = session.post(f"{url}/api/records", json=data or body())
    assert response.status_code == 201, response.text
    return response.json()


def add_file(session: requests.Session, draft: dict, key: str, content: bytes) -> dict:
    files = draft["links"]["files"]
    declared = session.post(files, json=[{"key": key}])
    assert declared.status_code == 201, declared.text
    put = session.put(f"{files}/{key}/content", data=content, headers=OCTET)
    assert put.status_code == 200, put.text
    committed = session.post(f"{files}/{key}/commit")
    assert committed.status_code == 200, committed.text
    return committed.json()


def published(session: requests.Session, url: str, files: dict[str, bytes] | None = None,
              data: dict[str, Any] | None = None) -> dict:
    draft = create(session, url, data)
    for key, content in (files if files is not None else {"sheet.jpg": JPEG}).items():
        add_file(session, draft, key, content)
    response = session.post(draft["links"]["publish"])
    assert response.status_code == 202, response.text
    return response.json()


def oai_ids(url: str, set_spec: str) -> list[str]:
    response = requests.get(f"{url}/oai2d", params={"verb": "ListIdentifiers",
                                                    "metadataPrefix": "oai_dc", "set": set_spec},
                            timeout=30)
    if response.status_code == 422:
        return []
    root = defusedxml.ElementTree.fromstring(response.content)
    return [e.text for e in root.iterfind(".//oai:header/oai:identifier", OAI)]


def test_full_flow_costs_five_requests_and_shows_everywhere(sandbox, api):
    url = sandbox.url
    draft = create(api, url)
    assert "errors" not in draft and draft["id"].isdigit() and draft["is_draft"] is True
    assert draft["custom_fields"]["dwc:catalogNumber"] == ["BR0000013456789"]
    files = draft["links"]["files"]
    declared = api.post(files, json=[{"key": "BR0000013456789.jpg"}])
    assert declared.status_code == 201
    [entry] = declared.json()["entries"]
    assert entry["status"] == "pending" and entry["links"]["commit"].endswith("/commit")
    put = api.put(entry["links"]["content"], data=JPEG, headers=OCTET)
    assert put.status_code == 200
    committed = api.post(entry["links"]["commit"])
    md5 = hashlib.md5(JPEG, usedforsecurity=False).hexdigest()
    assert committed.json()["status"] == "completed"
    assert committed.json()["checksum"] == f"md5:{md5}"
    assert committed.json()["size"] == len(JPEG)
    done = api.post(draft["links"]["publish"])
    assert done.status_code == 202
    record = done.json()
    recid = int(record["id"])
    assert record["is_published"] and record["pids"]["doi"]["identifier"] == (
        f"10.5072/zenodo.{recid}")

    log = sandbox.admin.requests(token=sandbox.user)
    assert log["total"] == 5
    assert log["counts"]["by_kind"] == {"create": 1, "file_post": 2, "file_put": 1,
                                        "publish": 1}

    public = requests.get(f"{url}/api/records/{recid}", timeout=30).json()
    assert public["doi"] == f"10.5072/zenodo.{recid}"
    assert public["metadata"]["custom"]["dwc:catalogNumber"] == ["BR0000013456789"]
    assert public["metadata"]["resource_type"]["subtype"] == "photo"  # Zenodo JSON: bare subtype
    assert public["files"][0]["checksum"] == f"md5:{md5}"
    hits = requests.get(f"{url}/api/records", params={"q": "BR0000013456789"},
                        timeout=30).json()["hits"]
    assert [h["id"] for h in hits["hits"]] == [recid]
    [admin_record] = sandbox.admin.records()
    assert admin_record["id"] == recid
    assert admin_record["files"][0]["md5"] == md5

    joined = api.post(f"{url}/api/records/{recid}/communities",
                      json={"communities": [{"id": "meisebg"}]})
    assert joined.status_code == 200 and joined.json()["processed"][0]["community_id"] == "meisebg"
    assert oai_ids(url, "user-meisebg") == [f"oai:zenodo.org:{recid}"]
    again = api.post(f"{url}/api/records/{recid}/communities",
                     json={"communities": [{"id": "meisebg"}]})
    assert again.status_code == 400 and set(again.json()) == {"errors"}


def test_review_submission_publishes_into_the_community(sandbox, api):
    url = sandbox.url
    draft = create(api, url)
    add_file(api, draft, "sheet.jpg", JPEG)
    review = api.put(draft["links"]["review"], json={
        "type": "community-submission", "receiver": {"community": "meisebg"}})
    assert review.status_code == 200 and review.json()["status"] == "created"
    submit = api.get(draft["links"]["self"]).json()["links"]["submit-review"]
    submitted = api.post(submit, json={})
    assert submitted.status_code == 202 and submitted.json()["status"] == "accepted"
    record = api.get(f"{url}/api/records/{draft['id']}").json()
    assert record["metadata"]["communities"] == [{"id": "meisebg"}]
    assert oai_ids(url, "user-meisebg") == [f"oai:zenodo.org:{draft['id']}"]
    assert sandbox.admin.requests(token=sandbox.user)["total"] == 8  # 5, review, 2 reads


def test_a_curated_review_stays_open_until_accepted_and_locks_the_draft():
    with SandboxProcess(limits_profile="none", extra_args=["--review", "curator"]) as box:
        session = requests.Session()
        session.headers.update(box.headers())
        community = session.get(f"{box.url}/api/communities/meisebg").json()
        assert community["slug"] == "meisebg" and len(community["id"]) == 36
        draft = create(session, box.url)
        add_file(session, draft, "sheet.jpg", JPEG)
        review = {"type": "community-submission", "receiver": {"community": community["id"]}}
        assert session.put(draft["links"]["review"], json=review).status_code == 200
        submit = f"{draft['links']['self']}/actions/submit-review"
        submitted = session.post(submit, json={}).json()
        assert submitted["status"] == "submitted" and submitted["is_open"]
        assert session.get(f"{box.url}/api/records/{draft['id']}").status_code == 404
        assert session.get(draft["links"]["review"]).json()["status"] == "submitted"
        again = session.put(draft["links"]["review"], json=review)
        assert again.status_code == 400 and "open review" in again.json()["message"]
        accepted = session.post(submitted["links"]["actions"]["accept"], json={})
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        record = session.get(f"{box.url}/api/records/{draft['id']}").json()
        assert record["metadata"]["communities"] == [{"id": "meisebg"}]
        rdm = session.get(f"{box.url}/api/records/{draft['id']}",
                          headers={"Accept": "application/vnd.inveniordm.v1+json"}).json()
        assert rdm["is_published"] and rdm["parent"]["communities"] == {
            "ids": [community["id"]], "default": community["id"]}
        assert rdm["metadata"]["title"] == RDM_BODY["metadata"]["title"]


def test_community_sets_can_use_the_invenio_prefix():
    with SandboxProcess(limits_profile="none",
                        extra_args=["--oai-set-prefix", "community-"]) as box:
        session = requests.Session()
        session.headers.update(box.headers())
        draft = create(session, box.url)
        add_file(session, draft, "sheet.jpg", JPEG)
        session.put(draft["links"]["review"], json={
            "type": "community-submission", "receiver": {"community": "herbaria"}})
        submit = f"{draft['links']['self']}/actions/submit-review"
        assert session.post(submit).status_code == 202
        assert oai_ids(box.url, "community-herbaria") == [f"oai:zenodo.org:{draft['id']}"]
        assert oai_ids(box.url, "user-herbaria") == []


def test_invalid_metadata_is_listed_on_the_draft_and_refused_at_publish(sandbox, api):
    bad = body(
        title="",
        creators=[{"person_or_org": {"type": "personal", "given_name": "Jane"}},
                  {"person_or_org": {"type": "organizational"}}],
        locations={"features": [{"geometry": {"type": "LineString", "coordinates": [4.3, 5]}}]},
    )
    bad["custom_fields"]["dwc:catalogNumber"] = "BR0000013456789"
    bad["custom_fields"]["dwc:eventDate"] = ["1876"]
    draft = create(api, sandbox.url, bad)
    fields = {e["field"] for e in draft["errors"]}
    assert fields == {"metadata.title", "metadata.creators.0.person_or_org.family_name",
                      "metadata.creators.1.person_or_org.name",
                      "metadata.locations.features.0.geometry.type",
                      "custom_fields.dwc:catalogNumber", "custom_fields.dwc:eventDate.0"}
    assert all(isinstance(e["messages"], list) and e["messages"] for e in draft["errors"])
    # what did not load is not saved; the people whose names are missing are
    assert "title" not in draft["metadata"] and "dwc:eventDate" not in draft["custom_fields"]
    assert len(draft["metadata"]["creators"]) == 2
    add_file(api, draft, "sheet.jpg", JPEG)
    refused = api.post(draft["links"]["publish"])
    assert refused.status_code == 400
    assert refused.json()["message"] == "A validation error occurred."
    assert {e["field"] for e in refused.json()["errors"]} == {
        "metadata.title", "metadata.creators.0.person_or_org.family_name",
        "metadata.creators.1.person_or_org.name", "metadata.locations.features.0.locations"}
    assert sandbox.admin.records() == []
    assert validate_rdm(RDM_BODY) == []
    unknown = api.post(f"{sandbox.url}/api/records", json=body(
        dates=[{"date": "1876-05-12", "type": {"id": "harvested"}}]))
    assert unknown.status_code == 400 and unknown.json()["message"] == "Invalid value harvested."


def test_records_are_isolated_per_owner(sandbox, api):
    draft = create(api, sandbox.url)
    bob = requests.Session()
    bob.headers.update(sandbox.headers("bob"))
    assert bob.get(draft["links"]["self"]).status_code == 403
    assert bob.post(draft["links"]["files"], json=[{"key": "x.jpg"}]).status_code == 403
    assert bob.post(draft["links"]["publish"]).status_code == 403
    assert bob.get(f"{sandbox.url}/api/user/records").json()["hits"]["total"] == 0
    anonymous = requests.get(draft["links"]["self"], timeout=30)
    assert anonymous.status_code == 403 and anonymous.json()["message"] == "Permission denied."
    assert api.get(f"{sandbox.url}/api/user/records").json()["hits"]["total"] == 1


def test_pending_or_missing_files_block_publish(sandbox, api):
    draft = create(api, sandbox.url)
    no_files = api.post(draft["links"]["publish"])
    assert no_files.status_code == 400
    assert no_files.json()["errors"] == [{"field": "files.enabled", "messages": [
        "Missing uploaded files. To disable files for this record please mark it as "
        "metadata-only."]}]
    add_file(api, draft, "a.jpg", JPEG)
    md5 = hashlib.md5(b"other", usedforsecurity=False).hexdigest()
    api.post(draft["links"]["files"], json=[{"key": "b.jpg", "checksum": f"md5:{md5}"}])
    api.put(f"{draft['links']['files']}/b.jpg/content", data=b"wrong bytes", headers=OCTET)
    pending = api.post(draft["links"]["publish"])
    assert pending.status_code == 400
    assert pending.json()["errors"] == [{
        "field": "files",
        "messages": ["One or more files have not completed their transfer, please wait."]}]
    listing = api.get(draft["links"]["files"]).json()["entries"]
    assert {e["key"]: e["status"] for e in listing} == {"a.jpg": "completed",
                                                        "b.jpg": "pending"}
    # the declared checksum is not compared: the commit takes the bytes that came
    committed = api.post(f"{draft['links']['files']}/b.jpg/commit")
    assert committed.status_code == 200
    assert committed.json()["checksum"] == "md5:" + hashlib.md5(
        b"wrong bytes", usedforsecurity=False).hexdigest()
    assert api.delete(f"{draft['links']['files']}/b.jpg").status_code == 204
    assert api.post(draft["links"]["publish"]).status_code == 202


def test_new_version_starts_without_files(sandbox, api):
    first = published(api, sandbox.url)
    response = api.post(f"{sandbox.url}/api/records/{first['id']}/versions")
    assert response.status_code == 201
    draft = response.json()
    assert draft["id"] != first["id"] and draft["parent"]["id"] == first["parent"]["id"]
    assert draft["files"]["entries"] == {} and draft["status"] == "new_version_draft"
    assert api.post(draft["links"]["publish"]).json()["errors"][-1]["field"] == "files.enabled"
    imported = api.post(f"{draft['links']['self']}/actions/files-import")
    assert imported.status_code == 201
    assert [e["key"] for e in imported.json()["entries"]] == ["sheet.jpg"]
    twice = api.post(f"{draft['links']['self']}/actions/files-import")
    assert twice.json()["errors"][0]["messages"] == ["Please remove all files first."]
    second = api.post(draft["links"]["publish"])
    assert second.status_code == 202
    assert second.json()["pids"]["doi"]["identifier"] == f"10.5072/zenodo.{draft['id']}"
    assert len(sandbox.admin.records()) == 2


def test_edit_keeps_the_doi_and_locks_files(sandbox, api):
    record = published(api, sandbox.url)
    doi = record["pids"]["doi"]["identifier"]
    opened = api.post(f"{sandbox.url}/api/records/{record['id']}/draft")
    assert opened.status_code == 201
    draft = opened.json()
    assert api.post(draft["links"]["files"], json=[{"key": "new.jpg"}]).status_code == 201
    locked = api.put(f"{draft['links']['files']}/new.jpg/content", data=JPEG, headers=OCTET)
    assert locked.status_code == 403
    assert api.delete(f"{draft['links']['files']}/sheet.jpg").status_code == 403
    assert api.delete(f"{draft['links']['files']}/new.jpg").status_code == 204
    changed = body(title="Quercus robur L. (corrected)")
    assert api.put(draft["links"]["self"], json=changed).status_code == 200
    republished = api.post(draft["links"]["publish"])
    assert republished.status_code == 202
    assert republished.json()["pids"]["doi"]["identifier"] == doi
    public = requests.get(f"{sandbox.url}/api/records/{record['id']}", timeout=30).json()
    assert public["doi"] == doi and public["title"] == "Quercus robur L. (corrected)"
    assert [f["key"] for f in public["files"]] == ["sheet.jpg"]


def test_commit_then_fail_on_publish_leaves_an_unseen_published_record(sandbox, api):
    draft = create(api, sandbox.url)
    add_file(api, draft, "sheet.jpg", JPEG)
    sandbox.admin.set_faults({"kinds": {"publish": {"commit_then_fail": 1.0,
                                                    "commit_fail_mode": "gateway"}}})
    response = api.post(draft["links"]["publish"])
    assert response.status_code == 504 and response.headers["Content-Type"].startswith(
        "text/html")
    sandbox.admin.set_faults(None)
    [record] = sandbox.admin.records()
    assert record["id"] == int(draft["id"])
    found = api.get(f"{sandbox.url}/api/user/records", params={
        "q": 'custom_fields.dwc\\:catalogNumber:"BR0000013456789"'}).json()["hits"]
    assert found["total"] == 1 and found["hits"][0]["is_published"] is True
    assert api.post(draft["links"]["publish"]).status_code == 404  # re-publish is no success


def test_lost_create_is_found_by_its_specimen_identifier(sandbox, api):
    sandbox.admin.set_faults({"kinds": {"create": {"commit_then_fail": 1.0,
                                                   "commit_fail_mode": "drop"}}})
    with pytest.raises(BROKEN):
        api.post(f"{sandbox.url}/api/records", json=body())
    sandbox.admin.set_faults(None)
    create(api, sandbox.url, body(identifiers=[{"identifier": "urn:other", "scheme": "urn"}]))
    found = api.get(f"{sandbox.url}/api/user/records", params={
        "q": f'metadata.identifiers.identifier:"{SPECIMEN_URL}"'}).json()["hits"]
    assert found["total"] == 1 and found["hits"][0]["is_published"] is False
    assert found["hits"][0]["metadata"]["identifiers"][0]["identifier"] == SPECIMEN_URL
