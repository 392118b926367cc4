"""Check a write-back statement against the collection's database before anything is written.

The configuration model already knows the statement is one UPDATE or INSERT with allowed
parameters (:mod:`zenodo.config.writeback_model`); here the database itself compiles it
(``EXPLAIN`` with sample values, in a transaction that is rolled back), so a wrong table or
column stops the run at its prepare task, not halfway through the write-back.
"""

from __future__ import annotations

import sqlalchemy as sa

from zenodo.config.writeback_model import statement_parameters

#: Values bound when the statement is only compiled (never run).
SAMPLE_VALUES = {"key": "urn:check:zenodo-writeback", "doi": "10.5072/zenodo.0",
                 "concept_doi": "10.5072/zenodo.0", "url": "https://zenodo.org/records/0",
                 "record_id": "0"}


class WritebackStatementError(ValueError):
    """The collection's database refuses the write-back statement; the message names the
    file, the collection and the key."""


def check_on_database(engine: sa.Engine, statement: str, *, where: str) -> None:
    """Have the database compile ``statement`` (``EXPLAIN``; nothing is run or kept).

    :param where: the file and collection, for the message (``file: collection 'x'``).
    :raises WritebackStatementError: naming ``where``, the key and the database's reason.
    """
    names = statement_parameters(statement)
    explain = sa.text(f"EXPLAIN {statement.strip().rstrip(';')}")
    try:
        with engine.connect() as conn:
            transaction = conn.begin()
            try:
                conn.execute(explain, {name: SAMPLE_VALUES[name] for name in names})
            finally:
                transaction.rollback()
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise WritebackStatementError(
            f"{where}: key 'writeback.statement': the database refuses it ({reason}): "
            f"{statement!r}") from None
