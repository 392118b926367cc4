"""Backfill steps: bring a STALE published specimen up to date without a second record.

Changed metadata is edited in place (same DOI); changed files make a new version (new DOI,
same concept DOI). Both writes are recorded as intents first and resolved by lookup when their
answer is lost, like create and publish (see docs/exactly-once.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from zenodo.errors import UnknownOutcome, ValidationFailed
from zenodo.ledger.rows import record_order
from zenodo.ledger.states import State

if TYPE_CHECKING:
    from zenodo.engine.outcomes import Step
    from zenodo.ledger.payloads import SpecimenPayload
    from zenodo.ledger.rows import SpecimenRow
    from zenodo.ledger.view import LedgerView
    from zenodo.repository.remote import Remote, RemoteDraft

log = logging.getLogger(__name__)


def files_changed(row: SpecimenRow, payload: SpecimenPayload) -> bool:
    """Whether the files to send differ from those of the published record."""
    sent = {(f.name, f.md5) for f in row.files if f.uploaded}
    return sent != {(f.name, f.md5) for f in payload.files}


def refresh(ledger: LedgerView, remote: Remote, row: SpecimenRow,
            payload: SpecimenPayload) -> Step:
    """Open the right kind of draft for a STALE specimen: an edit, or a new version."""
    operation = "newversion" if files_changed(row, payload) else "edit"
    published_id = str(row.record_id or row.deposition_id)
    intent = ledger.record_intent(row.key, operation)
    draft: RemoteDraft
    try:
        if operation == "edit":
            draft = remote.edit(published_id)
        else:
            draft = remote.new_version(published_id)
    except UnknownOutcome as exc:
        log.warning("specimen %s: %s outcome unknown (%s): looking it up", row.key, operation, exc)
        return intent
    except ValidationFailed as exc:
        # e.g. a new-version draft already exists ("remove all files first"): find it.
        log.warning(
            "specimen %s: %s refused (%s): looking for an open draft", row.key, operation, exc
        )
        return intent
    return ledger.record_draft(row.key, deposition_id=draft.id, bucket_url=draft.upload_target)


def resolve(ledger: LedgerView, remote: Remote, row: SpecimenRow, operation: str,
            payload: SpecimenPayload, *, found: Callable[[str], None]) -> Step:
    """After a lost edit/newversion answer: find the draft it opened, or go back to STALE.

    :param found: counts the lookup and what it found (``draft``, ``not done``, ``nothing``).
    """
    if operation == "edit":
        opened = remote.get(str(row.record_id or row.deposition_id))
        if opened.editing:
            found("draft")
            return ledger.record_draft(row.key, deposition_id=opened.id,
                                       bucket_url=opened.upload_target)
        found("not done")
        return ledger.transition(row.key, State.STALE,
                                 detail={"reason": "lookup: edit did not happen"})
    drafts = [
        d
        for d in remote.find(payload)
        if not d.submitted and str(d.concept_recid) == str(row.concept_recid)
    ]
    if drafts:
        found("draft")
        draft = min(drafts, key=lambda d: record_order(d.id))
        return ledger.record_draft(row.key, deposition_id=draft.id,
                                   bucket_url=draft.upload_target)
    found("nothing")
    return ledger.transition(row.key, State.STALE,
                             detail={"reason": "lookup: no new-version draft"})
