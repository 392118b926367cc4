"""The plan step keeps each run's batches in ``planned_batches`` instead of in XCom.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``planned_batches``."""
    op.create_table(
        "planned_batches",
        sa.Column("collection", sa.String(100), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("batch_id", sa.String(100), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("collection", "run_id", "batch_id",
                                name=op.f("pk_planned_batches")),
    )


def downgrade() -> None:
    """Drop ``planned_batches``."""
    op.drop_table("planned_batches")
