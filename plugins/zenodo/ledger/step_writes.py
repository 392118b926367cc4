"""The engine's per-step writes to the ledger: each one guarded by the specimen's lease.

An engine write names its ``owner`` and raises :class:`~zenodo.ledger.rows.LeaseLost` unless
the row's lease is that owner's (an expired lease holds until another worker claims the row),
so a stale worker never records remote ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zenodo.ledger import statements as sql
from zenodo.ledger.actor import Actor
from zenodo.ledger.rows import (
    FileEntry,
    LeaseLost,
    SpecimenNotFound,
    SpecimenRow,
    as_id,
    clip,
    confirm_file,
)
from zenodo.ledger.states import IllegalTransition, State
from zenodo.store.database import EngineHolder
from zenodo.store.tables import Specimen

_Change = Callable[[Mapping[str, Any], State], tuple[State, dict[str, Any], dict[str, Any]]]
_T = Specimen.__table__
_RESUMABLE = (State.NEW, State.DRAFTED, State.UPLOADED, State.STALE, State.UNKNOWN)
_UNKNOWN_KIND = "unknown:"
#: Fields :meth:`StepWriteMixin.transition` may set (state, keys, leases, timestamps: its own).
WRITABLE_FIELDS = frozenset(c.name for c in _T.columns) - {
    "collection", "key", "state", "prior_state", "lease_owner", "lease_expires",
    "created_at", "updated_at",
}
#: Remote ids: written as text whether given as int (Zenodo) or str (InvenioRDM).
ID_FIELDS = ("deposition_id", "record_id", "concept_recid")
#: The last-error columns, emptied once a specimen is published (its events keep the history).
CLEARED_ERROR: dict[str, Any] = {"last_error_kind": None, "last_error_status": None,
                                 "last_error_message": None, "last_error_at": None}


def writable(collection: str, key: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``fields`` as the ledger stores them (ids as text); refuse unknown columns."""
    unknown = set(fields) - WRITABLE_FIELDS
    if unknown:
        raise ValueError(f"specimen {collection}/{key}: unknown ledger fields {sorted(unknown)}")
    return {**fields, **{name: as_id(collection, key, name, fields[name])
                         for name in ID_FIELDS if name in fields}}


def published_values(collection: str, key: str, *, record_id: int | str, doi: str,
                     concept_doi: str | None = None,
                     concept_recid: int | str | None = None) -> dict[str, Any]:
    """The columns a move to PUBLISHED sets: the record's ids as the ledger stores them (ids
    as text), the last error cleared (a published specimen has no reason), no retry time."""
    return {"record_id": as_id(collection, key, "record_id", record_id), "doi": doi,
            "concept_doi": concept_doi,
            "concept_recid": as_id(collection, key, "concept_recid", concept_recid),
            **CLEARED_ERROR, "retry_after": None}


def published_detail(row: Mapping[str, Any], ids: Mapping[str, Any]) -> dict[str, Any]:
    """The event detail of a move to PUBLISHED: the ids, and the error it settles (the row
    forgets its last error, the event keeps it)."""
    detail: dict[str, Any] = {"record_id": ids["record_id"], "doi": ids["doi"]}
    if row.get("last_error_kind") or row.get("last_error_message"):
        detail["settled_error"] = {"kind": row.get("last_error_kind"),
                                   "message": row.get("last_error_message")}
    return detail


