"""A planned batch records when its upload task took it up; until then, batches of the run
that end waiting may hand it their last specimens.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``planned_batches.started_at`` (empty: not taken up yet)."""
    with op.batch_alter_table("planned_batches") as batch:
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop ``planned_batches.started_at``."""
    with op.batch_alter_table("planned_batches") as batch:
        batch.drop_column("started_at")
