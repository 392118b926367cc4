"""The ledger's Alembic migrations: in place, repeatable, reversible, equal to the models."""

from __future__ import annotations

import importlib.util

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from zenodo import ledger_db
from zenodo.ledger import Ledger
from zenodo.ledger_models import metadata

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
