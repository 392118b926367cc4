"""The InvenioRDM records API's endpoints against the real sandbox: a record's life, a review."""

from __future__ import annotations

import pathlib

import pytest

from tests.zenodo.payload_factory import rdm_body_for
from zenodo.errors import NotFound
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.metadata.identity import key_keyword
from zenodo.repository.rdm_api import RdmApi
from zenodo_sandbox.testing import SandboxProcess

KEY = "urn:catalog:HERB:00001"


def _api(sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch, name: str) -> RdmApi:
    monkeypatch.setenv(f"AIRFLOW_CONN_{name.upper()}", sandbox.connection_json(protocol="rdm"))
    return RdmApi(ZenodoHook(name, backoff_max=0.5))


def _sheet(tmp_path: pathlib.Path) -> pathlib.Path:
    sheet = tmp_path / "sheet.jpg"
    sheet.write_bytes(b"\xff\xd8 a herbarium sheet \xff\xd9")
    return sheet


def test_a_record_from_draft_to_edit_and_new_version(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    api = _api(sandbox, monkeypatch, "rdm_api")
    body = rdm_body_for(KEY, 1)
    draft_id = api.create_draft(body)["id"]
    api.declare_file(draft_id, "sheet.jpg")
    md5 = api.put_file_content(draft_id, "sheet.jpg", _sheet(tmp_path), md5=None)
    assert api.get_file(draft_id, "sheet.jpg")["status"] == "pending", "sent, not committed"
    assert api.commit_file(draft_id, "sheet.jpg")["checksum"] == f"md5:{md5}"
    assert [e["key"] for e in api.list_draft_files(draft_id)["entries"]] == ["sheet.jpg"]

    assert api.publish_draft(draft_id)["is_published"]
    assert api.get_record(draft_id)["custom_fields"]["dwc:family"] == ["Fagaceae"], "RDM JSON"
    with pytest.raises(NotFound):
        api.get_draft(draft_id)
    assert api.edit_record(draft_id)["is_draft"]
    renamed = {**body, "metadata": {**body["metadata"], "title": "Quercus robur L., renamed"}}
    api.update_draft(draft_id, renamed)
    assert api.get_draft(draft_id)["metadata"]["title"] == "Quercus robur L., renamed"
    api.publish_draft(draft_id)

    new_id = api.new_version(draft_id)["id"]
    assert new_id != draft_id
    hits = api.search_user_records(f'"{key_keyword(KEY)}"')["hits"]["hits"]
    assert {h["id"] for h in hits} == {draft_id, new_id}, "records and drafts, all versions"
    api.delete_draft(new_id)
    with pytest.raises(NotFound):
        api.get_draft(new_id)


def test_a_review_request_submitted_then_accepted_by_a_curator(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    with SandboxProcess(limits_profile="none", extra_args=["--review", "curator"]) as curated:
        api = _api(curated, monkeypatch, "rdm_curated")
        community_id = api.get_community("herbarium")["id"]
        draft_id = api.create_draft(rdm_body_for(KEY, 1))["id"]
        api.declare_file(draft_id, "sheet.jpg")
        api.put_file_content(draft_id, "sheet.jpg", _sheet(tmp_path), md5=None)
        api.commit_file(draft_id, "sheet.jpg")
        api.set_review(draft_id, community_id)
        request = api.submit_review(draft_id, "Digitised specimen")
        assert request is not None and request["status"] == "submitted"
        assert (api.get_review(draft_id) or {})["status"] == "submitted"
        accepted = api.accept_request(request["links"]["actions"]["accept"])
        assert (accepted or {})["status"] == "accepted"
        assert api.get_record(draft_id)["is_published"]
        assert len(curated.admin.records(community="herbarium")) == 1
