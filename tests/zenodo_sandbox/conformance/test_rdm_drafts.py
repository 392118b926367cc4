"""InvenioRDM drafts on the sandbox behave as on zenodo.org: create, read, update, delete,
publish, and what publishing refuses.

Sources: invenio-rdm-records ``tests/resources/test_resources.py`` and
``tests/resources/test_publish_errors.py``; invenio-drafts-resources
``services/records/service.py`` and ``components/base.py``; invenio-records-resources
``services/records/results.py``; zenodo-rdm ``invenio.cfg`` and ``site/zenodo_rdm/
permissions.py`` (no metadata-only or restricted records) and ``providers.py`` (DataCite).
"""

from __future__ import annotations

import copy
from typing import Any

import requests

OCTET = {"Content-Type": "application/octet-stream"}
MINIMAL: dict[str, Any] = {
    "pids": {},
    "access": {"record": "public", "files": "public"},
    "files": {"enabled": True},
    "metadata": {
        "creators": [
            {"person_or_org": {"family_name": "Brown", "given_name": "Troy",
                               "type": "personal"}},
            {"person_or_org": {"name": "Troy Inc.", "type": "organizational"}},
        ],
        "publication_date": "2020-06-01",
        "publisher": "Acme Inc",
        "resource_type": {"id": "image-photo"},
        "title": "A Romans story",
    },
}


def minimal(**metadata: Any) -> dict[str, Any]:
    """The minimal record of invenio-rdm-records' tests, files enabled (Zenodo's only way)."""
    record = copy.deepcopy(MINIMAL)
    record["metadata"].update(metadata)
    return record


def create(api: requests.Session, url: str, data: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"{url}/api/records", json=data)
    assert response.status_code == 201, response.text
    return response.json()


def attach(api: requests.Session, draft: dict[str, Any], key: str = "test.txt") -> None:
    files = draft["links"]["files"]
    assert api.post(files, json=[{"key": key}]).status_code == 201
    assert api.put(f"{files}/{key}/content", data=b"testfile", headers=OCTET).status_code == 200
    assert api.post(f"{files}/{key}/commit").status_code == 200


def published(api: requests.Session, url: str, data: dict[str, Any] | None = None) -> dict:
    draft = create(api, url, data or minimal())
    attach(api, draft)
    response = api.post(draft["links"]["publish"])
    assert response.status_code == 202, response.text
    return response.json()


# test_resources.py::test_simple_flow (and _assert_single_item_response, _validate_access)
def test_simple_flow(sandbox, api):
    url = sandbox.url
    created = api.post(f"{url}/api/records", json=minimal())
    assert created.status_code == 201
    draft = created.json()
    assert {"access", "created", "id", "links", "metadata", "updated"} <= set(draft)
    assert draft["access"]["record"] == draft["access"]["files"] == "public"
    read = api.get(f"{url}/api/records/{draft['id']}/draft")
    assert read.status_code == 200 and read.json()["metadata"] == draft["metadata"]
    data = read.json()
    data["metadata"]["title"] = "New title"
    updated = api.put(f"{url}/api/records/{draft['id']}/draft", json=data)
    assert updated.status_code == 200 and updated.json()["metadata"]["title"] == "New title"
    attach(api, draft)
    done = api.post(f"{url}/api/records/{draft['id']}/draft/actions/publish")
    assert done.status_code == 202
    record = api.get(f"{url}/api/records/{draft['id']}",
                     headers={"Accept": "application/vnd.inveniordm.v1+json"})
    assert record.status_code == 200 and record.json()["metadata"]["title"] == "New title"
    assert record.json()["access"]["record"] == "public"


# test_resources.py::test_create_partial_draft
def test_create_partial_draft_lists_errors(sandbox, api):
    draft = create(api, sandbox.url, minimal(title=""))
    assert {"access", "created", "id", "links", "metadata", "updated"} <= set(draft)
    assert draft["errors"] == [{"field": "metadata.title",
                                "messages": ["Shorter than minimum length 3."]}]


# test_resources.py::test_create_draft_w_extra_fields_reports_error_doesnt_save_field
def test_extra_top_level_fields_are_dropped(sandbox, api):
    draft = create(api, sandbox.url, {**minimal(), "foo": "FOO!"})
    assert "foo" not in draft and "errors" not in draft


