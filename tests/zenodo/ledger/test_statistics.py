"""A ledger filled in bulk keeps PostgreSQL's planner informed of its size.

A collection's first prepare inserts every specimen. Until PostgreSQL analyses the new rows, its
planner takes the tables for empty and looks keys up by reading the whole collection's index
range; where autovacuum is off (or behind), that lasts for the whole prepare, whose batches then
each read every row registered so far. At pilot 2's size (281,372 specimens) prepare slowed from
about 1.6 to over 6 ms a specimen and kept slowing. These pin that a bulk registration leaves
the key lookups reading only the keys asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from zenodo.ledger import statements as sql
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore, SpecimenPayload
from zenodo.store.tables import Payload, Specimen

from .test_register_many import mapped

C = "bulk"
_PAYLOADS = Payload.__table__
BATCH = 500


@pytest.fixture
def pg_ledger(postgres_url: str) -> Iterator[Ledger]:
    ledger = Ledger(postgres_url)
    ledger.migrate()
    with ledger.engine.connect() as conn:  # as on a server with autovacuum off, or behind
        for table in ("specimens", "events", "payloads"):
            conn.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
        conn.commit()
    yield ledger
    ledger.dispose()


def _largest_node_rows(ledger: Ledger, statement: sa.Executable) -> int:
    """Run ``statement`` under EXPLAIN ANALYZE; return the most rows any plan node produced."""
    text = str(statement.compile(dialect=postgresql.dialect(),
                                 compile_kwargs={"literal_binds": True}))
    with ledger.engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {text}").scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def rows(node: dict) -> int:
        return max([node["Actual Rows"], *(rows(n) for n in node.get("Plans", []))])

    return rows(plan[0]["Plan"])


def test_after_a_bulk_registration_a_key_lookup_reads_only_the_keys_asked(
        pg_ledger: Ledger) -> None:
    store = PayloadStore(pg_ledger)
    keys = [f"BR{i:010d}" for i in range(12_000)]
    for start in range(0, len(keys), BATCH):
        chunk = keys[start:start + BATCH]
        pg_ledger.register_many(C, [mapped(k) for k in chunk])
        store.put_many(C, [SpecimenPayload(k, {"title": k}, [], f"keywords:{k}") for k in chunk])
    asked = keys[5_000:5_100]
    lock = sql.LOCK_ROWS.params(p_collection=C, p_keys=asked)
    assert _largest_node_rows(pg_ledger, lock) <= len(asked)
    payloads = sa.select(_PAYLOADS).where(_PAYLOADS.c.collection == C,
                                          _PAYLOADS.c.key.in_(asked))
    assert _largest_node_rows(pg_ledger, payloads) <= len(asked)


def test_a_claim_reads_only_its_keys_before_the_ledger_is_analysed(pg_ledger: Ledger) -> None:
    # Rows written without the ledger's ANALYZE (as by a test, a script, or a server whose
    # statistics are behind): the claim's plan read the whole collection on both sides of a
    # nested loop, a quadratic cost (an engine test of 500 specimens took 47 s, now 15 s).
    now = datetime.now(UTC)
    with pg_ledger.engine.begin() as conn:
        conn.execute(sa.insert(Specimen.__table__), [
            {"collection": C, "key": f"BR{i:010d}", "state": "NEW", "files": [],
             "attempts": 0, "created_at": now, "updated_at": now} for i in range(3_000)])

    def explain(_conn, _cursor, statement, parameters, _context, _many):
        return f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters

    with pg_ledger.engine.connect() as conn:
        sa.event.listen(conn, "before_cursor_execute", explain, retval=True)
        plan = conn.execute(sql.TAKE_KEYS, sql.lease_params(
            C, ["BR0000001500"], "w1", now, now + timedelta(minutes=5))).scalar()
        conn.rollback()
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def rows(node: dict) -> int:
        return max([node["Actual Rows"] * node.get("Actual Loops", 1),
                    *(rows(n) for n in node.get("Plans", []))])

    assert rows(plan[0]["Plan"]) <= 2