class StepWriteMixin:
    """The lease holder's writes of :class:`~zenodo.ledger.ledger.Ledger`, one per engine step.

    Each takes ``seen``, the row as the writer last saw it (the one its last write returned):
    on PostgreSQL the write is then one round trip while the row is still so (see
    :meth:`_guarded`).
    """

    _db: EngineHolder
    _clock: Callable[[], datetime]
    # Ledger's row primitives, which the guarded transaction uses.
    _lock: Callable[[sa.Connection, str, str], Mapping[str, Any] | None]
    _update: Callable[..., None]
    _moved: Callable[..., dict[str, Any]]

    def transition(
        self, collection: str, key: str, to: State, *, owner: str, actor: Actor = None,
        detail: Mapping[str, Any] | None = None,
        expect: Iterable[State] | None = None, seen: SpecimenRow | None = None, **fields: Any,
    ) -> SpecimenRow:
        """Move a leased specimen to ``to`` (or stay, if equal) and update fields, atomically.

        :param to: the target state; one event is written only when the state changes.
        :param owner: must hold the specimen's lease, else :class:`LeaseLost`.
        :param expect: when given, the states the specimen must be in (else IllegalTransition).
        :param fields: columns to set (see ``WRITABLE_FIELDS``); ids (``ID_FIELDS``) may be
            int or str and are stored as text.
        """
        fields = writable(collection, key, fields)
        return self._guarded(collection, key, owner, actor, lambda _row, _state: (
            State(to), fields, dict(detail or {})), expect=expect, to=State(to), seen=seen)

    def record_draft(self, collection: str, key: str, *, owner: str, deposition_id: int | str,
                     bucket_url: str, actor: Actor = None,
                     seen: SpecimenRow | None = None) -> SpecimenRow:
        """Persist a new (or newly found) draft deposition (its id stored as text): DRAFTED."""
        dep = as_id(collection, key, "deposition_id", deposition_id)
        return self.transition(collection, key, State.DRAFTED, owner=owner, actor=actor,
                               detail={"deposition_id": dep}, deposition_id=dep,
                               bucket_url=bucket_url, seen=seen)

    def record_file(self, collection: str, key: str, *, owner: str, name: str, size: int,
                    md5: str, actor: Actor = None, seen: SpecimenRow | None = None,
                    ) -> SpecimenRow:
        """Mark one file confirmed by the server (md5 matched); the state stays DRAFTED."""
        return self._guarded(collection, key, owner, actor,
                             self._file_confirmed(collection, key, name, size, md5),
                             expect=(State.DRAFTED, State.UPLOADED), seen=seen)

    @staticmethod
    def _file_confirmed(collection: str, key: str, name: str, size: int, md5: str) -> _Change:
        """The change that marks file ``name`` uploaded, after checking size and md5."""
        return lambda row, state: (state, {"files": confirm_file(
            collection, key, row["files"], name=name, size=size, md5=md5)}, {})

    def reset_files(self, collection: str, key: str, *, owner: str,
                    actor: Actor = None) -> SpecimenRow:
        """Mark every file not uploaded (e.g. a new draft); UPLOADED goes back to DRAFTED."""
        def change(row: Mapping[str, Any], _state: State) -> tuple[State, dict[str, Any], dict]:
            files = [FileEntry(*FileEntry(**f).identity) for f in row["files"]]
            return State.DRAFTED, {"files": [f.to_json() for f in files]}, {"reset_files": 1}
        return self._guarded(collection, key, owner, actor, change,
                             expect=(State.DRAFTED, State.UPLOADED))

    def record_uploaded(self, collection: str, key: str, *, owner: str, actor: Actor = None,
                        files: Iterable[tuple[str, int, str]] = (),
                        intent: str | None = None,
                        seen: SpecimenRow | None = None) -> SpecimenRow:
        """Move to UPLOADED; every file must have been confirmed with :meth:`record_file`.

        In the same transaction (one event per state change, as if written one by one):

        :param files: ``(name, size, md5)`` of files the server just confirmed, marked first.
        :param intent: the next write (``publish``), recorded as UNKNOWN right after UPLOADED
            (see :meth:`record_unknown`); send it only after this returns.
        """
        def uploaded(row: Mapping[str, Any], _state: State) -> tuple[State, dict[str, Any], dict]:
            missing = [f["name"] for f in row["files"] if not f["uploaded"]]
            if missing:
                raise ValueError(f"specimen {collection}/{key}: files not uploaded: {missing}")
            return State.UPLOADED, {}, {}
        changes = [self._file_confirmed(collection, key, *f) for f in files]
        changes.append(uploaded)
        if intent is not None:
            changes.append(self._unknown(intent))
        return self._guarded(collection, key, owner, actor, *changes,
                             expect=(State.DRAFTED, State.UPLOADED) if files else None,
                             seen=seen)

    def record_published(self, collection: str, key: str, *, owner: str, record_id: int | str,
                         doi: str, concept_doi: str | None = None,
                         concept_recid: int | str | None = None, verified: bool = False,
                         actor: Actor = None, release: bool = False,
                         seen: SpecimenRow | None = None) -> SpecimenRow:
        """Persist the published record's ids (as text): PUBLISHED (VERIFIED when ``verified``).

        The last error (e.g. the ``publish sent; outcome not yet seen`` of the publish intent)
        is cleared: a published specimen has no reason; the event's detail keeps it.

        :param release: also give up ``owner``'s lease, in the same transaction (the specimen
            needs no more writes).
        """
        values = published_values(collection, key, record_id=record_id, doi=doi,
                                  concept_doi=concept_doi, concept_recid=concept_recid)
        to = State.VERIFIED if verified else State.PUBLISHED

        def published(row: Mapping[str, Any], _state: State) -> tuple[State, dict[str, Any],
                                                                      dict]:
            return to, values, published_detail(row, values)
        return self._guarded(collection, key, owner, actor, published, release=release,
                             seen=seen)

    def record_failure(self, collection: str, key: str, *, owner: str, kind: str,
                       message: str, status: int | None = None,
                       retry_after: datetime | timedelta | float | None = None,
                       actor: Actor = None, seen: SpecimenRow | None = None) -> SpecimenRow:
        """Record a failure: FAILED, attempts + 1; retried after ``retry_after`` (None: never).

        :param kind: a short machine-readable class, e.g. ``validation``, ``server``.
        :param retry_after: when it may be retried: a datetime, a delay from now, or epoch
            seconds (float); None means a permanent failure (retried when the source changes).
        """
        now = self._clock()
        if isinstance(retry_after, timedelta):
            when: datetime | None = now + retry_after
        elif isinstance(retry_after, int | float):
            when = datetime.fromtimestamp(retry_after, UTC)
        else:
            when = retry_after
        return self._error(collection, key, owner, actor, seen, State.FAILED, {
            "last_error_kind": kind, "last_error_status": status, "last_error_message": clip(
                message), "last_error_at": now, "retry_after": when})

    def record_unknown(self, collection: str, key: str, *, owner: str, operation: str,
                       message: str | None = None, actor: Actor = None,
                       seen: SpecimenRow | None = None) -> SpecimenRow:
        """Record a write whose outcome is unknown: UNKNOWN, to be resolved by a lookup.

        :param operation: the write, e.g. ``create``, ``publish``, ``newversion``.
        :param message: why; by default the intent's ``<operation> sent; outcome not yet seen``
            (recorded just before the write is sent).
        """
        return self._guarded(collection, key, owner, actor, self._unknown(operation, message),
                             seen=seen)

    def _unknown(self, operation: str, message: str | None = None) -> _Change:
        """The change that records a write in doubt (UNKNOWN with the operation); without a
        message, the intent recorded before it is sent."""
        return self._error_change(State.UNKNOWN, {
            "last_error_kind": f"{_UNKNOWN_KIND}{operation}"[:50], "last_error_status": None,
            "last_error_message": clip(message or f"{operation} sent; outcome not yet seen"),
            "last_error_at": self._clock()})

    @staticmethod
    def pending_operation(row: SpecimenRow) -> str | None:
        """Return the write whose outcome an UNKNOWN specimen waits on (e.g. ``create``)."""
        kind = row.last_error_kind or ""
        if row.state != State.UNKNOWN or not kind.startswith(_UNKNOWN_KIND):
            return None
        return kind.removeprefix(_UNKNOWN_KIND)

    def retry(self, collection: str, key: str, *, owner: str, actor: Actor = None,
              seen: SpecimenRow | None = None) -> State:
        """Move a FAILED specimen back to the state it failed in and return that state.

        A specimen that failed while a write's outcome was unknown goes back to UNKNOWN (look it
        up first); one with no recorded prior state goes to NEW.
        """
        def change(row: Mapping[str, Any], _state: State) -> tuple[State, dict[str, Any], dict]:
            prior = State(row["prior_state"]) if row["prior_state"] else State.NEW
            return (prior if prior in _RESUMABLE else State.NEW), {}, {"retry": 1}
        return self._guarded(collection, key, owner, actor, change, expect=(State.FAILED,),
                             to=State.NEW, seen=seen).state

    def _error(self, collection: str, key: str, owner: str, actor: Actor,
               seen: SpecimenRow | None, to: State, values: dict[str, Any]) -> SpecimenRow:
        return self._guarded(collection, key, owner, actor, self._error_change(to, values),
                             seen=seen)

    @staticmethod
    def _error_change(to: State, values: dict[str, Any]) -> _Change:
        def change(row: Mapping[str, Any], _state: State) -> tuple[State, dict[str, Any], dict]:
            return to, {**values, "attempts": row["attempts"] + 1}, {
                "kind": values["last_error_kind"], "status": values["last_error_status"]}
        return change

    # -- the guarded transaction --

    def _guarded(self, collection: str, key: str, owner: str, actor: Actor, *changes: _Change,
                 expect: Iterable[State] | None = None, to: State | None = None,
                 release: bool = False, seen: SpecimenRow | None = None) -> SpecimenRow:
        """Apply ``changes`` in order to the leased row in one transaction; return the result.

        Each change sees the row as the previous one left it and writes its own event.

        :param release: clear the lease in the same transaction.
        :param seen: the row as this writer last saw it: on PostgreSQL the write is then one
            statement that applies only while the row is still so (else the row is locked and
            the changes applied to it as it is).
        """
        if seen is not None and self._db.engine.dialect.name == "postgresql":
            row = self._write_seen(seen.as_mapping(), owner, actor, changes, expect, release)
            if row is not None:
                return row
        with self._db.write() as conn:
            now = self._clock()
            locked = self._lock(conn, collection, key)
            if locked is None:
                raise SpecimenNotFound(collection, key)
            if locked["lease_owner"] != owner:
                raise LeaseLost(collection, key, owner, locked["lease_owner"])
            state = State(locked["state"])
            if expect is not None and state not in set(expect):
                raise IllegalTransition(collection, key, state, to or state,
                                        f"needs {'/'.join(sorted(expect))}")
            written, events = self._changed(locked, changes, now, actor, release)
            self._update(conn, collection, key, written, now, events)
            return SpecimenRow.from_mapping({**locked, **written, "updated_at": now})

    def _write_seen(self, seen: Mapping[str, Any], owner: str, actor: Actor,
                    changes: tuple[_Change, ...], expect: Iterable[State] | None,
                    release: bool) -> SpecimenRow | None:
        """Apply ``changes`` to the row as ``seen`` in one autocommitted statement; return the
        row written, or None when it is no longer as seen or the changes refuse it as seen
        (the caller then does the write on the locked row, which raises the true error)."""
        if seen["lease_owner"] != owner or (
                expect is not None and State(seen["state"]) not in set(expect)):
            return None
        now = self._clock()
        try:
            written, events = self._changed(seen, changes, now, actor, release)
        except ValueError:  # IllegalTransition, or a file the server has otherwise
            return None
        params = sql.row_params(seen["collection"], seen["key"], **written, updated_at=now,
                                g_owner=owner, g_state=seen["state"],
                                g_updated_at=seen["updated_at"])
        for i, event in enumerate(events):
            params.update({f"e{i}_{name}": value for name, value in event.items()})
        with self._db.single_write() as conn:
            row = conn.execute(sql.seen_write([*written, "updated_at"], len(events)),
                               params).mappings().first()
        return SpecimenRow.from_mapping(row) if row is not None else None

    def _changed(self, row: Mapping[str, Any], changes: tuple[_Change, ...], now: datetime,
                 actor: Actor, release: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Run ``changes`` on ``row`` in order; return the values to write and their events."""
        current, written = dict(row), {}
        events: list[dict[str, Any]] = []
        for change in changes:
            target, values, detail = change(current, State(current["state"]))
            values = self._moved(current, target, values, now, actor, detail, events)
            current.update(values)
            written.update(values)
        if release:
            written.update(lease_owner=None, lease_expires=None)
        return written, events
