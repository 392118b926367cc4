"""The deposit API's endpoints against the real sandbox: a deposition's whole life, and lookups."""

from __future__ import annotations

import pathlib

import pytest

from tests.zenodo.oai_helpers import specimen_metadata
from zenodo.errors import NotFound, UnknownOutcome
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.repository.deposit_api import DepositApi
from zenodo_sandbox.testing import SandboxProcess


def test_a_deposition_from_draft_to_record_edit_and_new_version(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, tmp_path: pathlib.Path
) -> None:
    api = DepositApi(zenodo_hook)
    draft = api.create_deposition({"title": "a title only"})
    assert api.update_deposition(draft["id"], specimen_metadata("K1"))["title"] == "Specimen K1"
    sheet = tmp_path / "sheet.jpg"
    sheet.write_bytes(b"\xff\xd8 a herbarium sheet \xff\xd9")
    zenodo_hook.upload_file(draft["links"]["bucket"], sheet)
    assert [f["filename"] for f in api.list_files(draft["id"])] == ["sheet.jpg"]

    published = api.publish(draft["id"])
    assert published["submitted"] and published["doi"]
    assert api.get_record(published["record_id"])["doi"] == published["doi"]
    assert api.edit(published["id"])["state"] == "inprogress"
    api.discard(published["id"])
    assert api.get_deposition(published["id"])["state"] == "done"

    new = api.new_version(published["id"])
    assert new["id"] != published["id"] and not new["submitted"], "the NEW draft"
    (old_file,) = api.list_files(new["id"])
    api.delete_file(new["id"], old_file["id"])
    assert api.list_files(new["id"]) == []
    api.delete_deposition(new["id"])
    with pytest.raises(NotFound):
        api.get_deposition(new["id"])


def test_searches_find_our_depositions_and_the_published_records(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook
) -> None:
    api = DepositApi(zenodo_hook)
    draft = api.create_deposition(specimen_metadata("K2"))
    ids = sandbox.admin.seed(2, metadata=specimen_metadata("SEEDED{n}"))["ids"]
    # zenodo-rdm site/zenodo_rdm/params.py (ZenodoArgsSchema) declares ``status``; nothing uses it:
    # the list holds every deposition of ours, newest first; drafts are the unsubmitted ones.
    listed = api.search_depositions()
    assert [d["id"] for d in listed] == sorted([draft["id"], *ids], reverse=True)
    assert [d["id"] for d in listed if not d["submitted"]] == [draft["id"]]
    hits = api.search_records(q="SEEDED1", size=10)["hits"]["hits"]
    assert [h["id"] for h in hits] == [ids[0]]


def test_a_lost_create_is_not_sent_again_and_a_lost_metadata_put_is(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook
) -> None:
    api = DepositApi(zenodo_hook)
    sandbox.admin.set_faults({"kinds": {"create": {"commit_then_fail": 1.0}}})
    with pytest.raises(UnknownOutcome):
        api.create_deposition({"title": "committed"})
    assert sandbox.admin.requests(kind="create")["total"] == 1, "a create is never resent"
    (deposition,) = sandbox.admin.depositions()
    sandbox.admin.set_faults({"kinds": {"update": {"commit_then_fail": 1.0}}})
    with pytest.raises(UnknownOutcome):
        api.update_deposition(deposition["id"], {"title": "replaced"})
    assert sandbox.admin.requests(kind="update")["total"] == zenodo_hook.read_attempts, (
        "a PUT that replaces is safe to send again")
