"""Reconcile a collection's ledger with its community's OAI-PMH feed: the feed is the final word.

:func:`reconcile` takes a :class:`HarvestResult` and the ledger, plans with
:mod:`zenodo.reconcile.plan`, then acts under leases, writing every decision as a ledger event:

* PUBLISHED and in the feed: VERIFIED;
* in the feed but the ledger has no published record (NEW, DRAFTED, UPLOADED, FAILED,
  UNKNOWN: e.g. the publish answer was lost): **adopted**, ids and DOI from Zenodo, VERIFIED,
  no re-upload; several records: the lowest record id's deposit (its newest version);
* PUBLISHED / VERIFIED but absent from the feed (after the grace period): the records API
  decides: 404 -> **re-queued** to NEW with the ids cleared; 410 -> **deleted**, re-queued the
  same way; found but not in the community -> **missing_from_community**, never re-queued
  (publishing again would duplicate it); found and in the community -> pending (feed lag).
  A VERIFIED one the feed no longer shows is **demoted** to PUBLISHED;
* two or more deposits for one key: **duplicate**, with every DOI; nothing is deleted;
* records for no specimen of the collection: **foreign**; so are records carrying one of our
  keys that are not ours (another account's look-alikes, see
  :mod:`zenodo.reconcile.ownership`): never adopted, verified or counted as duplicates.

Full versus incremental: absence is only judged after a complete harvest (no ``from``); an
incremental harvest (``from=`` the watermark) only verifies and adopts what it shows, and never
resolves findings. The DAG therefore runs an incremental harvest after each upload run and a full
one when it needs the final word (e.g. the "reconcile only" run, or every Nth run).

Idempotent: a second run over the same feed changes nothing and reports zero differences;
findings already reported are counted as known, not reported again.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from zenodo.errors import NotFound, ZenodoError
from zenodo.harvest.harvester import HarvestResult
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.rows import LeaseLost, SpecimenRow
from zenodo.ledger.states import IllegalTransition, State
from zenodo.ledger.step_writes import CLEARED_ERROR
from zenodo.ledger.view import LedgerView
from zenodo.reconcile.findings import (
    DUPLICATE,
    FOREIGN,
    MISSING_FROM_COMMUNITY,
    FindingKey,
    FindingStore,
)
from zenodo.reconcile.ownership import Owner, sort_records
from zenodo.reconcile.plan import ADOPT, CHECK, VERIFY, Action, concept_recid, plan
from zenodo.reconcile.report import ReconcileReport
from zenodo.repository.deposit_api import DepositApi
from zenodo.repository.ownership import OwnRecords

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook

log = logging.getLogger(__name__)

Actor = Mapping[str, Any] | str | None
_CLEARED = {"record_id": None, "doi": None, "concept_doi": None, "concept_recid": None,
            "deposition_id": None, "bucket_url": None}


def reconcile(
    collection: str, harvest: HarvestResult, *, ledger: Ledger, hook: ZenodoHook, owner: str,
    actor: Actor = None, grace_seconds: float = 3600.0, lease_seconds: float = 600.0,
    now: datetime | None = None, set_watermark: bool = True, owner_check: Owner | None = None,
) -> ReconcileReport:
    """Make the ledger equal what the community's feed serves; return what changed.

    :param collection: the collection id (the ledger's namespace).
    :param harvest: the feed as harvested (full, or incremental from the watermark).
    :param ledger: the (migrated) ledger.
    :param hook: for the records API (``get_record``) when a record is absent from the feed.
    :param owner: lease owner for the writes (unique per worker).
    :param actor: who acts, written with every event (dag run, task ...).
    :param grace_seconds: how long after publishing a record may be absent from the feed.
    :param lease_seconds: how long the leases taken here last.
    :param now: the current time (tests); default now.
    :param set_watermark: store ``harvest.response_date`` as the collection's harvest watermark
        when every specimen could be handled.
    :param owner_check: tells our records from others' (default: the hook's own records).
    """
    now = now or datetime.now(UTC)
    report = ReconcileReport(collection, harvest.community, harvest.complete,
                             harvested=len(harvest.records))
    store = FindingStore(ledger)
    known_missing = {subject for kind, subject in store.open_findings(collection)
                     if kind == MISSING_FROM_COMMUNITY}
    rows = {row.key: row for row in ledger.rows(collection)}
    feed = sort_records(rows, harvest.records, owner_check or OwnRecords(hook))
    report.errors.extend({"key": key, "error": error} for key, error in feed.unsure.items())
    first = plan(rows, feed.records, complete=harvest.complete, now=now,
                 grace=timedelta(seconds=grace_seconds), known_missing=known_missing)
    wanted = [a.key for a in first.actions]
    view = LedgerView(ledger, collection, owner, actor)
    claimed = set(view.claim(wanted, ttl_s=lease_seconds))
    try:
        report.busy = sorted(set(wanted) - claimed)
        # Plan again on rows read after the claim: nobody else can change them now.
        rows = {row.key: row for row in ledger.rows(collection)}
        final = plan(rows, feed.records, complete=harvest.complete, now=now,
                     grace=timedelta(seconds=grace_seconds), known_missing=known_missing)
        report.pending = list(final.pending)
        findings = {**feed.lookalikes, **final.findings}
        runner = _Runner(view, hook, store, now, report)
        for action in final.actions:
            if action.key in claimed:
                runner.run(action, rows[action.key], findings)
            elif action.key not in report.busy:
                report.busy.append(action.key)
        _sync_findings(store, collection, findings, report, rows, now, actor,
                       keep=feed.unsure_subjects)
    finally:
        view.release(claimed)
    if set_watermark and harvest.response_date and not report.busy and not report.errors:
        ledger.set_watermarks(collection, harvest=harvest.response_date)
        report.watermark = harvest.response_date
    log.info("reconcile %s: %d harvested, %d differences %s", collection, report.harvested,
             report.differences, report.counts())
    return report


def _sync_findings(store: FindingStore, collection: str,
                   findings: dict[FindingKey, dict[str, Any]], report: ReconcileReport,
                   rows: Mapping[str, SpecimenRow], now: datetime, actor: Actor, *,
                   keep: Collection[str] = ()) -> None:
    keep = {*keep, *report.busy, *report.pending, *(e["key"] for e in report.errors)}
    changes = store.sync(collection, findings, now=now, resolve=report.complete, keep=keep)
    report.known_findings = len(changes.known)
    for (kind, subject), detail in sorted(changes.new.items()):
        if kind == DUPLICATE:
            report.duplicates.append({"key": subject, **detail})
        elif kind == FOREIGN:
            report.foreign.append(detail)
        elif kind == MISSING_FROM_COMMUNITY:
            report.missing_from_community.append({"key": subject, **detail})
        row = rows.get(subject) or rows.get(str(detail.get("key") or ""))
        if row is not None:  # on the specimen's events too (a look-alike: on the key's)
            store.note(collection, row.key, row.state, {"reconcile": kind, **detail}, now=now,
                       actor=actor)
    report.resolved = [{"kind": kind, "subject": subject, **detail}
                       for (kind, subject), detail in sorted(changes.resolved.items())]


class _Runner:
    """Carry out one plan's actions for the leased specimens."""

    def __init__(self, ledger: LedgerView, hook: ZenodoHook, store: FindingStore,
                 now: datetime, report: ReconcileReport) -> None:
        self.ledger, self.hook, self.store, self.now, self.report = ledger, hook, store, now, report

    def run(self, action: Action, row: SpecimenRow,
            findings: dict[FindingKey, dict[str, Any]]) -> None:
        """Carry out one action; a lost lease or a changed state is reported, not raised."""
        try:
            if action.kind == VERIFY:
                self._verify(action, row)
            elif action.kind == ADOPT:
                self._adopt(action, row)
            elif action.kind == CHECK:
                self._check(row, findings)
        except (LeaseLost, IllegalTransition) as exc:
            self.report.errors.append({"key": row.key, "error": str(exc)})

    def _move(self, row: SpecimenRow, to: State, detail: dict[str, Any],
              **fields: Any) -> None:
        self.ledger.transition(row.key, to, detail=detail, expect=(row.state,), **fields)
        if to == row.state:  # no state change: the ledger writes no event, so we do
            self.store.note(self.ledger.collection, row.key, row.state, detail, now=self.now,
                            actor=self.ledger.actor)

    def _verify(self, action: Action, row: SpecimenRow) -> None:
        record = action.record
        assert record is not None
        self._move(row, State.VERIFIED, {"reconcile": "verified", "record_id": record.record_id})
        self.report.verified.append({"key": row.key, "record_id": record.record_id,
                                     "doi": record.doi})

    def _adopt(self, action: Action, row: SpecimenRow) -> None:
        record = action.record
        assert record is not None
        entry = {"key": row.key, "record_id": record.record_id, "doi": record.doi,
                 "concept_doi": record.concept_doi, "from_state": row.state.value,
                 "previous_record_id": row.record_id}
        self._move(row, State.VERIFIED, {"reconcile": "adopted", **entry},
                   record_id=record.record_id, doi=record.doi or row.doi,
                   concept_doi=record.concept_doi or row.concept_doi,
                   concept_recid=concept_recid(record.concept_doi) or row.concept_recid,
                   retry_after=None, **CLEARED_ERROR)
        self.report.adopted.append(entry)

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
