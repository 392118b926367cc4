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

Paged: the ledger is read a page of specimens at a time, each page planned against its keys'
records, leased, acted on (its verifications and adoptions in one transaction) and released;
the feed's records of no specimen are judged last. Memory holds the feed and one page of rows,
not the whole collection twice.

Idempotent: a second run over the same feed changes nothing and reports zero differences;
findings already reported are counted as known, not reported again.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from zenodo.harvest.harvester import HarvestResult
from zenodo.harvest.records import HarvestedRecord
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.rows import SpecimenRow
from zenodo.ledger.view import LedgerView
from zenodo.reconcile.actions import Actions
from zenodo.reconcile.findings import (
    DUPLICATE,
    FOREIGN,
    MISSING_FROM_COMMUNITY,
    FindingKey,
    FindingStore,
)
from zenodo.reconcile.ownership import Owner, sort_records
from zenodo.reconcile.plan import Plan, plan
from zenodo.reconcile.report import ReconcileReport
from zenodo.repository.ownership import OwnRecords

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook

log = logging.getLogger(__name__)

Actor = Mapping[str, Any] | str | None
T = TypeVar("T")
#: Specimens read, planned, leased and written together.
PAGE = 1000


def reconcile(
    collection: str, harvest: HarvestResult, *, ledger: Ledger, hook: ZenodoHook, owner: str,
    actor: Actor = None, grace_seconds: float = 3600.0, lease_seconds: float = 600.0,
    now: datetime | None = None, set_watermark: bool = True, owner_check: Owner | None = None,
    page: int = PAGE,
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
    :param page: specimens handled together.
    """
    now = now or datetime.now(UTC)
    report = ReconcileReport(collection, harvest.community, harvest.complete,
                             harvested=len(harvest.records))
    store = FindingStore(ledger)
    view = LedgerView(ledger, collection, owner, actor)
    run = _Run(view, Actions(view, hook, store, now, report), owner_check or OwnRecords(hook),
               complete=harvest.complete, now=now, grace=timedelta(seconds=grace_seconds),
               lease_seconds=lease_seconds,
               known_missing={subject for kind, subject in store.open_findings(collection)
                              if kind == MISSING_FROM_COMMUNITY})
    feed = _FeedByKey(harvest.records)
    if harvest.complete:  # every specimen: absence is judged too
        pages = _pages(ledger.rows(collection, page=page), page)
    else:  # only the specimens the feed shows
        pages = (ledger.rows_of(collection, keys) for keys in _pages(iter(feed.keys()), page))
    for rows in pages:
        run.page({row.key: row for row in rows}, feed.take(row.key for row in rows))
    run.findings.update(plan({}, feed.rest(), complete=harvest.complete, now=now,
                             grace=timedelta(0)).findings)  # records of no specimen: foreign
    report.pending.sort()
    report.busy.sort()
    _sync_findings(store, collection, run.findings, report, run.noted, now, actor,
                   keep=run.unsure_subjects)
    if set_watermark and harvest.response_date and not report.busy and not report.errors:
        ledger.set_watermarks(collection, harvest=harvest.response_date)
        report.watermark = harvest.response_date
    log.info("reconcile %s: %d harvested, %d differences %s", collection, report.harvested,
             report.differences, report.counts())
    return report


def _pages(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while chunk := list(islice(items, size)):
        yield chunk


class _FeedByKey:
    """The harvested records grouped by specimen key, handed out a page of keys at a time."""

    def __init__(self, records: Iterable[HarvestedRecord]) -> None:
        self._by_key: dict[str | None, list[HarvestedRecord]] = {}
        for record in records:
            self._by_key.setdefault(record.specimen_key, []).append(record)

    def take(self, keys: Iterable[str]) -> list[HarvestedRecord]:
        """Remove and return the records of ``keys``."""
        return [record for key in keys for record in self._by_key.pop(key, ())]

    def keys(self) -> list[str]:
        """Return the specimen keys the feed shows that no page took yet, sorted."""
        return sorted(key for key in self._by_key if key is not None)

    def rest(self) -> list[HarvestedRecord]:
        """Return the records no page took: keyless, or of keys the ledger does not hold."""
        return [record for found in self._by_key.values() for record in found]


@dataclass
class _Run:
    """One reconciliation's pages: what they found, and the rows those findings are about."""

    view: LedgerView
    actions: Actions
    owner_check: Owner
    complete: bool
    now: datetime
    grace: timedelta
    lease_seconds: float
    known_missing: set[str]
    findings: dict[FindingKey, dict[str, Any]] = field(default_factory=dict)
    noted: dict[str, SpecimenRow] = field(default_factory=dict)
    unsure_subjects: set[str] = field(default_factory=set)

    def page(self, rows: dict[str, SpecimenRow], records: list[HarvestedRecord]) -> None:
        """Plan, lease, plan again on the leased rows, and act, for one page of specimens."""
        report = self.actions.report
        feed = sort_records(rows, records, self.owner_check)
        report.errors.extend({"key": key, "error": error} for key, error in feed.unsure.items())
        self.unsure_subjects |= feed.unsure_subjects
        wanted = [a.key for a in self._plan(rows, feed.records).actions]
        claimed = set(self.view.claim(wanted, ttl_s=self.lease_seconds))
        try:
            busy = sorted(set(wanted) - claimed)
            report.busy.extend(busy)
            # Plan again on rows read after the claim: nobody else can change them now.
            if claimed:
                rows = {row.key: row for row in self.view.ledger.rows_of(self.view.collection,
                                                                          rows)}
            final = self._plan(rows, feed.records)
            report.pending.extend(final.pending)
            findings = {**feed.lookalikes, **final.findings}
            self.actions.run([a for a in final.actions if a.key in claimed], rows, findings)
            report.busy.extend(a.key for a in final.actions
                               if a.key not in claimed and a.key not in busy)
        finally:
            self.view.release(claimed)
        self.findings.update(findings)
        for (_kind, subject), detail in findings.items():
            row = _row_of(rows, subject, detail)
            if row is not None:
                self.noted[row.key] = row

    def _plan(self, rows: Mapping[str, SpecimenRow], records: list[HarvestedRecord]) -> Plan:
        return plan(rows, records, complete=self.complete, now=self.now, grace=self.grace,
                    known_missing=self.known_missing)


def _row_of(rows: Mapping[str, SpecimenRow], subject: str,
            detail: Mapping[str, Any]) -> SpecimenRow | None:
    """The specimen a finding is about: its subject, or (a look-alike) the key it carries."""
    return rows.get(subject) or rows.get(str(detail.get("key") or ""))


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
        row = _row_of(rows, subject, detail)
        if row is not None:  # on the specimen's events too (a look-alike: on the key's)
            store.note(collection, row.key, row.state, {"reconcile": kind, **detail}, now=now,
                       actor=actor)
    report.resolved = [{"kind": kind, "subject": subject, **detail}
                       for (kind, subject), detail in sorted(changes.resolved.items())]
