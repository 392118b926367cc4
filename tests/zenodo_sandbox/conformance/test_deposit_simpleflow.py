"""zenodo-rdm ``site/tests/legacy/deposits/test_rest_api_simpleflow.py`` over HTTP.

Each test names the zenodo-rdm test it follows. Not expressible here: the two superuser tests
(``test_update_deposit_superuser``, ``test_delete_deposits_superuser``): the sandbox has no
administrator identity on the deposit API.
"""

from __future__ import annotations

import requests

PRESENTATION = {"metadata": {
    "upload_type": "presentation", "title": "Test title",
    "creators": [{"name": "Doe, John", "affiliation": "Atlantis"},
                 {"name": "Smith, Jane", "affiliation": "Atlantis"}],
    "description": "Test Description", "publication_date": "2013-05-08", "access_right": "open",
}}


def _url(sandbox) -> str:
    return f"{sandbox.url}/api/deposit/depositions"


def _session(sandbox, user: str | None) -> requests.Session:
    session = requests.Session()
    if user:
        session.headers.update(sandbox.headers(user))
    return session


def _upload(session: requests.Session, files_url: str, name: str, data: bytes,
            filename: str | None = None) -> requests.Response:
    return session.post(files_url, files={"file": (filename or name, data)}, data={"name": name})


# test_rest_api_simpleflow.py::test_simple_rest_flow
def test_simple_rest_flow(sandbox, api):
    assert requests.post(_url(sandbox), json=PRESENTATION, timeout=10).status_code == 403
    response = api.post(_url(sandbox), json=PRESENTATION)
    assert response.status_code == 201
    deposit_id, links = response.json()["id"], response.json()["links"]
    assert api.get(links["self"]).status_code == 200
    for i in range(3):
        uploaded = _upload(api, links["files"], f"test-{i}", f"test-{i}.txt".encode(),
                           f"test-{i}.txt")
        assert uploaded.status_code == 201
        file_url = uploaded.json()["links"]["self"]
    published = api.post(links["publish"])
    assert published.status_code == 202
    record_id = published.json()["id"]
    assert record_id == deposit_id
    assert api.get(f"{sandbox.url}/api/records/{record_id}").status_code == 200
    assert api.post(links["publish"]).status_code == 404
    assert api.put(links["self"], json=PRESENTATION).status_code == 404
    assert api.delete(links["self"]).status_code == 404
    assert api.get(links["files"]).status_code == 200
    assert api.put(links["files"], json=[{"id": "x"}]).status_code == 405
    assert _upload(api, links["files"], "test-5.txt", b"test-5.txt").status_code == 404
    assert api.delete(file_url).status_code == 403
    assert api.put(file_url, json={"filename": "another_test.pdf"}).status_code == 405


# test_rest_api_simpleflow.py::test_simple_delete
def test_simple_delete(sandbox, api, metadata):
    response = api.post(_url(sandbox), json={"metadata": metadata})
    assert response.status_code == 201
    links = response.json()["links"]
    assert len(api.get(_url(sandbox)).json()) == 1
    assert api.delete(links["self"]).status_code == 204
    assert api.get(_url(sandbox)).json() == []
    assert api.delete(links["self"]).status_code == 404


# test_rest_api_simpleflow.py::test_read_deposit_users
def test_read_deposit_users(sandbox, api, metadata):
    url = api.post(_url(sandbox), json={"metadata": metadata}).json()["links"]["self"]
    assert _session(sandbox, None).get(url).status_code == 403
    assert _session(sandbox, "bob").get(url).status_code == 403


# test_rest_api_simpleflow.py::test_update_deposits_owner
def test_update_deposits_owner(sandbox, api, metadata):
    url = api.post(_url(sandbox), json={"metadata": metadata}).json()["links"]["self"]
    response = api.put(url, json={"metadata": {"title": "A new title"}})
    assert response.status_code == 200
    assert response.json()["metadata"]["title"] == "A new title"


# test_rest_api_simpleflow.py::test_update_deposit_not_owner
# test_rest_api_simpleflow.py::test_update_deposit_anonymous
def test_update_deposit_not_owner_or_anonymous(sandbox, api, metadata):
    url = api.post(_url(sandbox), json={"metadata": metadata}).json()["links"]["self"]
    change = {"metadata": {"title": "A new title"}}
    assert _session(sandbox, "bob").put(url, json=change).status_code == 403
    assert _session(sandbox, None).put(url, json=change).status_code == 403


# test_rest_api_simpleflow.py::test_delete_deposits_owner
# test_rest_api_simpleflow.py::test_delete_deposits_not_owner
# test_rest_api_simpleflow.py::test_delete_deposits_anonymous
def test_delete_deposits_by_owner_other_user_and_anonymous(sandbox, api, metadata):
    url = api.post(_url(sandbox), json={"metadata": metadata}).json()["links"]["self"]
    assert _session(sandbox, "bob").delete(url).status_code == 403
    assert _session(sandbox, None).delete(url).status_code == 403
    assert api.delete(url).status_code == 204


# test_rest_api_simpleflow.py::test_versioning_rest_flow
def test_versioning_rest_flow(sandbox, api):
    links = api.post(_url(sandbox), json=PRESENTATION).json()["links"]
    assert api.get(links["self"]).status_code == 200
    assert _upload(api, links["files"], "test-1.txt", b"test-1.txt").status_code == 201
    published = api.post(links["publish"])
    assert published.status_code == 202
    response = api.post(published.json()["links"]["newversion"])
    assert response.status_code == 201
    new_id = response.json()["id"]
    response = api.get(f"{_url(sandbox)}/{new_id}")
    assert response.status_code == 200
    data, links = response.json(), response.json()["links"]
    assert "latest_draft" in links
    assert [f["filename"] for f in data["files"]] == ["test-1.txt"]
    added = _upload(api, links["files"], "test-2.txt", b"test-2.txt")
    assert added.status_code == 201
    assert api.delete(added.json()["links"]["self"]).status_code == 204
    assert api.put(links["self"], json=PRESENTATION).status_code == 200
    assert api.post(links["publish"]).status_code == 202  # the step zenodo-rdm leaves TODO


# test_rest_api_simpleflow.py::test_versioning_unpublished_fail
def test_versioning_unpublished_fail(sandbox, api):
    response = api.post(_url(sandbox), json=PRESENTATION)
    assert response.status_code == 201
    assert "versions" not in response.json()["links"]
    deposit_id = response.json()["id"]
    assert api.post(f"{sandbox.url}/api/records/{deposit_id}/versions").status_code == 404
