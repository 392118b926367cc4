"""What one reconciliation did and found, for the DAG's report and for people."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

#: The report lists that count as differences between the ledger and the feed.
DIFFERENCE_LISTS = ("verified", "adopted", "requeued", "deleted", "demoted", "duplicates",
                    "foreign", "missing_from_community", "resolved")


@dataclass
class ReconcileReport:
    """Counts and lists of one reconciliation of a collection with its community feed.

    Every list holds what changed or was newly found in this run; a second run over an
    unchanged feed has all of them empty (``differences == 0``). Findings still open from an
    earlier run are counted in ``known_findings`` only.

    :param verified: PUBLISHED specimens the feed shows: now VERIFIED.
    :param adopted: specimens the ledger had not recorded as published (or recorded with
        another record) that the feed shows: ids and DOI taken from Zenodo, now VERIFIED.
    :param requeued: published specimens whose record does not exist (404): back to NEW.
    :param deleted: published specimens whose record was deleted (410): back to NEW too.
    :param demoted: VERIFIED specimens the feed no longer shows although the record exists:
        back to PUBLISHED.
    :param duplicates: keys with records of two or more deposits, with every DOI; nothing is
        deleted on Zenodo.
    :param foreign: records in the feed that match no specimen of the collection.
    :param missing_from_community: published records that exist but are not in the community
        (failed inclusion); not re-queued, since publishing again would duplicate them.
    :param resolved: findings of earlier runs no longer seen.
    :param pending: published keys still within the indexing grace period, or in the community
        but not yet in the feed.
    :param busy: keys another worker holds a lease on (looked at next time).
    :param errors: keys that could not be decided (e.g. the records API kept failing).
    """

    collection: str
    community: str
    complete: bool
    harvested: int = 0
    verified: list[dict[str, Any]] = field(default_factory=list)
    adopted: list[dict[str, Any]] = field(default_factory=list)
    requeued: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[dict[str, Any]] = field(default_factory=list)
    demoted: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    foreign: list[dict[str, Any]] = field(default_factory=list)
    missing_from_community: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    known_findings: int = 0
    watermark: str | None = None

    @property
    def differences(self) -> int:
        """Return how many changes and new findings this run produced."""
        return sum(len(getattr(self, name)) for name in DIFFERENCE_LISTS)

    def counts(self) -> dict[str, int]:
        """Return the length of every list."""
        return {f.name: len(getattr(self, f.name)) for f in dataclasses.fields(self)
                if isinstance(getattr(self, f.name), list)}

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        """Return the report as plain JSON-able data, with ``counts`` and ``differences``.

        :param limit: entries kept of each list (the counts are of the whole lists).
        """
        data = {f.name: copy.deepcopy(value[:limit] if isinstance(value, list) else value)
                for f in dataclasses.fields(self) for value in [getattr(self, f.name)]}
        data["counts"] = self.counts()
        data["differences"] = self.differences
        return data
