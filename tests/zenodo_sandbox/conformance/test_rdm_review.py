"""Community review requests and record inclusions of the sandbox's RDM API, as on zenodo.org.

The sandbox's caller is a curator of every community, so a plain ``submit-review`` is
accepted at once; ``"require_review": true`` keeps the request open as a non-curator's is.
Sources: invenio-rdm-records ``tests/resources/test_resources_review.py``,
``tests/resources/test_resources.py::test_search_community_records``,
``tests/resources/test_resources_record_communities.py``, ``services/review/service.py``,
``services/components/review.py``, ``requests/community_submission.py``,
``services/communities/service.py`` and ``resources/resources.py``; invenio-requests
``services/schemas.py`` (the request's shape).
"""

from __future__ import annotations

import copy
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
SUBMISSION = "community-submission"


def community_id(api: requests.Session, url: str, slug: str) -> str:
    answer = api.get(f"{url}/api/communities/{slug}")
    assert answer.status_code == 200
    return answer.json()["id"]


def new_draft(api: requests.Session, url: str, community: str | None = None) -> dict:
    data = copy.deepcopy(BODY)
    if community:
        data["parent"] = {"review": {"type": SUBMISSION,
                                     "receiver": {"community": community}}}
    response = api.post(f"{url}/api/records", json=data)
    assert response.status_code == 201, response.text
    draft = response.json()
    files = draft["links"]["files"]
    api.post(files, json=[{"key": "a.txt"}])
    api.put(f"{files}/a.txt/content", data=b"abc", headers=OCTET)
    api.post(f"{files}/a.txt/commit")
    return draft


# test_resources_review.py::test_simple_flow
def test_simple_flow(sandbox, api):
    url = sandbox.url
    community = community_id(api, url, "biosyslit")
    draft = new_draft(api, url, community)
    review = draft["parent"]["review"]
    assert "submit-review" in draft["links"] and "id" in review
    assert review["receiver"] == {"community": community} and review["type"] == SUBMISSION
    assert draft["parent"]["communities"] == {} and draft["status"] == "draft_with_review"
    comment = {"payload": {"content": "What do you think?", "format": "html"},
               "require_review": True}
    req = api.post(draft["links"]["submit-review"], json=comment)
    assert req.status_code == 202
    body = req.json()
    assert body["status"] == "submitted" and body["is_open"] is True
    assert body["title"] == BODY["metadata"]["title"]
    assert body["created_by"] == {"user": draft["parent"]["access"]["owned_by"]["user"]}
    assert body["topic"] == {"record": draft["id"]} and "number" in body
    assert api.get(draft["links"]["self"]).json()["status"] == "in_review"
    read = api.get(body["links"]["self"]).json()
    accepted = api.post(read["links"]["actions"]["accept"], json={})
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted" and accepted.json()["is_open"] is False
    record = api.get(f"{url}/api/records/{draft['id']}",
                     headers={"Accept": "application/vnd.inveniordm.v1+json"}).json()
    assert record["is_published"] is True and "review" not in record["parent"]
    assert record["parent"]["communities"] == {"ids": [community], "default": community}


# test_resources_review.py::test_review_endpoints
def test_review_endpoints(sandbox, api):
    url = sandbox.url
    draft = new_draft(api, url)
    first, second = community_id(api, url, "first"), community_id(api, url, "second")
    req = api.put(draft["links"]["review"], json={"type": SUBMISSION,
                                                  "receiver": {"community": first}})
    assert req.status_code == 200
    body = req.json()
    assert body["status"] == "created" and body["is_open"] is False
    assert body["is_closed"] is False and body["topic"] == {"record": draft["id"]}
    assert body["receiver"] == {"community": first} and "number" in body
    req = api.put(draft["links"]["review"], json={"type": SUBMISSION,
                                                  "receiver": {"community": second}})
    assert req.status_code == 200 and req.json()["receiver"] == {"community": second}
    assert api.delete(draft["links"]["review"]).status_code == 204
    assert "review" not in api.get(draft["links"]["self"]).json()["parent"]


# test_resources_review.py::test_review_errors
def test_an_invalid_review_type_refuses_the_draft(sandbox, api):
    data = {**copy.deepcopy(BODY), "parent": {"review": {
        "type": "invalid", "receiver": {"community": "biosyslit"}}}}
    assert api.post(f"{sandbox.url}/api/records", json=data).status_code == 400


