"""Add batch_stats, circuit_breakers, and an index for the status page's newest-rows lists.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``batch_stats``, ``circuit_breakers`` and the newest-rows index of specimens."""
    op.create_index("ix_specimens_collection_state_updated_at", "specimens",
                    ["collection", "state", "updated_at"])
    op.create_table(
        "circuit_breakers",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.Double(), nullable=True),
        sa.Column("probe_at", sa.Double(), nullable=False),
        sa.Column("last_probe_at", sa.Double(), nullable=True),
        sa.Column("outages", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_circuit_breakers"),
    )
    counts = ("specimens", "concurrency", "requests")
    op.create_table(
        "batch_stats",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("collection", sa.String(100), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=True),
        sa.Column("batch_id", sa.String(100), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in counts),
        sa.Column("bytes_sent", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("errors_by_status", sa.JSON(), nullable=False),
        sa.Column("errors_by_kind", sa.JSON(), nullable=False),
        sa.Column("published", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("outcomes", sa.JSON(), nullable=False),
        sa.Column("lookups", sa.Integer(), nullable=False),
        sa.Column("lookup_results", sa.JSON(), nullable=False),
        sa.Column("paused_seconds", sa.Double(), nullable=False),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("timeline", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_batch_stats"),
    )
    op.create_index("ix_batch_stats_collection_run_id", "batch_stats", ["collection", "run_id"])


def downgrade() -> None:
    """Drop what :func:`upgrade` created."""
    op.drop_index("ix_specimens_collection_state_updated_at", table_name="specimens")
    op.drop_index("ix_batch_stats_collection_run_id", table_name="batch_stats")
    op.drop_table("batch_stats")
    op.drop_table("circuit_breakers")