# invenio-records-resources services/records/results.py (RecordItem.data: "errors" only
# when there are some); test_resources.py::test_restricted_records_disabled ("errors" not in)
def test_errors_appear_only_when_there_are_some(sandbox, api):
    draft = create(api, sandbox.url, minimal())
    assert "errors" not in draft
    attach(api, draft)
    updated = api.put(draft["links"]["self"], json=minimal(title="Edited title"))
    assert updated.status_code == 200 and "errors" not in updated.json()


# test_resources.py::test_update_partial_draft
def test_update_partial_draft_drops_the_invalid_field(sandbox, api):
    draft = create(api, sandbox.url, minimal())
    attach(api, draft)
    response = api.put(draft["links"]["self"], json=minimal(title=""))
    assert response.status_code == 200
    assert response.json()["errors"] == [{"field": "metadata.title",
                                          "messages": ["Shorter than minimum length 3."]}]
    again = api.get(draft["links"]["self"])
    assert again.status_code == 200 and "title" not in again.json()["metadata"]


# invenio-drafts-resources service.read_draft: a saved draft's schema errors are not listed
def test_read_draft_lists_no_schema_errors(sandbox, api):
    draft = create(api, sandbox.url, minimal(description="x"))
    assert draft["errors"][0]["field"] == "metadata.description"
    assert "errors" not in api.get(draft["links"]["self"]).json()


# test_resources.py::test_delete_draft
def test_delete_draft(sandbox, api):
    draft = create(api, sandbox.url, minimal())
    assert api.delete(draft["links"]["self"]).status_code == 204
    assert api.get(draft["links"]["self"]).status_code == 404


# test_resources.py::test_publish_draft
def test_publish_draft_leaves_no_draft(sandbox, api):
    record = published(api, sandbox.url)
    assert record["is_published"] is True and record["status"] == "published"
    assert api.get(f"{sandbox.url}/api/records/{record['id']}/draft").status_code == 404


# test_resources.py::test_publish_draft_w_dates
def test_publish_draft_with_dates(sandbox, api):
    dates = [{"date": "1939/1945", "type": {"id": "other"}, "description": "A date"}]
    record = published(api, sandbox.url, minimal(dates=dates))
    assert record["metadata"]["dates"] == dates


# test_resources.py::test_user_records_and_drafts (newest first); zenodo-rdm invenio.cfg
# RDM_SEARCH_DRAFTS (sort_default_no_query "newest")
def test_user_records_lists_drafts_and_records_newest_first(sandbox, api):
    draft = create(api, sandbox.url, minimal())
    record = published(api, sandbox.url)
    found = api.get(f"{sandbox.url}/api/user/records")
    assert found.status_code == 200
    assert found.json()["sortBy"] == "newest"
    assert [h["id"] for h in found.json()["hits"]["hits"]] == [record["id"], draft["id"]]
    assert api.get(f"{sandbox.url}/api/user/records",
                   params={"sort": "updated-desc"}).status_code == 400


# test_publish_errors.py::test_simple_field_error
def test_publish_reports_a_missing_required_field(sandbox, api):
    draft = create(api, sandbox.url, minimal(publication_date=""))
    attach(api, draft)
    response = api.post(draft["links"]["publish"])
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "metadata.publication_date",
                                          "messages": ["Missing data for required field."]}]


# test_publish_errors.py::test_nested_field_error
def test_publish_reports_a_nested_field_error(sandbox, api):
    creators = [{"person_or_org": {"name": "Julio Cesar", "type": "personal",
                                   "given_name": "Julio", "family_name": "Cesar"}},
                {"person_or_org": {"type": "organizational"}}]
    draft = create(api, sandbox.url, minimal(creators=creators))
    attach(api, draft)
    response = api.post(draft["links"]["publish"])
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "metadata.creators.1.person_or_org.name",
                                          "messages": ["Name cannot be blank."]}]


# invenio-drafts-resources service.publish: the schema is checked before the components,
# so metadata errors come alone, files and DOI problems after them
def test_publish_checks_metadata_before_files(sandbox, api):
    draft = create(api, sandbox.url, minimal(title="ab"))
    response = api.post(draft["links"]["publish"])
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["metadata.title"]
    fixed = api.put(draft["links"]["self"], json=minimal())
    assert fixed.json()["errors"] == [{"field": "files.enabled",
                                       "messages": ["Missing uploaded files."]}]
    no_files = api.post(draft["links"]["publish"])
    assert no_files.json()["errors"] == [{"field": "files.enabled", "messages": [
        "Missing uploaded files. To disable files for this record please mark it as "
        "metadata-only."]}]


