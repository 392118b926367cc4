"""Actions, links, listing and file limits of zenodo.org's deposit API.

Each test names the zenodo-rdm (or InvenioRDM) source whose behaviour it pins.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
import requests

from zenodo_sandbox.config import SandboxConfig


def _url(sandbox) -> str:
    return f"{sandbox.url}/api/deposit/depositions"


# zenodo-rdm legacy/resources.py: actions/discard is delete_draft (204); on a draft that was
# never published it deletes the deposition, on an edit it drops the edit
def test_discard_deletes_a_new_draft_and_drops_an_edit(sandbox, api, deposit):
    draft = deposit()
    assert api.post(draft["links"]["discard"]).status_code == 204
    assert api.get(draft["links"]["latest_draft"]).status_code == 404
    assert sandbox.admin.counts()["total"] == 0
    record = deposit(publish=True)
    base = record["links"]["latest_draft"]
    assert api.post(f"{base}/actions/discard").status_code == 404
    assert api.post(f"{base}/actions/edit").status_code == 201
    assert api.put(base, json={"metadata": {"title": "Throw away"}}).status_code == 200
    assert api.post(f"{base}/actions/discard").status_code == 204
    back = api.get(base).json()
    assert back["title"] == record["title"] and back["state"] == "done"


# zenodo-rdm legacy/resources.py (DELETE is delete_draft too): on an edit it drops the edit
def test_delete_of_an_edit_drops_the_edit_only(sandbox, api, deposit):
    record = deposit(publish=True)
    base = record["links"]["latest_draft"]
    api.post(f"{base}/actions/edit")
    assert api.delete(base).status_code == 204
    assert api.get(base).json()["state"] == "done"
    assert api.delete(base).status_code == 404


# invenio-drafts-resources RecordService.edit: an existing draft is returned as it is
def test_edit_of_a_draft_that_was_never_published_answers_201(sandbox, api, deposit):
    draft = deposit()
    response = api.post(draft["links"]["edit"])
    assert response.status_code == 201 and response.json()["state"] == "unsubmitted"


# invenio-rdm-records services/components/metadata.py MetadataComponent.new_version
# (version dropped, publication_date regenerated) and zenodo-rdm resources.py new_version
def test_newversion_drops_version_and_dates_the_draft_today(sandbox, api, deposit, metadata):
    record = deposit(meta={**metadata, "version": "1.0"}, publish=True)
    new = api.post(record["links"]["newversion"]).json()
    assert "version" not in new["metadata"] and "doi" not in new
    assert new["metadata"]["publication_date"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert new["conceptdoi"] == record["conceptdoi"]


# zenodo-rdm legacy/services.py LegacyRecordServiceConfig.links_item (badge, html, files,
# record_html, conceptbadge, parent_doi, thumbs for images)
def test_links_point_where_zenodo_points_them(sandbox, api, deposit):
    draft = deposit()
    dep_id = draft["id"]
    api_base = f"{sandbox.url}/api/deposit/depositions/{dep_id}"
    assert draft["links"]["html"] == f"{sandbox.url}/deposit/{dep_id}"
    assert draft["links"]["files"] == f"{api_base}/files"
    assert draft["links"]["badge"] == f"{sandbox.url}/badge/doi/.svg"
    assert "record" not in draft["links"] and "conceptbadge" not in draft["links"]
    published = api.post(draft["links"]["publish"]).json()
    links, doi = published["links"], published["doi"]
    assert links["self"] == f"{sandbox.url}/api/records/{dep_id}"
    assert links["html"] == f"{sandbox.url}/records/{dep_id}"
    assert links["files"] == f"{sandbox.url}/api/records/{dep_id}/files"
    assert links["badge"] == f"{sandbox.url}/badge/doi/{quote(doi, safe='')}.svg"
    assert links["conceptbadge"] == (
        f"{sandbox.url}/badge/doi/{quote(published['conceptdoi'], safe='')}.svg")
    assert links["record_html"] == f"{sandbox.url}/record/{dep_id}"
    assert links["latest_html"] == f"{sandbox.url}/records/{dep_id}/latest"
    assert links["parent_doi"] == f"https://doi.org/{published['conceptdoi']}"
    assert links["thumb250"] == f"{sandbox.url}/record/{dep_id}/thumb250"
    entry = published["files"][0]
    assert entry["links"]["self"] == f"{links['files']}/{entry['id']}"
    assert entry["links"]["download"] == (
        f"{sandbox.url}/api/records/{dep_id}/draft/files/sheet.jpg/content")


# invenio.cfg RDM_SEARCH_DRAFTS (sort_default_no_query "newest") and RDM_SORT_OPTIONS /
# LEGACY_SORT_OPTIONS; invenio-records-resources SortParam (bestmatch without q is the
# no-query default, an unknown name is refused); zenodo_rdm/params.py (status is accepted)
def test_deposit_list_sorts_newest_created_first_and_knows_zenodo_sort_names(sandbox, api,
                                                                             deposit):
    first, second, third = (deposit()["id"] for _ in range(3))
    api.put(f"{_url(sandbox)}/{first}", json={"metadata": {"title": "Touched last"}})

    def ids(**params: str) -> list[int]:
        response = api.get(_url(sandbox), params=params)
        assert response.status_code == 200, response.text
        return [d["id"] for d in response.json()]

    assert ids() == [third, second, first]
    for name in ("newest", "mostrecent", "bestmatch"):
        assert ids(sort=name) == [third, second, first], name
    for name in ("oldest", "-mostrecent"):
        assert ids(sort=name) == [first, second, third], name
    assert ids(sort="updated-desc")[0] == first
    assert ids(status="published") == [third, second, first]
    assert api.get(_url(sandbox), params={"sort": "title"}).status_code == 400


# zenodo_rdm/params.py ZenodoArgsSchema.load_all_versions (a bare all_versions is true)
def test_all_versions_lists_every_version(sandbox, api, deposit):
    record = deposit(publish=True)
    new = api.post(record["links"]["newversion"]).json()
    assert [d["id"] for d in api.get(_url(sandbox)).json()] == [new["id"]]
    both = api.get(f"{_url(sandbox)}?all_versions")
    assert sorted(d["id"] for d in both.json()) == sorted([record["id"], new["id"]])


# zenodo-rdm legacy/resources.py LegacyFilesRESTResourceConfig routes "/<bucket_id>/<key>":
# a key with "/" matches no route
def test_a_bucket_key_with_a_slash_is_404(sandbox, api, deposit):
    dep = deposit(files={})
    response = api.put(f"{dep['links']['bucket']}/folder/sheet.jpg", data=b"x")
    assert response.status_code == 404
    assert sandbox.admin.deposition(dep["id"])["files"] == []


# invenio.cfg RECORDS_RESOURCES_ALLOW_EMPTY_FILES = False; invenio-records-resources
# services/files/components/metadata.py commit_file ("Empty files are not accepted.")
def test_empty_files_are_refused(sandbox, api, deposit):
    dep = deposit(files={})
    response = api.put(f"{dep['links']['bucket']}/empty.txt", data=b"")
    assert response.status_code == 400
    assert response.json()["message"] == "Empty files are not accepted."
    multipart = api.post(dep["links"]["files"], files={"file": ("empty.txt", b"")})
    assert multipart.status_code == 400
    assert sandbox.admin.deposition(dep["id"])["files"] == []


# invenio.cfg APP_RDM_DEPOSIT_FORM_QUOTA (maxFiles 100) and RDM_FILES_DEFAULT_QUOTA_SIZE
# (50 GB); invenio-records-resources FileServiceConfig.max_files_count (100)
def test_record_limits_are_zenodos(tmp_path):
    config = SandboxConfig(data_dir=tmp_path)
    assert (config.max_files, config.quota_bytes) == (100, 50 * 10**9)


# zenodo-rdm legacy/services.py LegacyFileService (a bucket belongs to its record's owner):
# another user's bucket and deposition are 403, anonymous callers too
@pytest.mark.parametrize("user", ["bob", None])
def test_other_users_buckets_are_403(sandbox, deposit, user):
    dep = deposit()
    headers = sandbox.headers(user) if user else {}
    for method, url in (("PUT", f"{dep['links']['bucket']}/x.txt"),
                        ("GET", dep["links"]["bucket"]),
                        ("GET", f"{dep['links']['bucket']}/sheet.jpg"),
                        ("GET", dep["links"]["files"]),
                        ("POST", dep["links"]["publish"])):
        response = requests.request(method, url, data=b"x", headers=headers, timeout=10)
        assert response.status_code == 403, (method, url)
