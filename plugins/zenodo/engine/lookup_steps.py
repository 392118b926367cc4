"""How a specimen whose last write is in doubt is settled: by looking it up, never by writing
again (docs/exactly-once.md): read the known deposition, or search for the key after a lost
create, and continue from what Zenodo holds.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from zenodo.engine import backfill
from zenodo.engine.outcomes import Outcome, OutcomeKind, Step
from zenodo.errors import NotFound, ZenodoError
from zenodo.ledger.rows import record_order
from zenodo.ledger.states import State

if TYPE_CHECKING:
    from zenodo.engine.published_writer import PublishedWriter
    from zenodo.engine.settings import EngineSettings
    from zenodo.engine.statistics import BatchStats
    from zenodo.ledger.payloads import SpecimenPayload
    from zenodo.ledger.rows import SpecimenRow
    from zenodo.ledger.view import LedgerView
    from zenodo.repository.remote import Remote, RemoteDraft

log = logging.getLogger(__name__)


class LookupSteps:
    """The lookup steps of :class:`~zenodo.engine.specimen_steps.SpecimenSteps`, and the two
    ledger writes of what a lookup (or an answer) found: a draft, or a published record."""

    ledger: LedgerView
    remote: Remote
    settings: EngineSettings
    stats: BatchStats | None
    published: PublishedWriter | None
    _waits: dict[str, list[float]]
    _retries: dict[str, int]

    def _again_later(self, key: str, exc: ZenodoError) -> Outcome:
        """Defer ``key`` after a transient failure (the steps' retry policy)."""
        raise NotImplementedError

    def _record_draft(self, key: str, draft: RemoteDraft) -> SpecimenRow:
        """Write the draft's id and upload target to the ledger (DRAFTED)."""
        return self.ledger.record_draft(key, deposition_id=draft.id,
                                        bucket_url=draft.upload_target)

    def _record_published(self, key: str, draft: RemoteDraft) -> SpecimenRow:
        """Write the published record's ids and give the lease up, in one transaction: by the
        batch's :class:`PublishedWriter` when it has one (the row returned is the row as it
        will be), else at once."""
        ids = {"record_id": draft.record_id or draft.id, "doi": draft.doi,
               "concept_doi": draft.concept_doi, "concept_recid": draft.concept_recid}
        writer = self.published
        later = self.ledger.published_move(key, **ids) if writer is not None else None
        if writer is None or later is None:
            return self.ledger.record_published(key, release=True, **ids)
        move, row = later
        writer.put(move)
        return row

    def _resolve(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        operation = self.ledger.pending_operation(row)
        if operation in ("edit", "newversion"):
            return backfill.resolve(self.ledger, self.remote, row, operation, payload,
                                    found=self._found)
        if row.deposition_id and operation != "create":
            return self._resolve_known(row, operation, payload)
        return self._resolve_create(row, payload)

    def _resolve_known(self, row: SpecimenRow, operation: str | None,
                       payload: SpecimenPayload) -> Step:
        """The deposition id is known: read it and continue from what the server holds."""
        try:
            draft = self.remote.get(row.deposition_id)
        except NotFound as exc:
            return self._not_found(row, payload, exc)
        if draft.published:
            self._found("published")
            return self._record_published(row.key, draft)
        self._found("not done")
        target = State.UPLOADED if operation == "publish" else State.DRAFTED
        reason = f"lookup: {operation or 'write'} did not happen"
        return self.ledger.transition(row.key, target, detail={"reason": reason})

    def _resolve_create(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        """Search for the deposition a lost create may have made, once per lookup wait.

        The first search waits ``lookup_waits[0]``: the search index lags the database, so a
        search at once would find nothing and only spend a request of the rate limit.
        """
        waits = self._waits.get(row.key)
        if waits is None:
            waits = self._waits[row.key] = list(self.settings.lookup_waits)
            if waits:
                return Outcome(OutcomeKind.DEFERRED, "lookup: waiting for the search index",
                               after=waits.pop(0))
        found = self.remote.find(payload)
        if not found:
            if waits:
                return Outcome(OutcomeKind.DEFERRED, "lookup: nothing found yet",
                               after=waits.pop(0))
            self._waits.pop(row.key, None)
            self._found("nothing")
            return self.ledger.transition(
                row.key, State.NEW, detail={"reason": "lookup: no deposition, create again"})
        self._waits.pop(row.key, None)
        return self._adopt(row, found)

    def _not_found(self, row: SpecimenRow, payload: SpecimenPayload, exc: NotFound) -> Step:
        """Our own deposition answered 404: not proof that it is gone.

        zenodo.org has answered 404 for a deposition that exists (2019's pilot met 404s as
        half its errors): ask again after the retry waits; once they are spent, search for
        the key, and only when that finds nothing either is the specimen created again.
        """
        if self._retries.get(row.key, 0) < len(self.settings.retry_waits):
            return self._again_later(row.key, exc)
        found = self.remote.find(payload)
        if found:
            return self._adopt(row, found)
        self._found("vanished")
        return self.ledger.transition(row.key, State.NEW,
                                      detail={"reason": "lookup: deposition vanished"})

    def _adopt(self, row: SpecimenRow, found: list[RemoteDraft]) -> SpecimenRow:
        """Continue with the specimen's deposition among ``found``; discard extra drafts."""
        keep = self._choose(found)
        self._found("published" if keep.submitted else "draft")
        for extra in found:
            if extra is not keep and not extra.submitted:
                log.warning("specimen %s: deleting duplicate draft %s", row.key, extra.id)
                self.remote.discard(extra.id)
        if keep.submitted:
            return self._record_published(row.key, keep)
        return self._record_draft(row.key, keep)

    def _found(self, what: str) -> None:
        """Count one lookup of an unknown outcome and what it found, in the batch's stats."""
        if self.stats is not None:
            self.stats.lookup(what)

    @staticmethod
    def _choose(found: list[RemoteDraft]) -> RemoteDraft:
        published = [d for d in found if d.submitted]
        return min(published or found, key=lambda d: record_order(d.id))