# zenodo-rdm invenio.cfg RDM_ALLOW_METADATA_ONLY_RECORDS = False, permissions.py
# can_manage_files = []; invenio-drafts-resources components/base.py create()
def test_files_cannot_be_disabled(sandbox, api):
    data = minimal()
    data["files"] = {"enabled": False}
    draft = create(api, sandbox.url, data)
    assert draft["errors"] == [{"field": "files.enabled", "messages": [
        "You don't have permissions to manage files options."]}]
    assert draft["files"]["enabled"] is True


# test_resources.py::test_restricted_records_disabled (zenodo-rdm invenio.cfg
# RDM_ALLOW_RESTRICTED_RECORDS = False); invenio-rdm-records components/access.py
def test_records_cannot_be_restricted(sandbox, api):
    draft = create(api, sandbox.url, minimal())
    data = minimal()
    data["access"]["record"] = "restricted"
    response = api.put(draft["links"]["self"], json=data)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "access"
    assert response.json()["errors"][0]["messages"] == [
        "You don't have permissions to manage record access."]
    assert api.get(draft["links"]["self"]).json()["access"]["record"] == "public"
    assert api.post(f"{sandbox.url}/api/records", json=data).status_code == 400
    files_only = minimal()
    files_only["access"]["files"] = "restricted"
    kept = create(api, sandbox.url, files_only)
    assert kept["access"]["files"] == "restricted" and kept["access"]["status"] == "restricted"


# invenio-rdm-records services/pids/providers/datacite.py validate(); zenodo-rdm
# providers.py (DataCite DOIs, required): a record needs a publisher
def test_a_publisher_is_needed_for_the_doi(sandbox, api):
    data = minimal()
    del data["metadata"]["publisher"]
    draft = create(api, sandbox.url, data)
    problem = {"field": "metadata.publisher",
               "messages": ["Missing publisher field required for DOI registration."]}
    assert draft["errors"] == [problem]
    attach(api, draft)
    response = api.post(draft["links"]["publish"])
    assert response.status_code == 400 and response.json()["errors"] == [problem]


# invenio-records relations (InvalidRelationValue), invenio-rdm-records resources/config.py
# error_handlers: an unknown vocabulary id refuses the draft
def test_unknown_vocabulary_ids_refuse_the_draft(sandbox, api):
    url = sandbox.url
    cases = [minimal(resource_type={"id": "image-selfie"}),
             minimal(languages=[{"id": "xxx"}]), minimal(rights=[{"id": "cc-by-9.0"}]),
             minimal(dates=[{"date": "2020", "type": {"id": "harvested"}}])]
    for data in cases:
        response = api.post(f"{url}/api/records", json=data)
        assert response.status_code == 400, data
        assert response.json()["message"].startswith("Invalid value ")
    assert sandbox.admin.requests(token=sandbox.user)["total"] == len(cases)
    assert api.get(f"{url}/api/user/records").json()["hits"]["total"] == 0


# zenodo-rdm site/zenodo_rdm/components.py CustomMetadataComponent
def test_a_thesis_is_saved_as_a_dissertation(sandbox, api):
    draft = create(api, sandbox.url, minimal(resource_type={"id": "publication-thesis"}))
    assert draft["metadata"]["resource_type"] == {"id": "publication-dissertation"}


# invenio-rdm-records records/systemfields/draft_status.py, services/config.py links
def test_draft_and_record_shapes(sandbox, api):
    draft = create(api, sandbox.url, minimal())
    assert draft["status"] == "draft" and draft["is_published"] is False
    assert draft["parent"]["communities"] == {} and "review" not in draft["parent"]
    assert {"self", "self_html", "files", "publish", "review", "record"} <= set(
        draft["links"]) and "submit-review" not in draft["links"]
    attach(api, draft)
    record = api.post(draft["links"]["publish"]).json()
    assert {"self", "self_html", "files", "draft", "latest", "versions"} <= set(
        record["links"]) and "publish" not in record["links"]
    assert record["access"]["status"] == "open"
    [entry] = record["files"]["entries"].values()
    assert entry["key"] == "test.txt" and entry["checksum"].startswith("md5:")
    assert entry["ext"] == "txt" and "status" not in entry
