"""The status page's queries stay fast and index-bound with 300,000 ledger rows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo.report.status_data import (
    collection_counts,
    counts_by_collection,
    last_runs,
    newest,
    newest_query,
)
from zenodo.store.tables import Specimen

ROWS = 300_000
COLLECTIONS = ("herbarium_a", "herbarium_b", "herbarium_c")
# Per 100 specimens: mostly published, a few of every other state.
MIX = [State.PUBLISHED] * 90 + [State.FAILED] * 3 + [State.QUARANTINED] * 4 + [
    State.NEW, State.UNKNOWN, State.VERIFIED]


def _rows() -> Iterator[dict[str, object]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(ROWS):
        state = MIX[i % len(MIX)]
        yield {
            "collection": COLLECTIONS[i % 3], "key": f"urn:catalog:X:{i:07d}",
            "state": state.value, "files": [], "attempts": 0, "record_id": str(i),
            "quarantine_reasons": ["eventDate: not a date"] if state == State.QUARANTINED
            else None, "last_error_message": "HTTP 504" if state == State.FAILED else None,
            "created_at": start, "updated_at": start + timedelta(seconds=i),
        }


@pytest.fixture
def big_ledger(database_url: str) -> Iterator[Ledger]:
    ledger = Ledger(database_url)
    ledger.migrate()
    table = Specimen.__table__
    batch: list[dict[str, object]] = []
    with ledger.engine.begin() as conn:
        for row in _rows():
            batch.append(row)
            if len(batch) == 20_000:
                conn.execute(sa.insert(table), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(table), batch)
    with ledger.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("ANALYZE" if conn.dialect.name == "sqlite" else "VACUUM ANALYZE specimens"))
    yield ledger
    ledger.dispose()


def test_a_page_view_is_fast_with_300000_rows(big_ledger: Ledger) -> None:
    engine = big_ledger.engine
    started = time.perf_counter()
    counts = counts_by_collection(engine)
    one = collection_counts(engine, "herbarium_b")
    failures = newest(engine, "herbarium_b", (State.FAILED, State.UNKNOWN))
    quarantined = newest(engine, "herbarium_b", (State.QUARANTINED,))
    published = newest(engine, "herbarium_b", (State.PUBLISHED, State.VERIFIED))
    runs = last_runs(engine, "herbarium_b")
    elapsed = time.perf_counter() - started
    assert sum(sum(c.values()) for c in counts.values()) == ROWS
    assert one["PUBLISHED"] == counts["herbarium_b"]["PUBLISHED"] == 90_000
    assert one["QUARANTINED"] == 4_000 and one["STALE"] == 0
    assert len(failures) == len(quarantined) == len(published) == 20 and runs == []
    assert failures[0]["updated_at"] >= failures[-1]["updated_at"]
    assert quarantined[0]["quarantine_reasons"] == ["eventDate: not a date"]
    newest_online = max(i for i in range(1, ROWS, 3)
                        if MIX[i % len(MIX)] in (State.PUBLISHED, State.VERIFIED))
    assert published[0]["record_id"] == str(newest_online)
    assert elapsed < 1.5, f"one page view's queries took {elapsed:.2f} s"
    if engine.dialect.name == "sqlite":
        _assert_sqlite_uses_the_indexes(engine)


def _assert_sqlite_uses_the_indexes(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        def plan(query: sa.Select) -> str:
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            return " | ".join(r[-1] for r in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}"))
        newest_plan = plan(newest_query("herbarium_b", State.QUARANTINED, 20))
        count_plan = plan(sa.select(Specimen.state, sa.func.count())
                          .where(Specimen.collection == "herbarium_b")
                          .group_by(Specimen.state))
    assert "ix_specimens_collection_state_updated_at" in newest_plan
    assert "TEMP B-TREE" not in newest_plan, "newest rows read in index order, not sorted"
    assert "COVERING INDEX ix_specimens_collection_state" in count_plan
