"""Decide, without any I/O, what reconciliation must do for each specimen.

From the ledger's rows and the harvested records it makes a :class:`Plan` of actions (verify,
adopt, check the records API) and findings (duplicates, foreign records). Records of one key
are grouped by concept DOI: two concepts are duplicates, and the ledger should hold the newest
version of the concept it points at (else of the one with the lowest record id).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from zenodo.harvest.records import HarvestedRecord
from zenodo.ledger.rows import SpecimenRow, record_order
from zenodo.ledger.states import State
from zenodo.reconcile.findings import DUPLICATE, FOREIGN, FindingKey

VERIFY = "verify"
ADOPT = "adopt"
CHECK = "check"
_PUBLISHED = (State.PUBLISHED, State.VERIFIED)
#: In-flight states that may be adopted when the ledger has no published record yet.
_ADOPT_FROM = (State.NEW, State.DRAFTED, State.UPLOADED, State.FAILED, State.UNKNOWN)
_ZENODO_DOI = re.compile(r"zenodo\.(\d+)$")


@dataclass(frozen=True)
class Action:
    """One thing to do for one specimen.

    :param kind: ``verify`` (PUBLISHED seen in the feed), ``adopt`` (take the feed's record),
        or ``check`` (published but absent from the feed: ask the records API).
    :param record: the feed's record for ``verify`` / ``adopt``.
    """

    kind: str
    key: str
    record: HarvestedRecord | None = None


@dataclass
class Plan:
    """The actions and findings of one reconciliation, and the keys left waiting."""

    actions: list[Action] = field(default_factory=list)
    findings: dict[FindingKey, dict[str, Any]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)


def concept_of(record: HarvestedRecord) -> str:
    """Return what groups a record with its other versions (concept DOI, else itself)."""
    return record.concept_doi or f"record:{record.record_id}"


def concept_recid(concept_doi: str | None) -> str | None:
    """Return the concept record id a Zenodo concept DOI ends with (``...zenodo.<id>``)."""
    match = _ZENODO_DOI.search(concept_doi or "")
    return match.group(1) if match else None


def _order(record: HarvestedRecord) -> tuple[int, int, str, str]:
    """Oldest first: Zenodo's numeric ids by value; InvenioRDM's random ids by last update."""
    kind, number, text = record_order(record.record_id)
    return kind, number, record.datestamp if kind else "", text


def choose(records: list[HarvestedRecord], row: SpecimenRow | None) -> HarvestedRecord:
    """Return the record the ledger should hold among a key's records in the feed."""
    by_concept: dict[str, list[HarvestedRecord]] = {}
    for record in records:
        by_concept.setdefault(concept_of(record), []).append(record)
    concept = None
    if row is not None:
        concept = next((concept_of(r) for r in records if r.record_id == row.record_id), None)
        if concept is None and row.concept_doi in by_concept:
            concept = row.concept_doi
    if concept is None:
        concept = concept_of(min(records, key=_order))
    return max(by_concept[concept], key=_order)


def _describe(record: HarvestedRecord) -> dict[str, Any]:
    return {"record_id": record.record_id, "doi": record.doi,
            "concept_doi": record.concept_doi}


def duplicate_detail(records: list[HarvestedRecord], kept: HarvestedRecord) -> dict[str, Any]:
    """Return a duplicate finding's detail: every record and DOI, and the one kept."""
    ordered = sorted(records, key=_order)
    return {"kept_record_id": kept.record_id, "dois": [r.doi for r in ordered],
            "records": [_describe(r) for r in ordered]}


def plan(rows: Mapping[str, SpecimenRow], records: Iterable[HarvestedRecord], *,
         complete: bool, now: datetime, grace: timedelta,
         known_missing: Collection[str] = ()) -> Plan:
    """Decide what to do for every specimen.

    :param rows: the collection's ledger rows by key.
    :param records: the harvested records (deleted-flagged ones count as absent).
    :param complete: the harvest listed the whole set: absence means "not in the feed", and
        duplicates can be judged. An incremental harvest only verifies and adopts.
    :param now: the current time, for the grace period.
    :param grace: how long after publishing a record may still be missing from the feed.
    :param known_missing: keys with an open ``missing_from_community`` finding: re-checked
        without waiting for the grace period.
    """
    result = Plan()
    by_key: dict[str, list[HarvestedRecord]] = {}
    for record in records:
        if record.deleted:
            continue
        if record.specimen_key is None or record.specimen_key not in rows:
            result.findings[(FOREIGN, f"record:{record.record_id}")] = {
                **_describe(record), "key": record.specimen_key}
            continue
        by_key.setdefault(record.specimen_key, []).append(record)
    for key, found in sorted(by_key.items()):
        _present(result, rows[key], found, complete=complete)
    if complete:
        for key, row in sorted(rows.items()):
            if key in by_key or row.state not in _PUBLISHED:
                continue
            if key not in known_missing and row.updated_at + grace > now:
                result.pending.append(key)
            else:
                result.actions.append(Action(CHECK, key))
    return result


def _present(result: Plan, row: SpecimenRow, found: list[HarvestedRecord], *,
             complete: bool) -> None:
    """Plan for a specimen the feed shows."""
    kept = choose(found, row)
    if complete and len({concept_of(r) for r in found}) > 1:
        result.findings[(DUPLICATE, row.key)] = duplicate_detail(found, kept)
    same_concept = row.concept_doi is not None and row.concept_doi == kept.concept_doi
    if row.state == State.PUBLISHED and row.record_id == kept.record_id:
        result.actions.append(Action(VERIFY, row.key, kept))
    elif row.state in _PUBLISHED and row.record_id != kept.record_id:
        if complete or same_concept:
            result.actions.append(Action(ADOPT, row.key, kept))
    elif row.state in _ADOPT_FROM and (row.record_id is None or row.record_id != kept.record_id):
        # A row with the same record id is a published specimen being updated: leave it.
        result.actions.append(Action(ADOPT, row.key, kept))
