"""Editing a published record and making new versions, as on zenodo.org.

Sources: invenio-drafts-resources ``services/records/service.py`` (``edit``,
``new_version``, ``delete_draft``, ``import_files``) and ``components/base.py``
(``new_version``, ``import_files``); invenio-rdm-records ``services/components/metadata.py``
(``new_version_skip_fields``, today's ``publication_date``) and
``records/systemfields/draft_status.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests

OCTET = {"Content-Type": "application/octet-stream"}
BODY: dict[str, Any] = {
    "access": {"record": "public", "files": "public"}, "files": {"enabled": True},
    "metadata": {"creators": [{"person_or_org": {"name": "Troy Inc.",
                                                 "type": "organizational"}}],
                 "publication_date": "2020-06-01", "publisher": "Acme Inc",
                 "version": "v1", "resource_type": {"id": "image-photo"},
                 "title": "A Romans story"},
}


def published(api: requests.Session, url: str) -> dict[str, Any]:
    draft = api.post(f"{url}/api/records", json=BODY).json()
    files = draft["links"]["files"]
    api.post(files, json=[{"key": "a.txt"}])
    api.put(f"{files}/a.txt/content", data=b"abc", headers=OCTET)
    api.post(f"{files}/a.txt/commit")
    answer = api.post(draft["links"]["publish"])
    assert answer.status_code == 202, answer.text
    return answer.json()


# service.py new_version + components/metadata.py new_version + components/base.py
# new_version (files are not copied) + draft_status.py ("new_version_draft")
def test_new_version_draft(sandbox, api):
    record = published(api, sandbox.url)
    answer = api.post(f"{sandbox.url}/api/records/{record['id']}/versions")
    assert answer.status_code == 201
    draft = answer.json()
    assert draft["id"] != record["id"] and draft["parent"]["id"] == record["parent"]["id"]
    assert draft["status"] == "new_version_draft" and draft["files"]["entries"] == {}
    assert "version" not in draft["metadata"]
    assert draft["metadata"]["publication_date"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert draft["versions"]["index"] == 2
    again = api.post(f"{sandbox.url}/api/records/{record['id']}/versions")
    assert again.status_code == 201 and again.json()["id"] == draft["id"]


# components/base.py import_files ("Please remove all files first.")
def test_import_files_into_a_new_version(sandbox, api):
    record = published(api, sandbox.url)
    draft = api.post(f"{sandbox.url}/api/records/{record['id']}/versions").json()
    imported = api.post(f"{draft['links']['self']}/actions/files-import")
    assert imported.status_code == 201
    assert [e["key"] for e in imported.json()["entries"]] == ["a.txt"]
    twice = api.post(f"{draft['links']['self']}/actions/files-import")
    assert twice.status_code == 400
    assert twice.json()["errors"] == [{"field": "files.enabled",
                                       "messages": ["Please remove all files first."]}]
    second = api.post(draft["links"]["publish"])
    assert second.status_code == 202
    assert second.json()["versions"] == {"index": 2, "is_latest": True,
                                         "is_latest_draft": True}


# service.py edit (201, same id; the record is unchanged until the edit is published) and
# delete_draft (a published record's draft is discarded, the record stays)
def test_edit_then_discard_or_publish(sandbox, api):
    url = sandbox.url
    record = published(api, url)
    opened = api.post(f"{url}/api/records/{record['id']}/draft")
    assert opened.status_code == 201
    draft = opened.json()
    assert draft["id"] == record["id"] and draft["is_published"] is True
    assert draft["is_draft"] is True and draft["status"] == "published"
    changed = {**BODY, "metadata": {**BODY["metadata"], "title": "Edited title"}}
    assert api.put(draft["links"]["self"], json=changed).status_code == 200
    rdm = {"Accept": "application/vnd.inveniordm.v1+json"}
    assert api.get(f"{url}/api/records/{record['id']}",
                   headers=rdm).json()["metadata"]["title"] == "A Romans story"
    assert api.delete(draft["links"]["self"]).status_code == 204
    assert api.get(f"{url}/api/records/{record['id']}", headers=rdm).status_code == 200
    reopened = api.post(f"{url}/api/records/{record['id']}/draft").json()
    assert reopened["metadata"]["title"] == "A Romans story"
    api.put(reopened["links"]["self"], json=changed)
    done = api.post(reopened["links"]["publish"])
    assert done.status_code == 202 and done.json()["metadata"]["title"] == "Edited title"
    assert done.json()["pids"]["doi"] == record["pids"]["doi"]
