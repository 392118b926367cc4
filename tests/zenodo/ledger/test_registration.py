"""What registering a mapped specimen does to its row: one decision for the ledger and a
dry run's preview alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from zenodo.ledger.registration import plan_registration
from zenodo.ledger.rows import FileEntry, SpecimenRow
from zenodo.ledger.states import State

IMAGE = FileEntry("HERB1.jpg", 100, "0" * 32, uploaded=True)
MAPPED = {"metadata_hash": "h1", "mapping_name": "pilot1", "mapping_version": "1.0.0"}
NOW = datetime(2026, 12, 4, tzinfo=UTC)
ROW = SpecimenRow(
    collection="c", key="k", state=State.PUBLISHED, prior_state=None, deposition_id="7",
    record_id="7", doi="10.5072/zenodo.7", concept_doi=None, concept_recid=None,
    bucket_url=None, files=(IMAGE,), source_modified=None, attempts=0, last_error_kind=None,
    last_error_status=None, last_error_message=None, last_error_at=None, retry_after=None,
    quarantine_reasons=(), lease_owner=None, lease_expires=None, created_at=NOW,
    updated_at=NOW, **MAPPED,
)
SAME_FILE = FileEntry(*IMAGE.identity)


def test_a_new_key_is_new() -> None:
    plan = plan_registration(None, files=[SAME_FILE], **MAPPED)
    assert (plan.state, plan.rewrite, plan.files) == (State.NEW, True, [SAME_FILE])


def test_an_unchanged_specimen_keeps_its_state_and_row() -> None:
    plan = plan_registration(ROW, files=[SAME_FILE], **MAPPED)
    assert (plan.state, plan.rewrite, plan.files) == (State.PUBLISHED, False, [IMAGE])


@pytest.mark.parametrize("change", [{"metadata_hash": "h2"}, {"mapping_version": "1.1.0"},
                                    {"mapping_name": "pilot2"}])
def test_a_published_specimen_whose_mapping_output_changed_turns_stale(
    change: dict[str, str]
) -> None:
    plan = plan_registration(ROW, files=[SAME_FILE], **{**MAPPED, **change})
    assert (plan.state, plan.rewrite, plan.files) == (State.STALE, True, [IMAGE])


def test_an_uploaded_draft_whose_image_was_replaced_goes_back_to_drafted() -> None:
    rescan = FileEntry("HERB1.jpg", 120, "1" * 32)
    plan = plan_registration(replace(ROW, state=State.UPLOADED, record_id=None),
                             files=[rescan], **MAPPED)
    assert (plan.state, plan.rewrite, plan.files) == (State.DRAFTED, True, [rescan])


@pytest.mark.parametrize(("record_id", "deposition_id", "expected"), [
    ("7", "7", State.PUBLISHED), (None, "7", State.DRAFTED), (None, None, State.NEW)])
def test_a_quarantined_specimen_that_is_valid_again_leaves_quarantine(
    record_id: str | None, deposition_id: str | None, expected: State
) -> None:
    row = replace(ROW, state=State.QUARANTINED, record_id=record_id,
                  deposition_id=deposition_id, quarantine_reasons=("year: bad",))
    plan = plan_registration(row, files=[SAME_FILE], **MAPPED)
    assert (plan.state, plan.rewrite) == (expected, True)
