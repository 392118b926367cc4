"""Sort the feed's records of our specimens into ours and foreign look-alikes, before planning.

A record carrying one of our keys is ours without a request when the ledger already holds it:
its record id, or its concept (only the concept's owner makes new versions). Any other is
looked up among our own records (:class:`~zenodo.repository.ownership.OwnRecords`, one search
per key): not there, it is another account's look-alike, reported as a ``foreign`` finding and
never adopted or verified.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from zenodo.errors import ZenodoError
from zenodo.harvest.records import HarvestedRecord
from zenodo.ledger.rows import SpecimenRow
from zenodo.reconcile.findings import FOREIGN, FindingKey

LOOKALIKE = "carries the key of one of our specimens but is not among our records"


class Owner(Protocol):
    """What tells our records from others' (see ``OwnRecords``)."""

    def among(self, key: str, record_ids: Collection[str]) -> set[str]:
        """Return those of ``record_ids`` that are ours."""


@dataclass
class Sorted:
    """The feed's records sorted by ownership.

    :param records: what reconciliation may act on: ours, and records of no specimen of ours.
    :param lookalikes: ``foreign`` findings for other accounts' records carrying our keys.
    :param unsure: key -> error, for keys whose ownership lookup failed; their unchecked
        records are left out (looked at next time).
    :param unsure_subjects: the finding subjects of those records (not to be resolved).
    """

    records: list[HarvestedRecord] = field(default_factory=list)
    lookalikes: dict[FindingKey, dict[str, Any]] = field(default_factory=dict)
    unsure: dict[str, str] = field(default_factory=dict)
    unsure_subjects: set[str] = field(default_factory=set)


def _held(record: HarvestedRecord, row: SpecimenRow) -> bool:
    """The ledger holds this record (or its concept) already: it is ours."""
    return record.record_id == row.record_id or (
        row.concept_doi is not None and record.concept_doi == row.concept_doi)


def sort_records(rows: Mapping[str, SpecimenRow], records: Iterable[HarvestedRecord],
                 owner: Owner) -> Sorted:
    """Keep our records and the keyless or unknown ones; turn look-alikes into findings."""
    result = Sorted()
    to_check: dict[str, list[HarvestedRecord]] = {}
    for record in records:
        row = rows.get(record.specimen_key or "")
        if record.deleted or row is None or _held(record, row):
            result.records.append(record)
        else:
            to_check.setdefault(row.key, []).append(record)
    for key, candidates in sorted(to_check.items()):
        try:
            ours = owner.among(key, [r.record_id for r in candidates])
        except ZenodoError as exc:
            result.unsure[key] = f"ownership of records {[r.record_id for r in candidates]} " \
                                 f"unknown: {exc}"
            result.unsure_subjects |= {f"record:{r.record_id}" for r in candidates}
            continue
        for record in candidates:
            if record.record_id in ours:
                result.records.append(record)
            else:
                result.lookalikes[(FOREIGN, f"record:{record.record_id}")] = {
                    "record_id": record.record_id, "doi": record.doi,
                    "concept_doi": record.concept_doi, "key": key, "reason": LOOKALIKE}
    return result
