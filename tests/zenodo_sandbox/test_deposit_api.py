"""Contract tests of the legacy deposit API: CRUD, search, auth and owner isolation."""

from __future__ import annotations

import time

import requests

from zenodo_sandbox.testing import SandboxProcess


def test_create_without_metadata_returns_an_unsubmitted_draft(sandbox, api):
    response = api.post(f"{sandbox.url}/api/deposit/depositions", json={})
    assert response.status_code == 201
    dep = response.json()
    assert dep["state"] == "unsubmitted" and dep["submitted"] is False
    assert dep["id"] == dep["record_id"] and isinstance(dep["conceptrecid"], str)
    assert dep["metadata"]["prereserve_doi"] == {"doi": f"10.5281/zenodo.{dep['id']}",
                                                 "recid": dep["id"]}
    assert dep["links"]["bucket"].startswith(f"{sandbox.url}/api/files/")
    assert dep["links"]["latest_draft"] == dep["links"]["self"]
    assert "doi" not in dep and response.headers["ETag"]


def test_create_with_metadata_echoes_it_and_drops_unknown_metadata_keys(sandbox, api, metadata):
    body = {"metadata": {**metadata, "not_a_zenodo_field": 1}}
    dep = api.post(f"{sandbox.url}/api/deposit/depositions", json=body).json()
    assert dep["title"] == metadata["title"]
    assert dep["metadata"]["custom"] == metadata["custom"]
    assert "not_a_zenodo_field" not in dep["metadata"]


def test_unknown_top_level_key_is_400_with_field_errors(sandbox, api):
    response = api.post(f"{sandbox.url}/api/deposit/depositions", json={"metdata": {}})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["message"] == "A validation error occurred."
    assert body["errors"][0]["field"] == "metdata"


def test_bad_license_communities_and_language_are_refused_on_create(sandbox, api, metadata):
    for bad, field in (({"license": "made-up"}, "metadata.license"),
                       ({"communities": ["herbarium"]}, "communities"),
                       ({"language": "english"}, "metadata.language")):
        response = api.post(f"{sandbox.url}/api/deposit/depositions",
                            json={"metadata": {**metadata, **bad}})
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["field"] == field


def test_wrong_content_type_is_415(sandbox, api):
    response = api.post(f"{sandbox.url}/api/deposit/depositions", data="{}",
                        headers={"Content-Type": "text/plain"})
    assert response.status_code == 415 and response.json()["status"] == 415


def test_put_replaces_the_whole_metadata(sandbox, api, deposit, metadata):
    dep = deposit()
    response = api.put(dep["links"]["self"], json={"metadata": {"title": "Only a title"}})
    assert response.status_code == 200
    assert response.json()["metadata"].keys() == {
        "title", "prereserve_doi", "publication_date", "imprint_publisher", "access_right",
        "license"}


def test_delete_draft_is_204_then_404(sandbox, api, deposit):
    dep = deposit()
    assert api.delete(dep["links"]["self"]).status_code == 204
    assert api.get(dep["links"]["self"]).status_code == 404
    assert sandbox.admin.counts()["total"] == 0


def test_delete_put_and_republish_of_a_published_record_are_404(sandbox, api, deposit):
    dep = deposit(publish=True)
    url = f"{sandbox.url}/api/deposit/depositions/{dep['id']}"
    assert api.delete(url).status_code == 404
    assert api.put(url, json={"metadata": {}}).status_code == 404
    assert api.post(f"{url}/actions/publish").status_code == 404


def test_missing_and_unknown_tokens_get_403_json(sandbox):
    url = f"{sandbox.url}/api/deposit/depositions"
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = requests.post(url, json={}, headers=headers, timeout=10)
        assert response.status_code == 403
        assert response.json() == {"status": 403, "message": "Permission denied."}
    assert sandbox.admin.counts()["total"] == 0


