"""Add the reconcile_findings table: what reconciliation reported and has not seen resolved.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``reconcile_findings``."""
    op.create_table(
        "reconcile_findings",
        sa.Column("collection", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("first_seen", _TS, nullable=False),
        sa.Column("resolved_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("collection", "kind", "subject", name="pk_reconcile_findings"),
    )


def downgrade() -> None:
    """Drop ``reconcile_findings``."""
    op.drop_table("reconcile_findings")