# test_resources_review.py::test_delete_no_review; services/review/service.py read()
def test_delete_or_read_a_missing_or_open_review(sandbox, api):
    draft = new_draft(api, sandbox.url)
    assert api.delete(draft["links"]["review"]).status_code == 404
    assert api.get(draft["links"]["review"]).status_code == 404
    api.put(draft["links"]["review"], json={"type": SUBMISSION,
                                            "receiver": {"community": "biosyslit"}})
    submit = f"{draft['links']['self']}/actions/submit-review"
    assert api.post(submit, json={"require_review": True}).status_code == 202
    assert api.delete(draft["links"]["review"]).status_code == 400


# services/components/review.py publish() and delete_draft(): a draft with a review that is
# not closed cannot be published directly, an open one cannot be deleted
def test_a_draft_under_review_is_not_published_directly(sandbox, api):
    draft = new_draft(api, sandbox.url, "biosyslit")
    blocked = api.post(draft["links"]["publish"])
    assert blocked.status_code == 400 and "open review" in blocked.json()["message"]
    api.post(draft["links"]["submit-review"], json={"require_review": True})
    assert api.post(draft["links"]["publish"]).status_code == 400
    assert api.delete(draft["links"]["self"]).status_code == 400


# services/review/service.py submit() (require_review false: a curator includes at once);
# requests/community_submission.py AcceptAction (publishes, default community)
def test_a_curator_submission_is_accepted_and_published(sandbox, api):
    url = sandbox.url
    draft = new_draft(api, url, "biosyslit")
    req = api.post(draft["links"]["submit-review"])
    assert req.status_code == 202 and req.json()["status"] == "accepted"
    record = api.get(f"{url}/api/records/{draft['id']}").json()
    assert record["metadata"]["communities"] == [{"id": "biosyslit"}]


# requests/community_submission.py SubmitAction (the draft is validated before submitting)
def test_an_invalid_draft_cannot_be_submitted(sandbox, api):
    data = copy.deepcopy(BODY)
    data["metadata"]["title"] = "ab"
    data["parent"] = {"review": {"type": SUBMISSION, "receiver": {"community": "biosyslit"}}}
    draft = api.post(f"{sandbox.url}/api/records", json=data).json()
    refused = api.post(f"{draft['links']['self']}/actions/submit-review")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "metadata.title"
    assert api.get(draft["links"]["review"]).json()["status"] == "created"


# invenio-requests actions (decline keeps the closed review on the draft; cancel removes it)
def test_decline_and_cancel(sandbox, api):
    declined = new_draft(api, sandbox.url, "biosyslit")
    req = api.post(declined["links"]["submit-review"], json={"require_review": True}).json()
    answer = api.post(req["links"]["actions"]["decline"])
    assert answer.status_code == 200 and answer.json()["is_closed"] is True
    assert api.get(declined["links"]["self"]).json()["status"] == "declined"
    assert api.post(declined["links"]["publish"]).status_code == 202
    cancelled = new_draft(api, sandbox.url, "biosyslit")
    req = api.post(cancelled["links"]["submit-review"], json={"require_review": True}).json()
    assert api.post(req["links"]["actions"]["cancel"]).json()["status"] == "cancelled"
    assert "review" not in api.get(cancelled["links"]["self"]).json()["parent"]


# test_resources_record_communities.py (processed[0].community_id); services/communities/
# service.py add() errors; resources.py add() (400 and only "errors" when none processed)
def test_record_communities(sandbox, api):
    draft = new_draft(api, sandbox.url)
    record = api.post(draft["links"]["publish"]).json()
    target = f"{sandbox.url}/api/records/{record['id']}/communities"
    ident = community_id(api, sandbox.url, "biosyslit")
    added = api.post(target, json={"communities": [{"id": ident}]})
    assert added.status_code == 200 and "errors" not in added.json()
    [processed] = added.json()["processed"]
    assert processed["community_id"] == ident and processed["request"]["status"] == "accepted"
    view = api.get(f"{sandbox.url}/api/records/{record['id']}",
                   headers={"Accept": "application/vnd.inveniordm.v1+json"}).json()
    assert view["parent"]["communities"] == {"ids": [ident]}  # no default by inclusion
    again = api.post(target, json={"communities": [{"id": "biosyslit"}]})
    assert again.status_code == 400
    assert again.json() == {"errors": [{
        "community_id": "biosyslit",
        "message": "The record is already included in this community."}]}
    pending = api.post(target, json={"communities": [{"id": "other",
                                                      "require_review": True}]})
    assert pending.json()["processed"][0]["request"]["status"] == "submitted"
    twice = api.post(target, json={"communities": [{"id": "other"}]})
    assert twice.json()["errors"][0]["message"] == (
        "There is already an open inclusion request for this community.")