def test_access_token_query_parameter_works_and_is_not_logged(sandbox):
    url = f"{sandbox.url}/api/deposit/depositions"
    response = requests.post(url, params={"access_token": sandbox.token, "q": "x"}, json={},
                             timeout=10)
    assert response.status_code == 201
    assert sandbox.token not in sandbox.log_text()
    log = sandbox.admin.requests(kind="create")
    assert log["requests"][-1]["token"] == sandbox.user
    assert log["requests"][-1]["query"] == "q=x"  # the request log keeps the rest of the query
    assert sandbox.token not in str(log)


def test_other_users_cannot_see_or_touch_a_deposition(sandbox, deposit):
    dep = deposit()
    bob = sandbox.headers("bob")
    assert requests.get(dep["links"]["self"], headers=bob, timeout=10).status_code == 403
    assert requests.put(dep["links"]["self"], json={}, headers=bob, timeout=10).status_code == 403
    assert requests.put(f"{dep['links']['bucket']}/x.txt", data=b"x", headers=bob,
                        timeout=10).status_code == 403
    assert requests.post(dep["links"]["publish"], headers=bob, timeout=10).status_code == 403
    listed = requests.get(f"{sandbox.url}/api/deposit/depositions", headers=bob, timeout=10)
    assert listed.json() == []


def test_non_numeric_id_is_404(sandbox, api):
    response = api.get(f"{sandbox.url}/api/deposit/depositions/abc")
    assert response.status_code == 404 and response.json()["status"] == 404


def test_search_by_related_identifier_title_keyword_and_ids(sandbox, api, deposit, metadata):
    first = deposit()
    other = dict(metadata, title="Another sheet", keywords=["Fungi"],
                 related_identifiers=[{"identifier": "urn:catalog:BR:BR00000130",
                                       "relation": "isAlternateIdentifier"}])
    second = deposit(meta=other)
    url = f"{sandbox.url}/api/deposit/depositions"

    def ids(q: str, **params: str) -> list[int]:
        response = api.get(url, params={"q": q, **params})
        assert response.status_code == 200, response.text
        return [d["id"] for d in response.json()]

    assert ids('related_identifiers.identifier:"urn:catalog:BR:BR0000013"') == [first["id"]]
    assert ids('title:"another sheet"') == [second["id"]]
    assert ids("keywords:fungi") == [second["id"]]
    assert ids(f"conceptrecid:{first['conceptrecid']}") == [first["id"]]
    assert ids(f"recid:{second['id']}") == [second["id"]]
    assert ids("herbarium specimen") == [first["id"]]
    assert sorted(ids("")) == sorted([first["id"], second["id"]])
    assert api.get(url, params={"q": '"unbalanced'}).status_code == 400


def test_list_ignores_status_and_pages(sandbox, api, deposit):
    published = deposit(publish=True)
    drafts = [deposit()["id"] for _ in range(3)]
    url = f"{sandbox.url}/api/deposit/depositions"
    everything = [*drafts[::-1], published["id"]]
    for status in ("published", "draft"):
        assert [d["id"] for d in api.get(url, params={"status": status}).json()] == everything
    page1 = api.get(url, params={"size": 2, "page": 1}).json()
    page2 = api.get(url, params={"size": 2, "page": 2}).json()
    assert len(page1) == 2 and len(page2) == 2
    assert {d["id"] for d in page1 + page2} == {published["id"], *drafts}
    assert api.get(url, params={"size": 101}).status_code == 400


def test_deposit_search_lags_behind_writes_by_the_index_delay(sandbox, api, deposit):
    sandbox.admin.set_delays(deposit=1.5)
    dep = deposit()
    url = f"{sandbox.url}/api/deposit/depositions"
    query = {"q": 'related_identifiers.identifier:"urn:catalog:BR:BR0000013"'}
    assert api.get(dep["links"]["self"]).status_code == 200  # database read: immediate
    assert api.get(url, params=query).json() == []
    time.sleep(1.7)
    assert [d["id"] for d in api.get(url, params=query).json()] == [dep["id"]]


def test_unknown_route_is_json_404(sandbox: SandboxProcess, api):
    response = api.get(f"{sandbox.url}/api/nothing-here")
    assert response.status_code == 404 and response.json()["status"] == 404
