"""The life of one specimen in the ledger: its states and the transitions allowed between them.

The happy path is ``NEW → DRAFTED → UPLOADED → PUBLISHED → VERIFIED``. Around it a step may
fail (``FAILED``, retried from where it stopped) or end ``UNKNOWN`` (resolved by looking the
record up, never by writing again); bad input is ``QUARANTINED`` until a valid row comes; a
published specimen whose source or mapping changed turns ``STALE`` and is edited or versioned;
reconciliation adopts, demotes VERIFIED to PUBLISHED, and re-queues vanished records to NEW.
A same-state "transition" is always allowed: it only updates fields and writes no event.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """A specimen's state in the ledger."""

    NEW = "NEW"
    DRAFTED = "DRAFTED"
    UPLOADED = "UPLOADED"
    PUBLISHED = "PUBLISHED"
    VERIFIED = "VERIFIED"
    FAILED = "FAILED"
    QUARANTINED = "QUARANTINED"
    STALE = "STALE"
    UNKNOWN = "UNKNOWN"


#: States in which the engine still has requests to send for the specimen.
IN_FLIGHT: frozenset[State] = frozenset({State.NEW, State.DRAFTED, State.UPLOADED, State.STALE})

#: States that need no more work until something changes.
FINAL: frozenset[State] = frozenset({State.PUBLISHED, State.VERIFIED, State.QUARANTINED})

#: States that reconciliation may adopt straight to PUBLISHED / VERIFIED.
ADOPTABLE: frozenset[State] = frozenset(State) - FINAL

_EDGES: dict[State, frozenset[State]] = {
    State.NEW: frozenset({State.DRAFTED, State.QUARANTINED}),
    State.DRAFTED: frozenset({State.UPLOADED, State.NEW, State.QUARANTINED}),
    State.UPLOADED: frozenset({State.PUBLISHED, State.DRAFTED, State.QUARANTINED}),
    State.PUBLISHED: frozenset({State.VERIFIED, State.STALE, State.NEW, State.QUARANTINED}),
    State.VERIFIED: frozenset({State.PUBLISHED, State.STALE, State.NEW, State.QUARANTINED}),
    State.FAILED: frozenset({State.NEW, State.DRAFTED, State.UPLOADED, State.STALE,
                             State.QUARANTINED}),
    State.QUARANTINED: frozenset({State.NEW, State.DRAFTED, State.STALE, State.PUBLISHED}),
    State.STALE: frozenset({State.DRAFTED, State.NEW, State.QUARANTINED}),
    State.UNKNOWN: frozenset({State.NEW, State.DRAFTED, State.UPLOADED, State.STALE}),
}


def _allowed() -> frozenset[tuple[State, State]]:
    pairs = {(src, dst) for src, dsts in _EDGES.items() for dst in dsts}
    pairs |= {(src, to) for src in IN_FLIGHT for to in (State.FAILED, State.UNKNOWN)}
    pairs |= {(State.UNKNOWN, State.FAILED), (State.FAILED, State.UNKNOWN)}
    pairs |= {(src, to) for src in ADOPTABLE for to in (State.PUBLISHED, State.VERIFIED)}
    return frozenset(pairs)


#: Every allowed (from, to) pair of distinct states.
ALLOWED_TRANSITIONS: frozenset[tuple[State, State]] = _allowed()


class IllegalTransition(ValueError):
    """A state change the table does not allow was asked for."""

    def __init__(
        self, collection: str, key: str, from_state: State, to_state: State, note: str = ""
    ) -> None:
        self.collection = collection
        self.key = key
        self.from_state = from_state
        self.to_state = to_state
        message = f"specimen {collection}/{key}: illegal transition {from_state} -> {to_state}"
        super().__init__(f"{message} ({note})" if note else message)


def is_allowed(from_state: State, to_state: State) -> bool:
    """Tell whether the ledger may move a specimen from one state to another.

    :param from_state: the state the specimen is in.
    :param to_state: the state asked for; equal to ``from_state`` is a field update, always allowed.
    """
    return from_state == to_state or (from_state, to_state) in ALLOWED_TRANSITIONS


def check_transition(collection: str, key: str, from_state: State, to_state: State) -> None:
    """Raise :class:`IllegalTransition` unless the move is allowed.

    :param collection: the specimen's collection, named in the error.
    :param key: the specimen's key, named in the error.
    """
    if not is_allowed(from_state, to_state):
        raise IllegalTransition(collection, key, from_state, to_state)
