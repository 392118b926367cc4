"""The ``writeback`` key of a collection: the SQL that writes each specimen's DOI back into the
collection's database, checked before anything runs (docs/collections.md, "writeback").

The statement is checked here without a database: exactly one SQL statement, an ``UPDATE`` or
an ``INSERT``, whose bound parameters are among :data:`WRITEBACK_PARAMETERS` and include
``:key``. The prepare task compiles it against the database too
(:func:`zenodo.writeback.statement.check_on_database`).
"""

from __future__ import annotations

import sqlparse
from pydantic import Field, field_validator, model_validator
from sqlalchemy import text

from zenodo.config.model_base import NonBlank, StrictModel

#: The values a write-back statement may bind, per specimen.
WRITEBACK_PARAMETERS = ("key", "doi", "concept_doi", "url", "record_id")
#: The kinds of statement a write-back may run.
WRITEBACK_KINDS = ("UPDATE", "INSERT")


def statement_parameters(statement: str) -> list[str]:
    """Return the names of the ``:name`` parameters of ``statement``, as SQLAlchemy binds them."""
    return list(text(statement)._bindparams)


def statement_problem(statement: str) -> str | None:
    """Return why ``statement`` cannot be a write-back statement, or None when it can.

    It must be one statement (a trailing ``;`` is allowed), of kind UPDATE or INSERT, and
    bind only :data:`WRITEBACK_PARAMETERS`, ``:key`` among them.
    """
    parts = [p for p in sqlparse.parse(statement) if str(p).strip().strip(";").strip()]
    if len(parts) != 1:
        return f"must be one SQL statement, got {len(parts)}: {statement!r}"
    kind = parts[0].get_type()
    if kind not in WRITEBACK_KINDS:
        return f"must be an UPDATE or an INSERT, got {kind.lower()}: {statement!r}"
    names = statement_parameters(statement)
    unknown = [name for name in names if name not in WRITEBACK_PARAMETERS]
    if unknown:
        allowed = ", ".join(f":{name}" for name in WRITEBACK_PARAMETERS)
        return (f"unknown parameter(s) {', '.join(':' + n for n in unknown)} "
                f"(allowed: {allowed}): {statement!r}")
    if "key" not in names:
        return f"must bind :key (each specimen's key): {statement!r}"
    return None


_URL_OR_CONN_ID = {"oneOf": [{"required": ["url"]}, {"required": ["conn_id"]}]}


class WritebackDatabaseModel(StrictModel, json_schema_extra=_URL_OR_CONN_ID):
    """The database a write-back goes to, when not the collection's own."""

    url: NonBlank | None = Field(None, description="a SQLAlchemy URL, used as is")
    conn_id: NonBlank | None = Field(
        None, description="an Airflow connection id, read when a task runs")

    @model_validator(mode="after")
    def _exactly_one(self) -> WritebackDatabaseModel:
        if (self.url is None) == (self.conn_id is None):
            raise ValueError("give exactly one of 'url' and 'conn_id'")
        return self


class WritebackModel(StrictModel):
    """Write each published specimen's DOI back into the collection's database."""

    statement: NonBlank = Field(
        description="one UPDATE or INSERT binding :key and any of :doi, :concept_doi, :url, "
                    ":record_id")
    database: WritebackDatabaseModel | None = Field(
        None, description="where to write (default: the collection's database)")
    batch_size: int = Field(500, ge=1, le=10_000, description="specimens per transaction")
    attempts: int = Field(3, ge=1, le=10, description="tries of a failing batch")

    @field_validator("statement")
    @classmethod
    def _statement(cls, statement: str) -> str:
        problem = statement_problem(statement)
        if problem:
            raise ValueError(problem)
        return statement
