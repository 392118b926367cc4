"""Backfill steps: bring a STALE published specimen up to date without a second record.

A published specimen turns STALE when its source row or the mapping changed. If only the
metadata changed, the record is edited in place (edit → PUT metadata → publish; same DOI). If
its files changed, a new version is made (newversion → replace the changed files → publish;
new DOI, same concept DOI, the old DOI still resolves). Both writes are recorded as intents
first and resolved by lookup when their answer is lost, like create and publish.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from zenodo.errors import UnknownOutcome, ValidationFailed
from zenodo.states import State

if TYPE_CHECKING:
    from zenodo.ledger import SpecimenRow
    from zenodo.payloads import SpecimenPayload
    from zenodo.specimen_steps import Outcome, SpecimenSteps

log = logging.getLogger(__name__)


def is_published(deposition: dict[str, Any]) -> bool:
    """Published and not open for an edit (``state`` done; ``submitted`` if no state)."""
    if "state" in deposition:
        return deposition["state"] == "done"
    return bool(deposition.get("submitted"))


def files_changed(row: SpecimenRow, payload: SpecimenPayload) -> bool:
    """Whether the files to send differ from those of the published record."""
    sent = {(f.name, f.md5) for f in row.files if f.uploaded}
    return sent != {(f.name, f.md5) for f in payload.files}


def refresh(steps: SpecimenSteps, row: SpecimenRow, payload: SpecimenPayload) -> Outcome | None:
    """Open the right kind of draft for a STALE specimen: an edit, or a new version."""
    operation = "newversion" if files_changed(row, payload) else "edit"
    published_id = int(row.record_id or row.deposition_id or 0)
    steps.write_intent(row.key, operation)
    try:
        if operation == "edit":
            draft = steps.hook.edit(published_id)
        else:
            draft = steps.hook.new_version(published_id)
    except UnknownOutcome as exc:
        log.warning("specimen %s: %s outcome unknown (%s): looking it up", row.key, operation, exc)
        return None
    except ValidationFailed as exc:
        # e.g. a new-version draft already exists ("remove all files first"): find it.
        log.warning(
            "specimen %s: %s refused (%s): looking for an open draft", row.key, operation, exc
        )
        return None
    steps.record_draft(row.key, draft)
    return None


def resolve(
    steps: SpecimenSteps, row: SpecimenRow, operation: str, payload: SpecimenPayload
) -> Outcome | None:
    """After a lost edit/newversion answer: find the draft it opened, or go back to STALE."""
    if operation == "edit":
        deposition = steps.hook.get_deposition(int(row.record_id or row.deposition_id or 0))
        if deposition.get("state") == "inprogress":
            steps.found("draft")
            steps.record_draft(row.key, deposition)
        else:
            steps.found("not done")
            steps.transition(row.key, State.STALE, reason="lookup: edit did not happen")
        return None
    drafts = [
        d
        for d in steps.find_depositions(payload)
        if not d.get("submitted") and str(d.get("conceptrecid")) == str(row.concept_recid)
    ]
    if drafts:
        steps.found("draft")
        steps.record_draft(row.key, min(drafts, key=lambda d: int(d["id"])))
    else:
        steps.found("nothing")
        steps.transition(row.key, State.STALE, reason="lookup: no new-version draft")
    return None


def draft_metadata(deposition: dict[str, Any], payload: SpecimenPayload) -> dict[str, Any]:
    """The metadata to PUT on a draft; an edit keeps the record's publication date."""
    metadata = dict(payload.metadata)
    if deposition.get("state") == "inprogress":
        kept = (deposition.get("metadata") or {}).get("publication_date")
        if kept:
            metadata["publication_date"] = kept
    return metadata
