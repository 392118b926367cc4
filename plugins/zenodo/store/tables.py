"""SQLAlchemy tables of the ledger database: specimens, events, payloads, watermarks, findings,
batch statistics, the run's planned batches, the pacer's and breaker's rows and the DOI
write-backs. The migrations in ``zenodo/store/migrations`` create exactly these tables; a test
compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Store an aware datetime as UTC; read it back aware (UTC) on SQLite and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC; SQLite keeps no zone, so drop it there after converting."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the ledger stores aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: 64-bit ids, with SQLite's INTEGER so its rowid autoincrement still works.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of the ledger's tables."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}  # noqa: RUF012


class Specimen(Base):
    """One specimen of one collection, and everything we know about its deposition.

    Remote ids are text: Zenodo's numeric ``"123"`` or InvenioRDM's ``"abcde-12345"``.
    """

    __tablename__ = "specimens"
    __table_args__ = (
        sa.Index("ix_specimens_collection_state", "collection", "state"),
        sa.Index("ix_specimens_collection_state_updated_at", "collection", "state", "updated_at"),
    )

    collection: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(500), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(16))
    prior_state: Mapped[str | None] = mapped_column(sa.String(16))
    deposition_id: Mapped[str | None] = mapped_column(sa.String(64))
    record_id: Mapped[str | None] = mapped_column(sa.String(64))
    doi: Mapped[str | None] = mapped_column(sa.String(255))
    concept_doi: Mapped[str | None] = mapped_column(sa.String(255))
    concept_recid: Mapped[str | None] = mapped_column(sa.String(64))
    bucket_url: Mapped[str | None] = mapped_column(sa.String(1024))
    metadata_hash: Mapped[str | None] = mapped_column(sa.String(128))
    files: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    mapping_name: Mapped[str | None] = mapped_column(sa.String(100))
    mapping_version: Mapped[str | None] = mapped_column(sa.String(50))
    source_modified: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error_kind: Mapped[str | None] = mapped_column(sa.String(50))
    last_error_status: Mapped[int | None] = mapped_column(sa.Integer)
    last_error_message: Mapped[str | None] = mapped_column(sa.Text)
    last_error_at: Mapped[datetime | None]
    retry_after: Mapped[datetime | None]
    quarantine_reasons: Mapped[list[str] | None] = mapped_column(sa.JSON)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(255))
    lease_expires: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Event(Base):
    """One state change of one specimen (append-only)."""

    __tablename__ = "events"
    __table_args__ = (sa.Index("ix_events_collection_key_id", "collection", "key", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    collection: Mapped[str] = mapped_column(sa.String(100))
    key: Mapped[str] = mapped_column(sa.String(500))
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime]
    actor: Mapped[Any] = mapped_column(sa.JSON)
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class Watermark(Base):
    """Per collection: where the last extract and the last OAI-PMH harvest got to."""

    __tablename__ = "watermarks"

    collection: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    extract: Mapped[str | None] = mapped_column(sa.String(255))
    harvest: Mapped[str | None] = mapped_column(sa.String(255))
    updated_at: Mapped[datetime]


class PlannedBatch(Base):
    """One upload batch of a run: the keys the plan step gave one mapped upload task.

    The keys live here, not in XCom (a whole collection's keys are megabytes); the task gets
    the batch id. A collection keeps only its latest run's plan.
    """

    __tablename__ = "planned_batches"

    collection: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    batch_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    keys: Mapped[list[str]] = mapped_column(sa.JSON)
    planned_at: Mapped[datetime]
    #: When an upload task took the batch up (None: not yet, it may still be handed keys).
    started_at: Mapped[datetime | None]


class PacerBucket(Base):
    """The shared state of one rate limiter: its requests per slot of each moving window."""

    __tablename__ = "pacer_buckets"

    bucket: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    windows: Mapped[dict[str, list[list[int]]]] = mapped_column(sa.JSON)
    blocked_until: Mapped[float] = mapped_column(sa.Double, default=0.0)
    server_remaining: Mapped[int | None] = mapped_column(sa.Integer)
    server_reset: Mapped[float | None] = mapped_column(sa.Double)
    updated_at: Mapped[float] = mapped_column(sa.Double)


class CircuitBreakerRow(Base):
    """The shared state of one circuit breaker; epoch seconds."""

    __tablename__ = "circuit_breakers"

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    opened_at: Mapped[float | None] = mapped_column(sa.Double)
    probe_at: Mapped[float] = mapped_column(sa.Double, default=0.0)
    last_probe_at: Mapped[float | None] = mapped_column(sa.Double)
    outages: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[float] = mapped_column(sa.Double)


class BatchStat(Base):
    """What one upload batch did: timing, requests, bytes, errors and outcomes.

    One row per batch try (a retried task writes a new row); see :mod:`zenodo.engine.statistics`.
    """

    __tablename__ = "batch_stats"
    __table_args__ = (sa.Index("ix_batch_stats_collection_run_id", "collection", "run_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    collection: Mapped[str] = mapped_column(sa.String(100))
    run_id: Mapped[str | None] = mapped_column(sa.String(250))
    batch_id: Mapped[str] = mapped_column(sa.String(100))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    specimens: Mapped[int] = mapped_column(sa.Integer)
    concurrency: Mapped[int] = mapped_column(sa.Integer)
    requests: Mapped[int] = mapped_column(sa.Integer)
    bytes_sent: Mapped[int] = mapped_column(sa.BigInteger)
    errors: Mapped[int] = mapped_column(sa.Integer)
    errors_by_status: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    errors_by_kind: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    published: Mapped[int] = mapped_column(sa.Integer)
    failed: Mapped[int] = mapped_column(sa.Integer)
    quarantined: Mapped[int] = mapped_column(sa.Integer)
    outcomes: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    lookups: Mapped[int] = mapped_column(sa.Integer)
    lookup_results: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    paused_seconds: Mapped[float] = mapped_column(sa.Double)
    pauses: Mapped[list[list[float]]] = mapped_column(sa.JSON)
    timeline: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: thread-seconds the workers waited for answers (None: recorded before it was kept)
    zenodo_seconds: Mapped[float | None] = mapped_column(sa.Double)


class Payload(Base):
    """What the upload step sends for a specimen: metadata, files on disk, its search query.

    Written by the prepare step together with the ledger row, so mapped tasks pass only keys
    and every retry sends exactly what was registered (the hash in ``specimens`` matches).
    """

    __tablename__ = "payloads"

    collection: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(500), primary_key=True)
    metadata_json: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    files: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    search_query: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]


class ReconcileFinding(Base):
    """Something reconciliation reported that needs a person (duplicate, foreign record, ...).

    One row per (collection, kind, subject); ``resolved_at`` is set when a full reconcile no
    longer sees it, and cleared again if it comes back.
    """

    __tablename__ = "reconcile_findings"

    collection: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(500), primary_key=True)
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    first_seen: Mapped[datetime]
    resolved_at: Mapped[datetime | None]



class Writeback(Base):
    """The last write-back of one specimen's DOI into its collection's database.

    ``status`` is ``written`` (the values shown landed) or ``failed`` (with ``reason``: the
    next run tries again); a specimen whose ledger DOI, concept DOI or record id differ from
    the ones written here is written again.
    """

    __tablename__ = "writebacks"
    __table_args__ = (sa.Index("ix_writebacks_collection_status", "collection", "status"),)

    collection: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(500), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    doi: Mapped[str | None] = mapped_column(sa.String(255))
    concept_doi: Mapped[str | None] = mapped_column(sa.String(255))
    record_id: Mapped[str | None] = mapped_column(sa.String(64))
    url: Mapped[str | None] = mapped_column(sa.String(1024))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer)
    run_id: Mapped[str | None] = mapped_column(sa.String(250))
    updated_at: Mapped[datetime]


metadata = Base.metadata
