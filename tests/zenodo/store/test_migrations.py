"""The ledger's Alembic migrations: in place, repeatable, reversible, equal to the models."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from zenodo.ledger.ledger import Ledger
from zenodo.reconcile.findings import FindingStore
from zenodo.store import database as ledger_db
from zenodo.store.tables import UTCDateTime, metadata

LEDGER_TABLES = {"specimens", "events", "watermarks", "pacer_buckets"}


def _load_env():
    path = ledger_db.MIGRATIONS_DIR / "env.py"
    spec = importlib.util.spec_from_file_location("ledger_migrations_env_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_env_py_imports_outside_alembic_without_doing_anything(sqlite_url: str) -> None:
    env = _load_env()
    assert callable(env.run)
    assert env.VERSION_TABLE == ledger_db.VERSION_TABLE
    assert _tables(sa.create_engine(sqlite_url)) == set()


def test_every_migration_file_imports_outside_alembic() -> None:
    for path in (ledger_db.MIGRATIONS_DIR / "versions").glob("*.py"):
        spec = importlib.util.spec_from_file_location(f"probe_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert callable(module.upgrade) and callable(module.downgrade)


def test_migrate_creates_the_schema_and_its_own_version_table(database_url: str) -> None:
    ledger = Ledger(database_url)
    ledger.migrate()
    tables = _tables(ledger.engine)
    assert LEDGER_TABLES | {"ledger_alembic_version"} <= tables
    assert "alembic_version" not in tables
    indexes = {i["name"] for i in sa.inspect(ledger.engine).get_indexes("specimens")}
    assert "ix_specimens_collection_state" in indexes
    ledger.dispose()


def test_migrating_twice_is_a_no_op_that_keeps_data(database_url: str) -> None:
    ledger = Ledger(database_url)
    ledger.migrate()
    ledger.register(
        "c",
        "k",
        metadata_hash="h",
        files=[],
        mapping_name="m",
        mapping_version=1,
        source_modified=None,
    )
    ledger.migrate()
    assert ledger.get("c", "k") is not None
    with ledger.engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM ledger_alembic_version")).all()
    assert len(versions) == 1
    ledger.dispose()


def test_airflows_own_alembic_version_table_is_left_alone(database_url: str) -> None:
    engine = ledger_db.make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('airflow123')"))
    ledger_db.upgrade(engine)
    ledger_db.downgrade(engine, "base")
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    assert kept == "airflow123"
    engine.dispose()


def test_downgrade_to_base_removes_the_ledger_tables(database_url: str) -> None:
    engine = ledger_db.make_engine(database_url)
    ledger_db.upgrade(engine)
    ledger_db.downgrade(engine, "base")
    assert not (_tables(engine) & LEDGER_TABLES)
    ledger_db.upgrade(engine)
    assert _tables(engine) >= LEDGER_TABLES
    engine.dispose()


def test_models_match_the_migrated_schema(database_url: str) -> None:
    engine = ledger_db.make_engine(database_url)
    ledger_db.upgrade(engine)
    env = _load_env()
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": env._include_name}
        )
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_sqlite_ledger_runs_in_wal_mode(sqlite_url: str) -> None:
    ledger = Ledger(sqlite_url)
    ledger.migrate()
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    ledger.dispose()


_NOW = datetime(2026, 1, 1, tzinfo=UTC)
#: ``specimens`` and ``reconcile_findings`` as they were at 0004 (ids as integers).
_SPECIMENS_0004 = sa.table(
    "specimens", sa.column("collection", sa.String), sa.column("key", sa.String),
    sa.column("state", sa.String), sa.column("deposition_id", sa.BigInteger),
    sa.column("record_id", sa.BigInteger), sa.column("concept_recid", sa.BigInteger),
    sa.column("files", sa.JSON), sa.column("attempts", sa.Integer),
    sa.column("created_at", UTCDateTime()), sa.column("updated_at", UTCDateTime()))
_FINDINGS = sa.table(
    "reconcile_findings", sa.column("collection", sa.String), sa.column("kind", sa.String),
    sa.column("subject", sa.String), sa.column("detail", sa.JSON),
    sa.column("first_seen", UTCDateTime()), sa.column("resolved_at", UTCDateTime()))
_DUPLICATE_0004 = {"kept_record_id": 124, "dois": ["d/123", "d/124"],
                   "records": [{"record_id": 123, "doi": "d/123", "concept_doi": "c/1"},
                               {"record_id": 124, "doi": "d/124", "concept_doi": "c/2"}]}


def _ledger_at_0004_with_numeric_ids(url: str) -> sa.Engine:
    engine = ledger_db.make_engine(url)
    ledger_db.upgrade(engine, "0004")
    row = {"collection": "c", "state": "PUBLISHED", "files": [], "attempts": 0,
           "created_at": _NOW, "updated_at": _NOW}
    with engine.begin() as conn:
        conn.execute(sa.insert(_SPECIMENS_0004), [
            {**row, "key": "k1", "deposition_id": 124, "record_id": 124,
             "concept_recid": 122},
            {**row, "key": "k2", "deposition_id": 9_000_000_001, "record_id": None,
             "concept_recid": None},
        ])
        conn.execute(sa.insert(_FINDINGS), [
            {"collection": "c", "kind": "duplicate", "subject": "k1",
             "detail": _DUPLICATE_0004, "first_seen": _NOW, "resolved_at": None},
            {"collection": "c", "kind": "foreign", "subject": "record:7",
             "detail": {"record_id": 7, "doi": "d/7", "concept_doi": None, "key": None},
             "first_seen": _NOW, "resolved_at": None},
        ])
    return engine


def _ids(engine: sa.Engine) -> list[tuple]:
    query = sa.select(_SPECIMENS_0004.c.deposition_id, _SPECIMENS_0004.c.record_id,
                      _SPECIMENS_0004.c.concept_recid).order_by(_SPECIMENS_0004.c.key)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def test_upgrading_from_0004_keeps_numeric_ids_as_their_decimal_text(database_url: str) -> None:
    engine = _ledger_at_0004_with_numeric_ids(database_url)
    ledger_db.upgrade(engine)
    ledger = Ledger(database_url)

    one, two = ledger.get("c", "k1"), ledger.get("c", "k2")
    assert (one.deposition_id, one.record_id, one.concept_recid) == ("124", "124", "122")
    assert (two.deposition_id, two.record_id, two.concept_recid) == ("9000000001", None, None)
    columns = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns("specimens")}
    assert all(isinstance(columns[name], sa.String) and columns[name].length == 64
               for name in ("deposition_id", "record_id", "concept_recid"))
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT record_id FROM specimens WHERE key = 'k1'"))
        assert stored.scalar_one() == "124"  # text in the database, not only in Python
    findings = FindingStore(ledger).open_findings("c")
    duplicate = findings[("duplicate", "k1")]
    assert duplicate["kept_record_id"] == "124"
    assert [r["record_id"] for r in duplicate["records"]] == ["123", "124"]
    assert duplicate["dois"] == ["d/123", "d/124"]
    assert findings[("foreign", "record:7")]["record_id"] == "7"
    ledger.dispose()
    engine.dispose()


def test_downgrading_to_0004_casts_numeric_ids_back_and_refuses_other_ids(
    database_url: str
) -> None:
    engine = _ledger_at_0004_with_numeric_ids(database_url)
    ledger_db.upgrade(engine)
    ledger_db.downgrade(engine, "0004")
    assert _ids(engine) == [(124, 124, 122), (9_000_000_001, None, None)]
    ledger = Ledger(database_url)
    assert FindingStore(ledger).open_findings("c")[("duplicate", "k1")] == _DUPLICATE_0004

    ledger_db.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE specimens SET record_id = 'abcde-12345' WHERE key = 'k2'"))
    head = _version(engine)
    with pytest.raises(RuntimeError, match=r"specimens\.record_id .*'abcde-12345'"):
        ledger_db.downgrade(engine, "0004")
    assert _version(engine) == head, "the failed downgrade changed nothing"
    assert ledger.get("c", "k2").record_id == "abcde-12345"
    ledger.dispose()
    engine.dispose()


def _version(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM ledger_alembic_version")).scalar_one()


def test_0006_renames_the_pacers_column_and_empties_its_table_both_ways(
    database_url: str
) -> None:
    engine = ledger_db.make_engine(database_url)
    ledger_db.upgrade(engine, "0005")
    insert = sa.text("INSERT INTO pacer_buckets (bucket, tats, blocked_until, updated_at) "
                     "VALUES ('zenodo:api', '{\"100/60\": 1.0}', 0, 0)")
    with engine.begin() as conn:
        conn.execute(insert)
    ledger_db.upgrade(engine, "0006")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("pacer_buckets")}
    assert "windows" in columns and "tats" not in columns
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM pacer_buckets")).scalar_one() == 0
        conn.execute(sa.text(
            "INSERT INTO pacer_buckets (bucket, windows, blocked_until, updated_at) "
            "VALUES ('zenodo:api', '{\"100/60\": [[1, 2]]}', 0, 0)"))
    ledger_db.downgrade(engine, "0005")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("pacer_buckets")}
    assert "tats" in columns and "windows" not in columns
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM pacer_buckets")).scalar_one() == 0
    engine.dispose()
