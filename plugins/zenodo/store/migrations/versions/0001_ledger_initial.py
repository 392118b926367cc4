"""Create the ledger: specimens, events, watermarks and pacer buckets.

Revision ID: 0001
Revises:
Create Date: 2026-05-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the ledger's tables."""
    op.create_table(
        "specimens",
        sa.Column("collection", sa.String(100), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("prior_state", sa.String(16), nullable=True),
        sa.Column("deposition_id", sa.BigInteger(), nullable=True),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("doi", sa.String(255), nullable=True),
        sa.Column("concept_doi", sa.String(255), nullable=True),
        sa.Column("concept_recid", sa.BigInteger(), nullable=True),
        sa.Column("bucket_url", sa.String(1024), nullable=True),
        sa.Column("metadata_hash", sa.String(128), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("mapping_name", sa.String(100), nullable=True),
        sa.Column("mapping_version", sa.String(50), nullable=True),
        sa.Column("source_modified", _TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error_kind", sa.String(50), nullable=True),
        sa.Column("last_error_status", sa.Integer(), nullable=True),
        sa.Column("last_error_message", sa.Text(), nullable=True),
        sa.Column("last_error_at", _TS, nullable=True),
        sa.Column("retry_after", _TS, nullable=True),
        sa.Column("quarantine_reasons", sa.JSON(), nullable=True),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_expires", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("collection", "key", name="pk_specimens"),
    )
    op.create_index("ix_specimens_collection_state", "specimens", ["collection", "state"])
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("collection", sa.String(100), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_collection_key_id", "events", ["collection", "key", "id"])
    op.create_table(
        "watermarks",
        sa.Column("collection", sa.String(100), nullable=False),
        sa.Column("extract", sa.String(255), nullable=True),
        sa.Column("harvest", sa.String(255), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("collection", name="pk_watermarks"),
    )
    op.create_table(
        "pacer_buckets",
        sa.Column("bucket", sa.String(100), nullable=False),
        sa.Column("tats", sa.JSON(), nullable=False),
        sa.Column("blocked_until", sa.Double(), nullable=False),
        sa.Column("server_remaining", sa.Integer(), nullable=True),
        sa.Column("server_reset", sa.Double(), nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name="pk_pacer_buckets"),
    )


def downgrade() -> None:
    """Drop the ledger's tables."""
    op.drop_table("pacer_buckets")
    op.drop_table("watermarks")
    op.drop_index("ix_events_collection_key_id", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_specimens_collection_state", table_name="specimens")
    op.drop_table("specimens")
