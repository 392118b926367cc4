"""The repository interface: one view of a deposition whatever the protocol."""

from __future__ import annotations

from zenodo.repository.deposit import draft_of as deposit_draft
from zenodo.repository.rdm import draft_of as rdm_draft


def test_an_invenio_rdm_record_with_text_ids() -> None:
    draft = rdm_draft({
        "id": "abcde-12345", "is_published": True, "is_draft": True,
        "parent": {"id": "fghij-67890", "pids": {"doi": {"identifier": "10.1234/fghij"}}},
        "pids": {"doi": {"identifier": "10.1234/abcde"}},
        "metadata": {"title": "t"}, "custom_fields": {}, "links": {},
        "files": {"enabled": True, "entries": {
            "a.jpg": {"key": "a.jpg", "status": "completed", "checksum": "md5:aa"},
            "b.jpg": {"key": "b.jpg", "status": "pending", "checksum": None}}},
    })
    assert (draft.id, draft.record_id, draft.concept_recid) == (
        "abcde-12345", "abcde-12345", "fghij-67890")
    assert draft.editing and not draft.published, "an edit draft of a published record"
    assert (draft.doi, draft.concept_doi) == ("10.1234/abcde", "10.1234/fghij")
    assert {n: f.md5 for n, f in draft.files.items()} == {"a.jpg": "aa", "b.jpg": None}
    assert "links" not in draft.metadata, "only the record body is kept"


def test_a_deposit_api_deposition() -> None:
    published = deposit_draft({"id": 7, "submitted": True, "state": "done", "record_id": 7,
                               "doi": "10.5281/zenodo.7", "conceptrecid": "6",
                               "links": {"bucket": "https://z/api/files/b"},
                               "files": [{"id": "f1", "filename": "a.jpg", "checksum": "aa"}]})
    assert published.published and published.record_id == "7"
    assert published.upload_target == "https://z/api/files/b"
    assert published.files["a.jpg"].file_id == "f1"
    editing = deposit_draft({"id": 7, "submitted": True, "state": "inprogress"})
    assert editing.editing and not editing.published
    new = deposit_draft({"id": 8, "submitted": False, "state": "unsubmitted"})
    assert not new.submitted and new.record_id is None
