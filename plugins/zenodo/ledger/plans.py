"""The run's upload plan in the ledger: which keys each mapped upload task drives.

The plan step hands Airflow only batch ids (XCom stays small at any collection size); each
upload task reads its batch's keys here. A collection keeps only its latest run's plan: an
older run's task asked again finds its plan gone (its specimens are the newer run's work).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import sqlalchemy as sa

from zenodo.store.database import EngineHolder
from zenodo.store.tables import PlannedBatch

_P = PlannedBatch.__table__
_INSERT_CHUNK = 200


def batch_id(number: int) -> str:
    """Return the id of the run's ``number``-th batch (``b0000``, ``b0001``, …)."""
    return f"b{number:04d}"


class PlanMixin:
    """Plan operations of :class:`~zenodo.ledger.ledger.Ledger`."""

    _db: EngineHolder
    _clock: Callable[[], datetime]

    def save_plan(self, collection: str, run_id: str,
                  batches: Sequence[Sequence[str]]) -> list[str]:
        """Replace the collection's plan by ``run_id``'s ``batches``; return their ids."""
        now = self._clock()
        ids = [batch_id(n) for n in range(len(batches))]
        rows = [{"collection": collection, "run_id": run_id, "batch_id": batch_id(n),
                 "keys": list(keys), "planned_at": now} for n, keys in enumerate(batches)]
        with self._db.write() as conn:
            conn.execute(sa.delete(_P).where(_P.c.collection == collection))
            for start in range(0, len(rows), _INSERT_CHUNK):
                conn.execute(sa.insert(_P), rows[start:start + _INSERT_CHUNK])
        return ids

    def planned_keys(self, collection: str, run_id: str,
                     batch: str | None = None) -> list[str] | None:
        """Return the keys of one planned batch, or of the whole plan (``batch=None``).

        ``None`` when ``run_id`` has no such plan (a newer run's plan replaced it).
        """
        query = (sa.select(_P.c["keys"]).where(_P.c.collection == collection,
                                            _P.c.run_id == run_id)
                 .order_by(_P.c.batch_id))
        if batch is not None:
            query = query.where(_P.c.batch_id == batch)
        with self._db.read() as conn:
            found = list(conn.execute(query).scalars())
        if not found:
            return None
        return [key for keys in found for key in keys]

    def start_batch(self, collection: str, run_id: str, batch: str) -> list[str] | None:
        """Mark one planned batch as taken up (from now on it is handed nothing) and return
        its keys; ``None`` when ``run_id`` has no such batch (a newer run planned since)."""
        where = (_P.c.collection == collection, _P.c.run_id == run_id, _P.c.batch_id == batch)
        with self._db.write() as conn:
            conn.execute(sa.update(_P).where(*where, _P.c.started_at.is_(None))
                         .values(started_at=self._clock()))
            return conn.execute(sa.select(_P.c["keys"]).where(*where)).scalar()

    def hand_over(self, collection: str, run_id: str, batch: str,
                  keys: Sequence[str]) -> str | None:
        """Move ``keys`` from ``batch`` to the front of the run's first batch not taken up
        yet; return that batch's id, or ``None`` when every batch has been taken up."""
        run = (_P.c.collection == collection, _P.c.run_id == run_id)
        moving = set(keys)
        with self._db.write() as conn:
            free = (sa.select(_P.c.batch_id, _P.c["keys"])
                    .where(*run, _P.c.started_at.is_(None), _P.c.batch_id != batch)
                    .order_by(_P.c.batch_id).limit(1))
            if conn.dialect.name == "postgresql":  # a batch being taken up is passed over
                free = free.with_for_update(skip_locked=True)
            found = conn.execute(free).first()
            if found is None:
                return None
            taker, theirs = found
            moved = conn.execute(
                sa.update(_P).where(*run, _P.c.batch_id == taker, _P.c.started_at.is_(None))
                .values(keys=[*keys, *(k for k in theirs if k not in moving)]))
            if moved.rowcount != 1:
                return None
            mine = conn.execute(sa.select(_P.c["keys"]).where(*run, _P.c.batch_id == batch)
                                ).scalar() or []
            conn.execute(sa.update(_P).where(*run, _P.c.batch_id == batch)
                         .values(keys=[k for k in mine if k not in moving]))
        return taker

    def plan_time(self, collection: str, run_id: str) -> datetime | None:
        """Return when ``run_id``'s plan was saved (``None``: no plan, or a newer one)."""
        query = sa.select(sa.func.min(_P.c.planned_at)).where(_P.c.collection == collection,
                                                               _P.c.run_id == run_id)
        with self._db.read() as conn:
            return conn.execute(query).scalar()
