"""Write-back of DOIs into a real collection database (SQLite and PostgreSQL): what lands,
what is not written twice, what a new version rewrites, and how a failing batch is told."""

from __future__ import annotations

import pathlib

import pytest
import sqlalchemy as sa

from tests.zenodo.payload_factory import COLLECTION, publish_in_ledger, register_specimens
from zenodo.ledger.ledger import Ledger
from zenodo.store.tables import Specimen
from zenodo.writeback.outcomes import writeback_status
from zenodo.writeback.run import WritebackTarget, write_back
from zenodo.writeback.statement import WritebackStatementError, check_on_database

STATEMENT = ("UPDATE specimen SET zenodo_doi = :doi, zenodo_url = :url "
             "WHERE occurrence_id = :key")
BASE = "https://zenodo.example"


def collection_db(url: str, keys: list[str]) -> sa.Engine:
    """The collection's own table, one row per specimen, no DOI yet."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE specimen (occurrence_id VARCHAR(500) PRIMARY KEY, "
                             "zenodo_doi VARCHAR(255), zenodo_url VARCHAR(1024))"))
        conn.execute(sa.text("INSERT INTO specimen (occurrence_id) VALUES (:k)"),
                     [{"k": k} for k in keys])
    return engine


def dois(engine: sa.Engine) -> dict[str, tuple[str | None, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT occurrence_id, zenodo_doi, zenodo_url FROM specimen"))
        return {r[0]: (r[1], r[2]) for r in rows}


def target(engine: sa.Engine, statement: str = STATEMENT, **options: object) -> WritebackTarget:
    return WritebackTarget(engine=engine, statement=statement,
                           record_url=lambda record_id: f"{BASE}/records/{record_id}",
                           batch_size=2, wait_max=0.0, **options)


@pytest.fixture
def published(ledger: Ledger, tmp_path: pathlib.Path) -> list[str]:
    """Five registered specimens: the first four published (records 11, 21, 31, 41)."""
    keys = register_specimens(ledger, tmp_path, 5)
    for number, key in enumerate(keys[:4], start=1):
        publish_in_ledger(ledger, COLLECTION, key, record_id=number * 10 + 1)
    return keys


def test_dois_land_once_and_a_new_version_is_written_again(
    ledger: Ledger, published: list[str], database_url: str
) -> None:
    engine = collection_db(database_url, published)
    first = write_back(ledger.engine, COLLECTION, target(engine), run_id="run-1")
    assert (first.written, first.failed, first.batches) == (4, 0, 2)
    landed = dois(engine)
    assert landed[published[0]] == ("10.5072/zenodo.11", f"{BASE}/records/11")
    assert landed[published[3]] == ("10.5072/zenodo.41", f"{BASE}/records/41")
    assert landed[published[4]] == (None, None), "not published: nothing written"

    again = write_back(ledger.engine, COLLECTION, target(engine), run_id="run-2")
    assert (again.written, again.failed, again.batches) == (0, 0, 0), "nothing new"

    specimens = Specimen.__table__  # the engine's new-version write: new record, new DOI
    with ledger.engine.begin() as conn:
        conn.execute(specimens.update().where(specimens.c.key == published[1])
                     .values(record_id="22", doi="10.5072/zenodo.22"))
    third = write_back(ledger.engine, COLLECTION, target(engine), run_id="run-3")
    assert (third.written, third.batches) == (1, 1)
    assert dois(engine)[published[1]] == ("10.5072/zenodo.22", f"{BASE}/records/22")
    assert writeback_status(ledger.engine, COLLECTION) == {
        "written": 4, "failed": 0, "failures": []}
    engine.dispose()


def test_a_failing_batch_is_retried_then_reported_and_retried_next_run(
    ledger: Ledger, published: list[str], database_url: str
) -> None:
    engine = collection_db(database_url, published)
    # The second batch (records 31 and 41) breaks a CHECK on both databases.
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE specimen"))
        conn.execute(sa.text(
            "CREATE TABLE specimen (occurrence_id VARCHAR(500) PRIMARY KEY, "
            "zenodo_doi VARCHAR(255) CHECK (zenodo_doi <> '10.5072/zenodo.31'), "
            "zenodo_url VARCHAR(1024))"))
        conn.execute(sa.text("INSERT INTO specimen (occurrence_id) VALUES (:k)"),
                     [{"k": k} for k in published])
    summary = write_back(ledger.engine, COLLECTION, target(engine, attempts=3), run_id="r1")
    assert (summary.written, summary.failed, summary.retried_batches) == (2, 2, 1)
    assert {f["key"] for f in summary.failures} == set(published[2:4])
    assert "IntegrityError" in summary.failures[0]["reason"] or "check" in \
        summary.failures[0]["reason"].lower()
    status = writeback_status(ledger.engine, COLLECTION)
    assert (status["written"], status["failed"]) == (2, 2)
    assert all(f["attempts"] == 3 and f["reason"] for f in status["failures"])
    landed = dois(engine)
    assert landed[published[3]] == (None, None), "the failed batch is rolled back whole"
    assert landed[published[0]][0] == "10.5072/zenodo.11"

    with engine.begin() as conn:  # the collection's DBA lifts the constraint: next run writes
        conn.execute(sa.text("UPDATE specimen SET zenodo_doi = NULL"))
    fixed = "UPDATE specimen SET zenodo_url = :url WHERE occurrence_id = :key"
    later = write_back(ledger.engine, COLLECTION, target(engine, fixed), run_id="r2")
    assert (later.written, later.failed) == (2, 0), "only the failed ones are due again"
    assert writeback_status(ledger.engine, COLLECTION)["failed"] == 0
    engine.dispose()


def test_the_database_compiles_the_statement_before_anything_is_written(
    published: list[str], database_url: str
) -> None:
    engine = collection_db(database_url, published)
    check_on_database(engine, STATEMENT, where="c.yaml: collection 'x'")
    wrong = STATEMENT.replace("zenodo_url", "no_such_column")
    with pytest.raises(WritebackStatementError) as caught:
        check_on_database(engine, wrong, where="c.yaml: collection 'x'")
    message = str(caught.value)
    assert message.startswith("c.yaml: collection 'x': key 'writeback.statement': ")
    assert "no_such_column" in message
    assert dois(engine)[published[0]] == (None, None), "nothing was written by the check"
    engine.dispose()
