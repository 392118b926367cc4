"""Backfill steps: bring a STALE published specimen up to date without a second record.

A published specimen turns STALE when its source row or the mapping changed. If only the
metadata changed, the record is edited in place (edit → PUT metadata → publish; same DOI). If
its files changed, a new version is made (newversion → replace the changed files → publish;
new DOI, same concept DOI, the old DOI still resolves). Both writes are recorded as intents
first and resolved by lookup when their answer is lost, like create and publish. Like every
step, each returns the row its last ledger write returned.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from zenodo.errors import UnknownOutcome, ValidationFailed
from zenodo.ledger.rows import record_order
from zenodo.ledger.states import State

if TYPE_CHECKING:
    from zenodo.engine.specimen_steps import SpecimenSteps, Step
    from zenodo.ledger.ledger import SpecimenRow
    from zenodo.ledger.payloads import SpecimenPayload
    from zenodo.repository.remote import RemoteDraft

log = logging.getLogger(__name__)


def files_changed(row: SpecimenRow, payload: SpecimenPayload) -> bool:
    """Whether the files to send differ from those of the published record."""
    sent = {(f.name, f.md5) for f in row.files if f.uploaded}
    return sent != {(f.name, f.md5) for f in payload.files}


def refresh(steps: SpecimenSteps, row: SpecimenRow, payload: SpecimenPayload) -> Step:
    """Open the right kind of draft for a STALE specimen: an edit, or a new version."""
    operation = "newversion" if files_changed(row, payload) else "edit"
    published_id = str(row.record_id or row.deposition_id)
    intent = steps.write_intent(row.key, operation)
    draft: RemoteDraft
    try:
        if operation == "edit":
            draft = steps.remote.edit(published_id)
        else:
            draft = steps.remote.new_version(published_id)
    except UnknownOutcome as exc:
        log.warning("specimen %s: %s outcome unknown (%s): looking it up", row.key, operation, exc)
        return intent
    except ValidationFailed as exc:
        # e.g. a new-version draft already exists ("remove all files first"): find it.
        log.warning(
            "specimen %s: %s refused (%s): looking for an open draft", row.key, operation, exc
        )
        return intent
    return steps.record_draft(row.key, draft)


def resolve(
    steps: SpecimenSteps, row: SpecimenRow, operation: str, payload: SpecimenPayload
) -> Step:
    """After a lost edit/newversion answer: find the draft it opened, or go back to STALE."""
    if operation == "edit":
        found = steps.remote.get(str(row.record_id or row.deposition_id))
        if found.editing:
            steps.found("draft")
            return steps.record_draft(row.key, found)
        steps.found("not done")
        return steps.transition(row.key, State.STALE, reason="lookup: edit did not happen")
    drafts = [
        d
        for d in steps.find_depositions(payload)
        if not d.submitted and str(d.concept_recid) == str(row.concept_recid)
    ]
    if drafts:
        steps.found("draft")
        return steps.record_draft(row.key, min(drafts, key=lambda d: record_order(d.id)))
    steps.found("nothing")
    return steps.transition(row.key, State.STALE, reason="lookup: no new-version draft")
