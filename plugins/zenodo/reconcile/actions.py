"""Carry out a page of reconciliation's plan for the specimens it leased.

Verifications and adoptions of a page are written together, in one ledger transaction
(:meth:`~zenodo.ledger.ledger.Ledger.move_many`); a published record the feed does not show is
looked up on the records API one at a time. A lost lease or a changed state is reported in the
run's errors, never raised: the rest of the page goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from zenodo.errors import NotFound, ZenodoError
from zenodo.ledger.batch_moves import Move
from zenodo.ledger.rows import LeaseLost, SpecimenRow
from zenodo.ledger.states import IllegalTransition, State
from zenodo.ledger.step_writes import CLEARED_ERROR
from zenodo.ledger.view import LedgerView
from zenodo.reconcile.findings import MISSING_FROM_COMMUNITY, FindingKey, FindingStore
from zenodo.reconcile.plan import ADOPT, CHECK, VERIFY, Action, concept_recid
from zenodo.reconcile.report import ReconcileReport
from zenodo.repository.deposit_api import DepositApi

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook

_CLEARED = {"record_id": None, "doi": None, "concept_doi": None, "concept_recid": None,
            "deposition_id": None, "bucket_url": None}
_FROM_PUBLISHED = (State.PUBLISHED,)


class Actions:
    """Carry out plans' actions as one lease owner, writing what was done to the report."""

    def __init__(self, ledger: LedgerView, hook: ZenodoHook, store: FindingStore,
                 now: datetime, report: ReconcileReport) -> None:
        self.ledger, self.hook, self.store, self.now, self.report = ledger, hook, store, now, report

    def run(self, actions: Sequence[Action], rows: Mapping[str, SpecimenRow],
            findings: dict[FindingKey, dict[str, Any]]) -> None:
        """Carry out a page's actions; ``rows`` were read after the keys were leased."""
        moves: list[tuple[Move, str, dict[str, Any]]] = []
        for action in actions:
            row = rows[action.key]
            if action.kind == VERIFY:
                moves.append(self._verify(action, row))
            elif action.kind == ADOPT:
                moves.append(self._adopt(action, row))
        refused = self.ledger.move_many([move for move, _, _ in moves])
        for move, listed, entry in moves:
            if move.key in refused:
                self.report.errors.append({"key": move.key, "error": str(refused[move.key])})
            else:
                getattr(self.report, listed).append(entry)
        for action in actions:
            if action.kind == CHECK:
                try:
                    self._check(rows[action.key], findings)
                except (LeaseLost, IllegalTransition) as exc:
                    self.report.errors.append({"key": action.key, "error": str(exc)})

    @staticmethod
    def _verify(action: Action, row: SpecimenRow) -> tuple[Move, str, dict[str, Any]]:
        record = action.record
        assert record is not None
        move = Move(row.key, State.VERIFIED, _FROM_PUBLISHED,
                    {"reconcile": "verified", "record_id": record.record_id})
        return move, "verified", {"key": row.key, "record_id": record.record_id,
                                  "doi": record.doi}

    @staticmethod
    def _adopt(action: Action, row: SpecimenRow) -> tuple[Move, str, dict[str, Any]]:
        record = action.record
        assert record is not None
        entry = {"key": row.key, "record_id": record.record_id, "doi": record.doi,
                 "concept_doi": record.concept_doi, "from_state": row.state.value,
                 "previous_record_id": row.record_id}
        move = Move(row.key, State.VERIFIED, (row.state,), {"reconcile": "adopted", **entry}, {
            "record_id": record.record_id, "doi": record.doi or row.doi,
            "concept_doi": record.concept_doi or row.concept_doi,
            "concept_recid": concept_recid(record.concept_doi) or row.concept_recid,
            "retry_after": None, **CLEARED_ERROR})
        return move, "adopted", entry

    def _move(self, row: SpecimenRow, to: State, detail: dict[str, Any],
              **fields: Any) -> None:
        self.ledger.transition(row.key, to, detail=detail, expect=(row.state,), **fields)
        if to == row.state:  # no state change: the ledger writes no event, so we do
            self.store.note(self.ledger.collection, row.key, row.state, detail, now=self.now,
                            actor=self.ledger.actor)

    def _check(self, row: SpecimenRow, findings: dict[FindingKey, dict[str, Any]]) -> None:
        """Ask the records API about a published record the feed does not show."""
        entry = {"key": row.key, "record_id": row.record_id, "doi": row.doi}
        if row.record_id is None:
            self._requeue(row, entry, status=None)
            return
        try:
            record = DepositApi(self.hook).get_record(row.record_id)
        except NotFound as exc:
            self._requeue(row, entry, status=exc.status)
            return
        except ZenodoError as exc:
            self.report.errors.append({"key": row.key, "error": str(exc)})
            return
        communities = _communities(record)
        if self.report.community in communities:
            self.report.pending.append(row.key)
            reason = "not_in_feed"
        else:
            findings[(MISSING_FROM_COMMUNITY, row.key)] = {
                "record_id": row.record_id, "doi": row.doi, "communities": communities}
            reason = MISSING_FROM_COMMUNITY
        if row.state == State.VERIFIED:
            self._move(row, State.PUBLISHED, {"reconcile": "demoted", "reason": reason,
                                              "record_id": row.record_id})
            self.report.demoted.append({**entry, "reason": reason})

    def _requeue(self, row: SpecimenRow, entry: dict[str, Any], *, status: int | None) -> None:
        deleted = status == 410
        files = [{**f.to_json(), "uploaded": False} for f in row.files]
        self._move(row, State.NEW, {"reconcile": "deleted" if deleted else "requeued",
                                    "status": status, **entry}, files=files, **_CLEARED)
        (self.report.deleted if deleted else self.report.requeued).append(
            {**entry, "status": status})


def _communities(record: Mapping[str, Any]) -> list[str]:
    """Return the community slugs a records-API answer lists."""
    found = (record.get("metadata") or {}).get("communities") or []
    slugs = []
    for item in found:
        if isinstance(item, Mapping):
            slug = item.get("id") or item.get("identifier")
            if slug:
                slugs.append(str(slug))
        elif isinstance(item, str):
            slugs.append(item)
    return slugs
