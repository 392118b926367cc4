"""Backfills: a STALE specimen is edited in place (same DOI) or gets a new version (new DOI)."""

from __future__ import annotations

import hashlib
import pathlib

import requests

from tests.zenodo.engine_helpers import run_batch
from tests.zenodo.payload_factory import COLLECTION, metadata_for, register_specimens
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore, SpecimenPayload
from zenodo.ledger.states import State
from zenodo.source.specimen import FileSpec
from zenodo_sandbox.testing import SandboxProcess


def reregister(ledger: Ledger, payload: SpecimenPayload) -> State:
    """Register a changed payload, as the prepare step does after a source change."""
    state = ledger.register(
        COLLECTION,
        payload.key,
        metadata_hash=hashlib.sha256(repr(payload.metadata).encode()).hexdigest(),
        files=[{"name": f.name, "size": f.size, "md5": f.md5} for f in payload.files],
        mapping_name="test",
        mapping_version="2",
        source_modified=None,
    )
    PayloadStore(ledger).put_many(COLLECTION, [payload])
    return state


def test_metadata_change_is_an_edit_with_the_same_doi(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(ledger, tmp_path, 5)
    run_batch(ledger, zenodo_hook, keys)
    before = {k: ledger.get(COLLECTION, k) for k in keys}
    store = PayloadStore(ledger)
    for index, key in enumerate(keys[:2]):
        old = store.get(COLLECTION, key)
        changed = SpecimenPayload(
            key, metadata_for(key, index, title_suffix=" [v2]"), old.files, old.search_query
        )
        assert reregister(ledger, changed) == State.STALE
    sandbox.admin.clear_requests()

    result = run_batch(ledger, zenodo_hook, ledger.keys_needing_work(COLLECTION))
    assert result.outcomes == {"published": 2}
    published = {str(d["id"]): d for d in sandbox.admin.depositions() if d["submitted"]}
    assert len(published) == 5, "edits make no new records"
    for key in keys[:2]:
        row = ledger.get(COLLECTION, key)
        assert row.doi == before[key].doi and row.record_id == before[key].record_id
        assert published[row.record_id]["metadata"]["title"].endswith("[v2]")
    assert sandbox.admin.requests()["counts"]["by_kind"].get("create", 0) == 0


def test_file_change_makes_a_new_version_and_the_old_doi_still_resolves(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(ledger, tmp_path, 3)
    run_batch(ledger, zenodo_hook, keys)
    key = keys[0]
    old_row = ledger.get(COLLECTION, key)
    old = PayloadStore(ledger).get(COLLECTION, key)
    new_image = tmp_path / "rescanned.jpg"
    new_image.write_bytes(b"a better scan of the sheet" * 100)
    md5 = hashlib.md5(new_image.read_bytes(), usedforsecurity=False).hexdigest()
    spec = FileSpec(new_image, old.files[0].name, new_image.stat().st_size, md5)
    assert reregister(ledger, SpecimenPayload(key, old.metadata, (spec,), old.search_query)) == (
        State.STALE
    )

    result = run_batch(ledger, zenodo_hook, ledger.keys_needing_work(COLLECTION))
    assert result.outcomes == {"published": 1}
    row = ledger.get(COLLECTION, key)
    assert row.doi != old_row.doi and row.record_id != old_row.record_id
    assert row.concept_doi == old_row.concept_doi
    versions = [
        d for d in sandbox.admin.depositions() if d["conceptrecid"] == row.concept_recid
    ]
    assert sorted(str(d["id"]) for d in versions) == sorted([old_row.record_id, row.record_id])
    newest = next(d for d in versions if str(d["id"]) == row.record_id)
    assert [(f["key"], f["md5"]) for f in newest["files"]] == [(spec.name, md5)]
    old_record = requests.get(f"{sandbox.url}/api/records/{old_row.record_id}", timeout=10)
    assert old_record.status_code == 200 and old_record.json()["doi"] == old_row.doi
