"""Count, on the sandbox, what a batch left behind: once, duplicated, lost, and ledger mismatches.

The sandbox is the truth: published records are grouped by the specimen key they carry (the
``isAlternateIdentifier`` related identifier), so a duplicate is a second published record
for one key, whichever client made it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tests.zenodo.payload_factory import COLLECTION, published_by_key
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo_sandbox.testing import SandboxAdmin

_DONE = (State.PUBLISHED, State.VERIFIED)


@dataclass(frozen=True)
class Census:
    """What the sandbox holds for a batch's keys.

    :param total: keys in the batch.
    :param once: keys with exactly one published record.
    :param duplicates: published records beyond the first, summed over keys.
    :param lost: keys with no published record.
    :param mismatched: keys whose ledger row disagrees with the sandbox (state or record id).
    :param drafts: unpublished depositions left on the sandbox (orphans of lost answers).
    """

    total: int
    once: int
    duplicates: int
    lost: int
    mismatched: int
    drafts: int

    @property
    def published(self) -> int:
        """Keys with at least one published record."""
        return self.total - self.lost


def _pages(admin: SandboxAdmin, size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    """The sandbox's published records, a page of ``size`` at a time."""
    page: list[dict[str, Any]] = []
    for record in admin.all_records(page=size):
        page.append(record)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def take_census(admin: SandboxAdmin, keys: Sequence[str], ledger: Ledger | None = None,
                collection: str = COLLECTION) -> Census:
    """Compare the batch's keys with the sandbox's records (and the ledger, if given)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for page in _pages(admin):  # the ids only: 281,372 records with metadata are gigabytes
        for key, records in published_by_key(page).items():
            grouped.setdefault(key, []).extend({"id": r["id"]} for r in records)
    once = duplicates = lost = mismatched = 0
    for key in keys:
        records = grouped.get(key, [])
        once += len(records) == 1
        duplicates += max(0, len(records) - 1)
        lost += not records
        if ledger is not None:
            row = ledger.get(collection, key)
            agrees = (
                row is not None and len(records) == 1 and State(row.state) in _DONE
                and row.record_id == str(records[0]["id"])
            )
            mismatched += not agrees
    drafts = len(admin.depositions(state="unsubmitted"))
    return Census(len(keys), once, duplicates, lost, mismatched, drafts)
