"""The statements the upload engine runs for every specimen step, built once at import.

Building a statement costs more than SQLite spends running it, time taken from the threads
waiting on Zenodo; these are given only parameters (the key columns as ``p_collection`` and
``p_key``, named apart so an UPDATE takes its SET clause from the other parameters).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from zenodo.ledger.states import State
from zenodo.store.tables import Event, Specimen

_T = Specimen.__table__
_E = Event.__table__
_IN_COLLECTION = _T.c.collection == sa.bindparam("p_collection")
_ONE = sa.and_(_IN_COLLECTION, _T.c.key == sa.bindparam("p_key"))

#: One specimen's row.
ROW = sa.select(_T).where(_ONE)
#: The same, locked for the transaction (``FOR UPDATE``; SQLite holds the database).
LOCK_ROW = ROW.with_for_update()
#: The rows of ``p_keys`` in one collection, locked for the transaction (batched registration).
LOCK_ROWS = (sa.select(_T).where(_IN_COLLECTION,
                                 _T.c.key.in_(sa.bindparam("p_keys", expanding=True)))
             .with_for_update())
#: Set the parameters' columns on one specimen's row.
UPDATE_ROW = sa.update(_T).where(_ONE)
#: Append one event; the parameters are its columns.
INSERT_EVENT = sa.insert(_E)
#: PostgreSQL: :data:`UPDATE_ROW` and one event (its columns as ``e_``-named parameters) in one
#: statement, a round trip less for each write of a busy upload thread.
UPDATE_ROW_WITH_EVENT = UPDATE_ROW.add_cte(sa.insert(_E).values({
    c.name: sa.bindparam(f"e_{c.name}", type_=c.type) for c in _E.columns if c.name != "id"
}).cte("event"))
#: The columns of an event row but its id.
EVENT_COLUMNS = tuple(c.name for c in _E.columns if c.name != "id")


def seen_write(columns: Iterable[str], events: int) -> sa.Select[Any]:
    """PostgreSQL: a guarded write in one statement, for a writer that has seen the row.

    It sets ``columns`` (their parameters by name, ``updated_at`` included) on the row of
    ``p_collection``/``p_key`` only while that row is as seen: lease ``g_owner``, state
    ``g_state``, ``updated_at`` ``g_updated_at`` (every write sets it); it appends ``events``
    events (columns as ``e0_at``, ``e1_at`` ...) only if the row was updated, and returns the
    row as written: no row means it had changed.
    """
    return _seen_write(tuple(sorted(set(columns))), events)


@cache
def _seen_write(columns: tuple[str, ...], events: int) -> sa.Select[Any]:
    moved = (sa.update(_T)
             .where(_ONE, _T.c.lease_owner == sa.bindparam("g_owner"),
                    _T.c.state == sa.bindparam("g_state"),
                    _T.c.updated_at == sa.bindparam("g_updated_at", type_=_T.c.updated_at.type))
             .values({name: sa.bindparam(name, type_=_T.c[name].type) for name in columns})
             .returning(*_T.c).cte("moved"))
    if not events:
        return sa.select(moved)
    rows = [sa.select(*(sa.bindparam(f"e{i}_{name}", type_=_E.c[name].type)
                        for name in EVENT_COLUMNS)).select_from(moved) for i in range(events)]
    logged = sa.insert(_E).from_select(list(EVENT_COLUMNS),
                                       rows[0] if events == 1 else sa.union_all(*rows))
    return sa.select(moved).add_cte(logged.cte("logged"))


_FREE = sa.and_(
    _IN_COLLECTION,
    _T.c.key.in_(sa.bindparam("p_keys", expanding=True)),
    sa.or_(_T.c.lease_owner.is_(None), _T.c.lease_owner == sa.bindparam("p_owner"),
           _T.c.lease_expires < sa.bindparam("p_now")),
)
#: The free ones of ``p_keys`` (no lease, the caller's own, or expired); on PostgreSQL locked,
#: skipping rows another transaction is claiming right now (SQLite holds the database).
_LOCK_FREE_KEYS = sa.select(_T.c.key).where(_FREE).with_for_update(skip_locked=True)
# The keys twice: without them beside the subquery, a ledger not yet analysed is planned as a
# nested loop over the whole collection on both sides.
_TAKE = sa.update(_T).where(_IN_COLLECTION, _T.c.key.in_(sa.bindparam("p_keys", expanding=True)),
                            _T.c.key.in_(_LOCK_FREE_KEYS))
#: Lease the free ones of ``p_keys`` in one statement; return their keys.
TAKE_KEYS = _TAKE.returning(_T.c.key)
#: Lease ``p_keys`` (one specimen) if free and return its row. A write in progress on the row
#: (its holder's lease being renewed) is waited for, then the row is checked again as it is.
TAKE_ROW = sa.update(_T).where(_FREE).returning(*_T.c)


def take_row_to_create(columns: Iterable[str]) -> sa.Select[Any]:
    """PostgreSQL: :data:`TAKE_ROW` that also records a NEW row's create intent, one statement.

    The free row of ``p_keys`` (one key) is locked as it is now (a write in progress on it is
    waited for), leased, and, if it was NEW, given ``columns`` (their parameters by name) and
    ``attempts`` + 1, and one event (its columns as ``e_``-named parameters). Returns the row
    as written with ``claimed_from``, its state before; no row: not free.
    """
    return _take_row_to_create(tuple(sorted(set(columns))))


@cache
def _take_row_to_create(columns: tuple[str, ...]) -> sa.Select[Any]:
    old = (sa.select(_T.c.collection, _T.c.key, _T.c.state.label("claimed_from")).where(_FREE)
           .with_for_update().cte("old"))
    was_new = old.c.claimed_from == State.NEW.value
    intent = {name: sa.case((was_new, sa.bindparam(name, type_=_T.c[name].type)),
                            else_=_T.c[name]) for name in columns}
    intent["attempts"] = sa.case((was_new, _T.c.attempts + 1), else_=_T.c.attempts)
    moved = (sa.update(_T)
             .where(_T.c.collection == old.c.collection, _T.c.key == old.c.key)
             .values(lease_owner=sa.bindparam("lease_owner"),
                     lease_expires=sa.bindparam("lease_expires"), **intent)
             .returning(*_T.c, old.c.claimed_from).cte("moved"))
    event = sa.select(*(sa.bindparam(f"e_{name}", type_=_E.c[name].type)
                        for name in EVENT_COLUMNS)).select_from(moved).where(
        moved.c.claimed_from == State.NEW.value)
    logged = sa.insert(_E).from_select(list(EVENT_COLUMNS), event).cte("logged")
    return sa.select(moved).add_cte(logged)


def row_params(collection: str, key: str, **values: Any) -> dict[str, Any]:
    """Parameters for :data:`ROW`, :data:`LOCK_ROW` and :data:`UPDATE_ROW` (``values``: SET)."""
    return {**values, "p_collection": collection, "p_key": key}


def lease_params(collection: str, keys: list[str], owner: str, now: datetime,
                 expires: datetime) -> dict[str, Any]:
    """Parameters for :data:`TAKE_KEYS` and the like: lease ``keys`` to ``owner`` until
    ``expires`` (``now`` decides which leases have expired)."""
    return {"p_collection": collection, "p_keys": keys, "p_owner": owner, "p_now": now,
            "lease_owner": owner, "lease_expires": expires}
