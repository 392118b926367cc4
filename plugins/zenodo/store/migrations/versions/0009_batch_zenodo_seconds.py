"""Keep how long each upload batch's workers waited for Zenodo's answers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``batch_stats.zenodo_seconds`` (empty for the batches recorded before)."""
    with op.batch_alter_table("batch_stats") as batch:
        batch.add_column(sa.Column("zenodo_seconds", sa.Double(), nullable=True))


def downgrade() -> None:
    """Drop ``batch_stats.zenodo_seconds``."""
    with op.batch_alter_table("batch_stats") as batch:
        batch.drop_column("zenodo_seconds")
