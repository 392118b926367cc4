"""Write-back keeps each specimen's last DOI write into its collection's database.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``writebacks``."""
    op.create_table(
        "writebacks",
        sa.Column("collection", sa.String(100), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("doi", sa.String(255), nullable=True),
        sa.Column("concept_doi", sa.String(255), nullable=True),
        sa.Column("record_id", sa.String(64), nullable=True),
        sa.Column("url", sa.String(1024), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("collection", "key", name=op.f("pk_writebacks")),
    )
    op.create_index("ix_writebacks_collection_status", "writebacks",
                    ["collection", "status"])


def downgrade() -> None:
    """Drop ``writebacks``."""
    op.drop_index("ix_writebacks_collection_status", table_name="writebacks")
    op.drop_table("writebacks")
