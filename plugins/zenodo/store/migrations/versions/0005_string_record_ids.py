"""Store record and deposition ids as text: InvenioRDM's ids look like ``abcde-12345``.

``specimens.deposition_id``, ``record_id`` and ``concept_recid`` become ``VARCHAR(64)``; a
numeric id is kept as its decimal text (``123`` -> ``"123"``). The open and resolved findings of
``reconcile_findings`` hold record ids inside their JSON ``detail``; they are rewritten as text
too, so the next reconciliation sees the same detail and does not report them again. (Event
details are history, written once and never compared: they keep the ids they were written with.)

Downgrade casts the ids back to integers and refuses (raises, changing nothing) while any id is
not a number.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID_COLUMNS = ("deposition_id", "record_id", "concept_recid")
#: Keys of a finding's detail (and of each entry of its ``records``) that hold a record id.
_DETAIL_IDS = ("record_id", "kept_record_id", "previous_record_id")
_FINDINGS = sa.table("reconcile_findings", sa.column("collection", sa.String),
                     sa.column("kind", sa.String), sa.column("subject", sa.String),
                     sa.column("detail", sa.JSON))


def upgrade() -> None:
    """Turn the id columns into text, and the ids in findings' details into text."""
    with op.batch_alter_table("specimens") as batch:
        for name in _ID_COLUMNS:
            batch.alter_column(name, existing_type=sa.BigInteger(), type_=sa.String(64),
                               existing_nullable=True, postgresql_using=f"{name}::text")
    _rewrite_findings(str)


def downgrade() -> None:
    """Turn the ids back into integers; raise if any id is not a number."""
    specimens = sa.table("specimens", *(sa.column(name, sa.String) for name in _ID_COLUMNS))
    bind = op.get_bind()
    for name in _ID_COLUMNS:
        column = specimens.c[name]
        for value in bind.execute(sa.select(column).where(column.is_not(None))).scalars():
            if not _numeric(value):
                raise RuntimeError(
                    f"cannot downgrade the ledger below 0005: specimens.{name} holds the "
                    f"non-numeric id {value!r} (InvenioRDM?); integer ids cannot store it"
                )
    _rewrite_findings(lambda value: int(value) if _numeric(value) else value)
    with op.batch_alter_table("specimens") as batch:
        for name in _ID_COLUMNS:
            batch.alter_column(name, existing_type=sa.String(64), type_=sa.BigInteger(),
                               existing_nullable=True, postgresql_using=f"{name}::bigint")


def _numeric(value: Any) -> bool:
    return isinstance(value, int) or (isinstance(value, str) and value.isascii()
                                      and value.isdigit())


def _rewrite_findings(convert: Callable[[Any], Any]) -> None:
    """Apply ``convert`` to every record id in the findings' details (rows that change only)."""
    bind = op.get_bind()
    for row in bind.execute(sa.select(_FINDINGS)).mappings().all():
        detail = _convert_detail(row["detail"], convert)
        if detail != row["detail"]:
            bind.execute(sa.update(_FINDINGS).where(
                _FINDINGS.c.collection == row["collection"], _FINDINGS.c.kind == row["kind"],
                _FINDINGS.c.subject == row["subject"]).values(detail=detail))


def _convert_detail(detail: Any, convert: Callable[[Any], Any]) -> Any:
    if not isinstance(detail, dict):
        return detail
    out = {k: convert(v) if k in _DETAIL_IDS and v is not None else v for k, v in detail.items()}
    if isinstance(out.get("records"), list):
        out["records"] = [_convert_detail(r, convert) for r in out["records"]]
    return out
