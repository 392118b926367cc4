"""The pacer counts requests in moving windows: ``pacer_buckets.tats`` becomes ``windows``.

The old column held one theoretical arrival time per limit (GCRA spacing); the new one holds
each window's requests per slot (:mod:`zenodo.traffic.windows`). The two cannot be converted, and
a bucket's state only matters for the next window length, so both directions empty the table:
the next request starts a fresh count (and the server's own headers still hold it back).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Empty ``pacer_buckets`` and rename its ``tats`` column to ``windows``."""
    _rename("tats", "windows")


def downgrade() -> None:
    """Empty ``pacer_buckets`` and rename ``windows`` back to ``tats``."""
    _rename("windows", "tats")


def _rename(old: str, new: str) -> None:
    op.execute(sa.text("DELETE FROM pacer_buckets"))
    with op.batch_alter_table("pacer_buckets") as batch:
        batch.alter_column(old, new_column_name=new, existing_type=sa.JSON(),
                           existing_nullable=False)
