"""``GET /api/records`` as zenodo.org answers it: ``ZenodoJSONSerializer``'s list schema over
InvenioRDM's search. Each test names the zenodo-rdm source whose behaviour it pins."""

from __future__ import annotations

import requests


def _search(sandbox, headers: dict | None = None, **params) -> dict:
    response = requests.get(f"{sandbox.url}/api/records", params=params, headers=headers,
                            timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


# zenodo-rdm legacy/serializers/__init__.py ZenodoListSchema (``sortBy`` is load-only, so
# it is never dumped) over flask-resources BaseListSchema (empty aggregations are left out)
def test_search_answer_has_hits_and_links_but_no_sort_by(sandbox):
    sandbox.admin.seed(2)
    answer = _search(sandbox)
    assert set(answer) == {"hits", "links"}
    assert answer["hits"]["total"] == 2 and len(answer["hits"]["hits"]) == 2


# zenodo-rdm invenio.cfg RDM_SEARCH (sort_default_no_query "newest", sort_default
# "bestmatch")
def test_default_sort_is_newest_without_query_and_bestmatch_with_one(sandbox):
    sandbox.admin.seed(2)
    assert "sort=newest" in _search(sandbox)["links"]["self"]
    assert "sort=bestmatch" in _search(sandbox, q="specimen")["links"]["self"]
    newest = [h["id"] for h in _search(sandbox)["hits"]["hits"]]
    assert newest == sorted(newest, reverse=True)


# zenodo-rdm legacy/serializers/__init__.py ZenodoJSONSerializer (hits use ZenodoSchema, the
# same shape as one record) and invenio-rdm-records FilesSchema field_dump_permissions
def test_hits_are_zenodo_json_and_hide_restricted_files_from_guests(sandbox):
    metadata = {"upload_type": "dataset", "title": "Closed specimen", "access_right": "closed",
                "creators": [{"name": "Doe, Jane"}], "publication_date": "2024-01-01"}
    (recid,) = sandbox.admin.seed(1, metadata=metadata, owner=sandbox.user)["ids"]
    (hit,) = _search(sandbox)["hits"]["hits"]
    single = requests.get(f"{sandbox.url}/api/records/{recid}", timeout=10).json()
    assert hit["metadata"]["resource_type"] == single["metadata"]["resource_type"] == {
        "type": "dataset", "title": "Dataset"}
    assert hit["metadata"]["access_right"] == "restricted" and hit["files"] == []
    (own,) = _search(sandbox, headers=sandbox.headers())["hits"]["hits"]
    assert len(own["files"]) == 1
