"""A full reconciliation of a large collection: a page of specimens per transaction, memory that
does not grow with the ledger, and an incremental one that reads only the specimens it shows.

At pilot 2's size (281,372 specimens) reconciliation verified one specimen per transaction
(about 9 minutes of commits) and held every ledger row twice (1.5 GB). These pin the paged
reconciliation, on SQLite and the real PostgreSQL (the ``ledger`` fixture).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Collection, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from zenodo.harvest.harvester import HarvestResult
from zenodo.harvest.records import HarvestedRecord
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.registration import MappedSpecimen
from zenodo.ledger.rows import SpecimenRow
from zenodo.ledger.states import State
from zenodo.reconcile.reconciler import reconcile
from zenodo.store.tables import Event, Specimen

_T = Specimen.__table__
_E = Event.__table__
FILES = [{"name": "sheet.jpg", "size": 10, "md5": "0" * 32}]


class _AllOurs:
    def among(self, key: str, record_ids: Collection[str]) -> set[str]:
        return set(record_ids)


def _keys(count: int) -> list[str]:
    return [f"BR{number:010d}" for number in range(count)]


def _published(ledger: Ledger, collection: str, count: int) -> list[str]:
    """Register ``count`` specimens and leave them PUBLISHED (record id = key's digits)."""
    keys = _keys(count)
    for start in range(0, count, 1000):
        ledger.register_many(collection, [MappedSpecimen(k, "h", FILES, "pilot2", 1, None)
                                          for k in keys[start:start + 1000]])
    with ledger.engine.begin() as conn:
        conn.execute(_T.update().where(_T.c.collection == collection).values(
            state=State.PUBLISHED.value, record_id=sa.func.substr(_T.c.key, 3),
            doi="10.5072/zenodo." + sa.func.substr(_T.c.key, 3)))
    return keys


def _feed(keys: list[str], *, complete: bool = True) -> HarvestResult:
    records = tuple(HarvestedRecord(key[2:], f"10.5072/zenodo.{key[2:]}", None,
                                    "2026-01-01T00:00:00Z", False, key) for key in keys)
    return HarvestResult("meise", "user-meise", None, complete, "2026-01-02T00:00:00Z", records)


def _reconcile(ledger: Ledger, collection: str, harvest: HarvestResult) -> object:
    return reconcile(collection, harvest, ledger=ledger, hook=None,  # type: ignore[arg-type]
                     owner="reconciler", owner_check=_AllOurs(), grace_seconds=0, page=500)


def test_a_full_reconciliation_writes_a_page_of_specimens_per_commit(ledger: Ledger) -> None:
    keys = _published(ledger, "meise", 2500)
    commits: list[object] = []
    sa.event.listen(ledger.engine, "commit", commits.append)

    report = _reconcile(ledger, "meise", _feed(keys))

    assert len(report.verified) == 2500 and report.errors == [] and report.busy == []
    assert ledger.counts("meise")[State.VERIFIED] == 2500
    # 5 pages: a claim, the moves and a release each, plus the findings and the watermark;
    # one transaction per specimen was 2,500 and more.
    assert len(commits) <= 30, len(commits)
    with ledger.engine.connect() as conn:
        verified_events = conn.execute(sa.select(sa.func.count()).select_from(_E).where(
            _E.c.to_state == State.VERIFIED.value)).scalar_one()
    assert verified_events == 2500
    assert all(row.lease_owner is None for row in ledger.rows("meise"))


def _peak_bytes(ledger: Ledger, collection: str, keys: list[str]) -> int:
    harvest = _feed(keys)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        _reconcile(ledger, collection, harvest)
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_ledger_beyond_the_feed_and_the_report(
    ledger: Ledger,
) -> None:
    small = _peak_bytes(ledger, "small", _published(ledger, "small", 2000))
    large = _peak_bytes(ledger, "large", _published(ledger, "large", 4000))

    # What grows is the report's entry per verified specimen (about 350 bytes); holding every
    # ledger row, twice, was about 2,400 bytes a specimen more.
    per_specimen = (large - small) / 2000
    assert per_specimen < 1000, f"{per_specimen:.0f} bytes a specimen"


def test_an_incremental_reconciliation_reads_only_the_specimens_the_feed_shows(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = _published(ledger, "meise", 2500)
    read: list[str] = []
    rows, rows_of = ledger.rows, ledger.rows_of

    def counted_rows(*args: Any, **kwargs: Any) -> Iterator[SpecimenRow]:
        for row in rows(*args, **kwargs):
            read.append(row.key)
            yield row

    def counted_rows_of(*args: Any, **kwargs: Any) -> list[SpecimenRow]:
        found = rows_of(*args, **kwargs)
        read.extend(row.key for row in found)
        return found

    monkeypatch.setattr(ledger, "rows", counted_rows)
    monkeypatch.setattr(ledger, "rows_of", counted_rows_of)

    report = _reconcile(ledger, "meise", _feed([keys[1234]], complete=False))

    assert [v["key"] for v in report.verified] == [keys[1234]]
    assert ledger.counts("meise")[State.VERIFIED] == 1
    # its row before and after its lease; reading the whole collection was 5,000 rows
    assert read == [keys[1234], keys[1234]]
