"""Leases and watermarks of the ledger: who may work on a specimen, and where runs got to.

A lease is taken in one atomic statement per chunk of keys (PostgreSQL ``FOR UPDATE SKIP
LOCKED``; SQLite a conditional ``UPDATE`` in ``BEGIN IMMEDIATE``). A key is free when it has
no lease, the lease is the caller's own, or it has expired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zenodo.ledger import statements as sql
from zenodo.ledger.actor import Actor
from zenodo.ledger.rows import SpecimenRow, Watermarks
from zenodo.ledger.states import State
from zenodo.store.database import EngineHolder
from zenodo.store.tables import Specimen, Watermark

_T = Specimen.__table__
_W = Watermark.__table__
_CHUNK = 500


class LeaseMixin:
    """Lease and watermark operations of :class:`~zenodo.ledger.ledger.Ledger`."""

    _db: EngineHolder
    _clock: Callable[[], datetime]
    # The steps that record the create intent after a claim.
    _unknown: Callable[..., Callable[..., tuple[State, dict[str, Any], dict]]]
    _apply: Callable[..., dict[str, Any]]
    _moved: Callable[..., dict[str, Any]]

    # -- leases --

    def claim(self, collection: str, keys: Iterable[str], *, owner: str, ttl_s: float) -> list[str]:
        """Lease the specimens no other live lease holds; return the claimed keys in order.

        :param owner: a unique worker id (e.g. dag run / task / map index / try / pid).
        :param ttl_s: how long the lease lasts without :meth:`renew`.
        """
        wanted = list(dict.fromkeys(keys))
        claimed: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            with self._db.single_write() as conn:
                claimed.update(self._take(conn, collection, wanted[start:start + _CHUNK],
                                          owner, ttl_s, sql.TAKE_KEYS).scalars())
        return [k for k in wanted if k in claimed]

    def claim_to_create(self, collection: str, key: str, *, owner: str, ttl_s: float,
                        actor: Actor = None) -> tuple[SpecimenRow | None, bool]:
        """Lease one specimen like :meth:`claim`; a NEW one also gets its create intent.

        Unlike :meth:`claim`, a row another transaction is writing is waited for, not skipped:
        a worker claims again the specimens it deferred, whose leases its keeper renews.

        Returns the row as claimed (None: not free) and whether the intent was written (the
        row is then UNKNOWN with ``create`` pending, as :meth:`record_unknown` leaves it): the
        caller sends the create next. On PostgreSQL that is one statement
        (:func:`~zenodo.ledger.statements.take_row_to_create`); on SQLite, whose writers take
        turns, one transaction.
        """
        if self._db.engine.dialect.name != "postgresql":
            return self._claim_to_create_at_once(collection, key, owner, ttl_s, actor)
        now = self._clock()
        events: list[dict[str, Any]] = []
        target, values, detail = self._unknown("create")({"attempts": 0}, State.NEW)
        values = self._moved({"collection": collection, "key": key, "state": State.NEW.value,
                              "prior_state": None}, target, values, now, actor, detail, events)
        del values["attempts"]  # the statement adds one to the row's own
        params = sql.lease_params(collection, [key], owner, now, now + timedelta(seconds=ttl_s))
        params.update(values, updated_at=now)
        params.update({f"e_{name}": value for name, value in events[0].items()})
        with self._db.single_write() as conn:
            row = conn.execute(sql.take_row_to_create([*values, "updated_at"]),
                               params).mappings().first()
        if row is None:
            return None, False
        return SpecimenRow.from_mapping(row), row["claimed_from"] == State.NEW.value

    def _claim_to_create_at_once(self, collection: str, key: str, owner: str, ttl_s: float,
                                 actor: Actor) -> tuple[SpecimenRow | None, bool]:
        """:meth:`claim_to_create` in one transaction."""
        with self._db.write() as conn:
            taken = self._take(conn, collection, [key], owner, ttl_s, sql.TAKE_ROW)
            row = taken.mappings().first()
            if row is None or row["state"] != State.NEW.value:
                return (SpecimenRow.from_mapping(row) if row is not None else None), False
            now = self._clock()
            target, values, detail = self._unknown("create")(row, State.NEW)
            values = self._apply(conn, row, target, values, now, actor, detail)
        return SpecimenRow.from_mapping({**row, **values, "updated_at": now}), True

    def _take(self, conn: sa.Connection, collection: str, keys: list[str], owner: str,
              ttl_s: float, statement: sa.Update) -> sa.CursorResult[Any]:
        """Lease those of ``keys`` no other live lease holds with ``statement`` (one of
        :data:`~zenodo.ledger.statements.TAKE_KEYS`/``TAKE_ROW``); return its result.

        With ``TAKE_KEYS`` on PostgreSQL, rows another transaction is writing right now are
        skipped, not waited for.
        """
        now = self._clock()
        return conn.execute(statement, sql.lease_params(collection, keys, owner, now,
                                                        now + timedelta(seconds=ttl_s)))

    def renew(self, collection: str, keys: Iterable[str], *, owner: str, ttl_s: float) -> list[str]:
        """Extend the leases this owner still holds; return those keys (the others are lost)."""
        wanted = list(dict.fromkeys(keys))
        renewed: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            with self._db.single_write() as conn:
                expires = self._clock() + timedelta(seconds=ttl_s)
                renewed.update(conn.execute(
                    sa.update(_T)
                    .where(_T.c.collection == collection,
                           _T.c.key.in_(wanted[start:start + _CHUNK]), _T.c.lease_owner == owner)
                    .values(lease_expires=expires).returning(_T.c.key)
                ).scalars())
        return [k for k in wanted if k in renewed]

    def release(self, collection: str, keys: Iterable[str], *, owner: str) -> None:
        """Give up this owner's leases on the keys (others' leases are left alone)."""
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), _CHUNK):
            with self._db.single_write() as conn:
                conn.execute(
                    sa.update(_T)
                    .where(_T.c.collection == collection,
                           _T.c.key.in_(wanted[start:start + _CHUNK]), _T.c.lease_owner == owner)
                    .values(lease_owner=None, lease_expires=None)
                )

    # -- watermarks --

    def get_watermarks(self, collection: str) -> Watermarks:
        """Return a collection's watermarks (fields None when never set)."""
        with self._db.read() as conn:
            query = sa.select(_W).where(_W.c.collection == collection)
            row = conn.execute(query).mappings().first()
        if row is None:
            return Watermarks(collection, None, None, None)
        return Watermarks(collection, row["extract"], row["harvest"], row["updated_at"])

    def set_watermarks(self, collection: str, *, extract: str | None = None,
                       harvest: str | None = None) -> None:
        """Store the watermarks given (ISO 8601 strings); the others keep their value.

        :param extract: the last successful extract's watermark.
        :param harvest: the last OAI-PMH harvest's ``responseDate``.
        """
        values = {k: v for k, v in (("extract", extract), ("harvest", harvest)) if v is not None}

        def work(conn: sa.Connection) -> None:
            values["updated_at"] = self._clock()
            done = conn.execute(sa.update(_W).where(_W.c.collection == collection).values(values))
            if done.rowcount == 0:
                conn.execute(sa.insert(_W).values(collection=collection, **values))

        self._db.write_retrying(work)
