"""Many leased specimens moved in one transaction: reconciliation's verifications and adoptions,
the upload engine's published records.

One transaction locks a page of rows with one query, checks each one's lease and state, appends
one event per move (its reason, whether or not the state changes) and updates the rows
together, so a full reconciliation commits once a page, not once a specimen. A key whose lease
is lost or whose state is not the expected one is left as it was and returned with its error;
the others move.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zenodo.ledger import statements as sql
from zenodo.ledger.actor import Actor
from zenodo.ledger.rows import LeaseLost, SpecimenNotFound
from zenodo.ledger.states import IllegalTransition, State, check_transition
from zenodo.ledger.step_writes import writable
from zenodo.store.database import EngineHolder

MoveError = LeaseLost | IllegalTransition | SpecimenNotFound


@dataclass(frozen=True)
class Move:
    """One specimen's move: to ``to`` from one of ``expect``, setting ``fields``.

    :param detail: the event's detail (why it moved).
    :param release: give the lease up in the same write (the specimen needs no more).
    """

    key: str
    to: State
    expect: tuple[State, ...]
    detail: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)
    release: bool = False


class BatchMoveMixin:
    """:meth:`move_many` of :class:`~zenodo.ledger.ledger.Ledger`."""

    _db: EngineHolder
    _clock: Callable[[], datetime]
    _prior: Callable[[Mapping[str, Any], State, State], str | None]
    _event_params: Callable[..., dict[str, Any]]

    def move_many(self, collection: str, moves: Sequence[Move], *, owner: str,
                  actor: Actor = None) -> dict[str, MoveError]:
        """Apply the moves of leased specimens in one transaction; return the refused ones.

        :param owner: must hold each specimen's lease; one it does not hold is refused
            (:class:`LeaseLost`), as is one not in an expected state (:class:`IllegalTransition`).
        :return: key -> why its move was refused (nothing was written for it).
        """
        if len({m.key for m in moves}) != len(moves):
            raise ValueError(f"collection {collection}: a key is moved twice in one batch")
        values = {m.key: writable(collection, m.key, m.fields) for m in moves}
        if not moves:
            return {}
        with self._db.write() as conn:
            now = self._clock()
            found = {r["key"]: r for r in conn.execute(sql.LOCK_ROWS, {
                "p_collection": collection, "p_keys": [m.key for m in moves]}).mappings()}
            refused: dict[str, MoveError] = {}
            events: list[dict[str, Any]] = []
            updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for move in moves:
                row = found.get(move.key)
                error = self._refusal(collection, move, row, owner)
                if error is not None:
                    refused[move.key] = error
                    continue
                assert row is not None
                state = State(row["state"])
                events.append(self._event_params(collection, move.key, state, move.to, now,
                                                 actor, move.detail))
                params = sql.row_params(collection, move.key, **values[move.key],
                                        state=move.to.value,
                                        prior_state=self._prior(row, state, move.to),
                                        updated_at=now)
                if move.release:
                    params.update(lease_owner=None, lease_expires=None)
                updates.setdefault(tuple(sorted(params)), []).append(params)
            if events:
                conn.execute(sql.INSERT_EVENT, events)
            for group in updates.values():
                conn.execute(sql.UPDATE_ROW, group)
        return refused

    @staticmethod
    def _refusal(collection: str, move: Move, row: Mapping[str, Any] | None,
                 owner: str) -> MoveError | None:
        """Return why ``move`` may not be applied to ``row``, or None when it may."""
        if row is None:
            return SpecimenNotFound(collection, move.key)
        if row["lease_owner"] != owner:
            return LeaseLost(collection, move.key, owner, row["lease_owner"])
        state = State(row["state"])
        if state not in move.expect:
            return IllegalTransition(collection, move.key, state, move.to,
                                     f"needs {'/'.join(sorted(move.expect))}")
        try:
            check_transition(collection, move.key, state, move.to)
        except IllegalTransition as exc:
            return exc
        return None
