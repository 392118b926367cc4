"""The ledger: one row per specimen, every state change one guarded write with its event.

Each public write is one short transaction: lock the row, check the lease and the transition,
update the row and append one event per state change. An engine write names its ``owner`` and
raises :class:`LeaseLost` unless the row's lease is that owner's (an expired lease holds until
another worker claims the row), so a stale worker never records remote ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zenodo.ledger import statements as sql
from zenodo.ledger.actor import Actor, actor_or_default
from zenodo.ledger.leases import LeaseMixin
from zenodo.ledger.registration import plan_registration
from zenodo.ledger.rows import (
    EventRow,
    FileEntry,
    LeaseLost,
    SpecimenNotFound,
    SpecimenRow,
    Watermarks,
    as_id,
    clip,
    confirm_file,
    parse_files,
)
from zenodo.ledger.states import IllegalTransition, State, check_transition
from zenodo.store import database as ledger_db
from zenodo.store.tables import Event, Specimen

__all__ = ["EventRow", "FileEntry", "IllegalTransition", "LeaseLost", "Ledger",
           "SpecimenNotFound", "SpecimenRow", "State", "Watermarks"]

_Change = Callable[[Mapping[str, Any], State], tuple[State, dict[str, Any], dict[str, Any]]]
_T = Specimen.__table__
_E = Event.__table__
_NEEDS_WORK = (State.NEW, State.DRAFTED, State.UPLOADED, State.UNKNOWN, State.STALE)
_RESUMABLE = (State.NEW, State.DRAFTED, State.UPLOADED, State.STALE, State.UNKNOWN)
_UNKNOWN_KIND = "unknown:"
#: Fields :meth:`Ledger.transition` may set (state, keys, leases and timestamps are its own).
WRITABLE_FIELDS = frozenset(c.name for c in _T.columns) - {
    "collection", "key", "state", "prior_state", "lease_owner", "lease_expires",
    "created_at", "updated_at",
}
#: Remote ids: written as text whether given as int (Zenodo) or str (InvenioRDM).
ID_FIELDS = ("deposition_id", "record_id", "concept_recid")


class Ledger(LeaseMixin):
    """Repository of specimens' states, on SQLite or PostgreSQL.

    :param url: SQLAlchemy URL of the ledger database; no I/O happens until first use.
    :param clock: returns the current aware datetime (tests inject one).
    """

    def __init__(self, url: str, *, clock: Callable[[], datetime] | None = None) -> None:
        self._db = ledger_db.EngineHolder(url)
        self._clock = clock or (lambda: datetime.now(UTC))

    @property
    def url(self) -> str:
        """Return the database URL (with its password: never log it)."""
        return self._db.url

    @property
    def engine(self) -> sa.Engine:
        """Return this process's engine (shared with a :class:`~zenodo.traffic.pacer.Pacer`)."""
        return self._db.engine

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration, in place."""
        ledger_db.upgrade(self._db.engine)

    def dispose(self) -> None:
        """Close pooled connections."""
        self._db.dispose()

    # -- registration by the validate / map step (no lease: it runs before the upload) --

    def register(
        self, collection: str, key: str, *, metadata_hash: str, files: Iterable[Any],
        mapping_name: str, mapping_version: str | int, source_modified: datetime | None,
        actor: Actor = None,
    ) -> State:
        """Upsert a valid, mapped specimen and return its state.

        New key: NEW. Published one whose metadata, mapping or files changed: STALE (ids kept).
        Quarantined one: leaves quarantine. UPLOADED whose files changed: DRAFTED. Otherwise the
        state stays and the new hash/files are stored (a FAILED one becomes due at once).

        :param files: mappings with ``name``, ``size`` and ``md5``.
        """
        entries = parse_files(collection, key, files)
        new: dict[str, Any] = {
            "metadata_hash": metadata_hash, "mapping_name": mapping_name,
            "mapping_version": str(mapping_version), "source_modified": source_modified,
        }

        def work(conn: sa.Connection) -> State:
            now = self._clock()
            row = self._lock(conn, collection, key)
            plan = plan_registration(
                None if row is None else SpecimenRow.from_mapping(row), files=entries,
                metadata_hash=metadata_hash, mapping_name=mapping_name,
                mapping_version=str(mapping_version),
            )
            if row is not None and not plan.rewrite:
                if source_modified is not None:
                    self._update(conn, collection, key, {"source_modified": source_modified}, now)
                return plan.state
            new["files"] = [f.to_json() for f in plan.files]
            if row is None:
                self._insert(conn, collection, key, plan.state, new, now, actor, {"register": 1})
                return plan.state
            if row["state"] == State.QUARANTINED.value:
                new["quarantine_reasons"] = None
            if row["state"] == State.FAILED.value:
                new["retry_after"] = now
            self._apply(conn, row, plan.state, new, now, actor, {"register": 1})
            return plan.state

        return self._db.write_retrying(work)

    def quarantine(
        self, collection: str, key: str, reasons: Sequence[str], *,
        source_modified: datetime | None, actor: Actor = None,
    ) -> None:
        """Mark a specimen's source as bad input, with the reasons; not retried until it changes.

        :param reasons: human-readable problems, each naming the field.
        """
        if not reasons or not all(isinstance(r, str) and r for r in reasons):
            raise ValueError(f"specimen {collection}/{key}: quarantine needs non-empty reasons")
        values = {"quarantine_reasons": list(reasons), "source_modified": source_modified}

        def work(conn: sa.Connection) -> None:
            now = self._clock()
            row = self._lock(conn, collection, key)
            if row is None:
                values["files"] = []
                self._insert(conn, collection, key, State.QUARANTINED, values, now, actor,
                             {"reasons": list(reasons)})
                return
            self._apply(conn, row, State.QUARANTINED, values, now, actor,
                        {"reasons": list(reasons)})

        self._db.write_retrying(work)

    # -- reads --

    def get(self, collection: str, key: str) -> SpecimenRow | None:
        """Return a snapshot of one specimen, or None when the ledger has none."""
        with self._db.read() as conn:
            row = conn.execute(sql.ROW, sql.row_params(collection, key)).mappings().first()
        return SpecimenRow.from_mapping(row) if row else None

    def keys_needing_work(
        self, collection: str, *, now: datetime | None = None, limit: int | None = None
    ) -> list[str]:
        """Return, ordered by key, the specimens the engine still has to drive.

        That is NEW, DRAFTED, UPLOADED, UNKNOWN and STALE ones, and FAILED ones whose
        ``retry_after`` has passed (a FAILED one without ``retry_after`` is permanent).
        """
        now = now or self._clock()
        due_failure = sa.and_(
            _T.c.state == State.FAILED.value, _T.c.retry_after.is_not(None),
            _T.c.retry_after <= now,
        )
        query = (
            sa.select(_T.c.key)
            .where(_T.c.collection == collection,
                   sa.or_(_T.c.state.in_([s.value for s in _NEEDS_WORK]), due_failure))
            .order_by(_T.c.key)
            .limit(limit)
        )
        with self._db.read() as conn:
            return list(conn.execute(query).scalars())

    def counts(self, collection: str) -> dict[State, int]:
        """Return how many specimens are in each state (every state present)."""
        query = (sa.select(_T.c.state, sa.func.count()).where(_T.c.collection == collection)
                 .group_by(_T.c.state))
        with self._db.read() as conn:
            found = {State(s): n for s, n in conn.execute(query)}
        return {state: found.get(state, 0) for state in State}

    def rows(
        self, collection: str, states: Iterable[State] | None = None, *, page: int = 1000
    ) -> Iterator[SpecimenRow]:
        """Yield every specimen of a collection by key, a page per short transaction."""
        wanted = [State(s).value for s in states] if states is not None else None
        after: str | None = None
        while True:
            query = sa.select(_T).where(_T.c.collection == collection)
            if wanted is not None:
                query = query.where(_T.c.state.in_(wanted))
            if after is not None:
                query = query.where(_T.c.key > after)
            with self._db.read() as conn:
                batch = conn.execute(query.order_by(_T.c.key).limit(page)).mappings().all()
            yield from (SpecimenRow.from_mapping(r) for r in batch)
            if len(batch) < page:
                return
            after = batch[-1]["key"]

    def events(self, collection: str, key: str | None = None) -> list[EventRow]:
        """Return the recorded state changes of a collection (or one specimen), oldest first."""
        query = sa.select(_E).where(_E.c.collection == collection)
        if key is not None:
            query = query.where(_E.c.key == key)
        with self._db.read() as conn:
            found = conn.execute(query.order_by(_E.c.id)).mappings().all()
        return [
            EventRow(id=r["id"], collection=r["collection"], key=r["key"],
                     from_state=State(r["from_state"]) if r["from_state"] else None,
                     to_state=State(r["to_state"]), at=r["at"], actor=r["actor"],
                     detail=r["detail"])
            for r in found
        ]

    # -- guarded writes by the lease holder --

    def transition(
        self, collection: str, key: str, to: State, *, owner: str, actor: Actor = None,
        detail: Mapping[str, Any] | None = None,
        expect: Iterable[State] | None = None, **fields: Any,
    ) -> SpecimenRow:
        """Move a leased specimen to ``to`` (or stay, if equal) and update fields, atomically.

        :param to: the target state; one event is written only when the state changes.
        :param owner: must hold the specimen's lease, else :class:`LeaseLost`.
        :param expect: when given, the states the specimen must be in (else IllegalTransition).
        :param fields: columns to set (see ``WRITABLE_FIELDS``); ids (``ID_FIELDS``) may be
            int or str and are stored as text.
        """
        unknown = set(fields) - WRITABLE_FIELDS
        if unknown:
            raise ValueError(
                f"specimen {collection}/{key}: unknown ledger fields {sorted(unknown)}"
            )
        fields.update({name: as_id(collection, key, name, fields[name])
                       for name in ID_FIELDS if name in fields})
        return self._guarded(collection, key, owner, actor, lambda _row, _state: (
            State(to), fields, dict(detail or {})), expect=expect, to=State(to))

    def record_draft(self, collection: str, key: str, *, owner: str, deposition_id: int | str,
                     bucket_url: str, actor: Actor = None) -> SpecimenRow:
        """Persist a new (or newly found) draft deposition (its id stored as text): DRAFTED."""
        dep = as_id(collection, key, "deposition_id", deposition_id)
        return self.transition(collection, key, State.DRAFTED, owner=owner, actor=actor,
                               detail={"deposition_id": dep}, deposition_id=dep,
                               bucket_url=bucket_url)

    def record_file(self, collection: str, key: str, *, owner: str, name: str, size: int,
                    md5: str, actor: Actor = None) -> SpecimenRow:
        """Mark one file confirmed by the server (md5 matched); the state stays DRAFTED."""
        return self._guarded(collection, key, owner, actor,
                             self._file_confirmed(collection, key, name, size, md5),
                             expect=(State.DRAFTED, State.UPLOADED))

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
                        intent: str | None = None) -> SpecimenRow:
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
            changes.append(self._unknown(intent, f"{intent} sent; outcome not yet seen"))
        return self._guarded(collection, key, owner, actor, *changes,
                             expect=(State.DRAFTED, State.UPLOADED) if files else None)

    def record_published(self, collection: str, key: str, *, owner: str, record_id: int | str,
                         doi: str, concept_doi: str | None = None,
                         concept_recid: int | str | None = None, verified: bool = False,
                         actor: Actor = None, release: bool = False) -> SpecimenRow:
        """Persist the published record's ids (as text): PUBLISHED (VERIFIED when ``verified``).

        :param release: also give up ``owner``'s lease, in the same transaction (the specimen
            needs no more writes).
        """
        ids = {
            "record_id": as_id(collection, key, "record_id", record_id), "doi": doi,
            "concept_doi": concept_doi,
            "concept_recid": as_id(collection, key, "concept_recid", concept_recid),
        }
        to = State.VERIFIED if verified else State.PUBLISHED
        detail = {"record_id": ids["record_id"], "doi": doi}
        return self._guarded(collection, key, owner, actor, lambda _row, _state: (
            to, {**ids, "retry_after": None}, detail), release=release)

    def record_failure(self, collection: str, key: str, *, owner: str, kind: str,
                       message: str, status: int | None = None,
                       retry_after: datetime | timedelta | float | None = None,
                       actor: Actor = None) -> SpecimenRow:
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
        return self._error(collection, key, owner, actor, State.FAILED, {
            "last_error_kind": kind, "last_error_status": status, "last_error_message": clip(
                message), "last_error_at": now, "retry_after": when})

    def record_unknown(self, collection: str, key: str, *, owner: str, operation: str,
                       message: str, actor: Actor = None) -> SpecimenRow:
        """Record a write whose outcome is unknown: UNKNOWN, to be resolved by a lookup.

        :param operation: the write, e.g. ``create``, ``publish``, ``newversion``.
        """
        return self._guarded(collection, key, owner, actor, self._unknown(operation, message))

    def _unknown(self, operation: str, message: str) -> _Change:
        """The change that records a write in doubt (UNKNOWN with the operation)."""
        return self._error_change(State.UNKNOWN, {
            "last_error_kind": f"{_UNKNOWN_KIND}{operation}"[:50], "last_error_status": None,
            "last_error_message": clip(message), "last_error_at": self._clock()})

    @staticmethod
    def pending_operation(row: SpecimenRow) -> str | None:
        """Return the write whose outcome an UNKNOWN specimen waits on (e.g. ``create``)."""
        kind = row.last_error_kind or ""
        if row.state != State.UNKNOWN or not kind.startswith(_UNKNOWN_KIND):
            return None
        return kind.removeprefix(_UNKNOWN_KIND)

    def retry(self, collection: str, key: str, *, owner: str, actor: Actor = None) -> State:
        """Move a FAILED specimen back to the state it failed in and return that state.

        A specimen that failed while a write's outcome was unknown goes back to UNKNOWN (look it
        up first); one with no recorded prior state goes to NEW.
        """
        def change(row: Mapping[str, Any], _state: State) -> tuple[State, dict[str, Any], dict]:
            prior = State(row["prior_state"]) if row["prior_state"] else State.NEW
            return (prior if prior in _RESUMABLE else State.NEW), {}, {"retry": 1}
        return self._guarded(collection, key, owner, actor, change, expect=(State.FAILED,),
                             to=State.NEW).state

    def _error(self, collection: str, key: str, owner: str, actor: Actor, to: State,
               values: dict[str, Any]) -> SpecimenRow:
        return self._guarded(collection, key, owner, actor, self._error_change(to, values))

    @staticmethod
    def _error_change(to: State, values: dict[str, Any]) -> _Change:
        def change(row: Mapping[str, Any], _state: State) -> tuple[State, dict[str, Any], dict]:
            return to, {**values, "attempts": row["attempts"] + 1}, {
                "kind": values["last_error_kind"], "status": values["last_error_status"]}
        return change

    # -- internals --

    def _guarded(self, collection: str, key: str, owner: str, actor: Actor, *changes: _Change,
                 expect: Iterable[State] | None = None, to: State | None = None,
                 release: bool = False) -> SpecimenRow:
        """Apply ``changes`` in order to the leased row in one transaction; return the result.

        Each change sees the row as the previous one left it and writes its own event.

        :param release: clear the lease in the same transaction.
        """
        with self._db.write() as conn:
            now = self._clock()
            row = self._lock(conn, collection, key)
            if row is None:
                raise SpecimenNotFound(collection, key)
            if row["lease_owner"] != owner:
                raise LeaseLost(collection, key, owner, row["lease_owner"])
            state = State(row["state"])
            if expect is not None and state not in set(expect):
                raise IllegalTransition(collection, key, state, to or state,
                                        f"needs {'/'.join(sorted(expect))}")
            current, written = dict(row), {}
            for change in changes:
                target, values, detail = change(current, State(current["state"]))
                values = self._moved(conn, current, target, values, now, actor, detail)
                current.update(values)
                written.update(values)
            if release:
                written.update(lease_owner=None, lease_expires=None)
            self._update(conn, collection, key, written, now)
            return SpecimenRow.from_mapping({**current, **written, "updated_at": now})

    @staticmethod
    def _prior(row: Mapping[str, Any], state: State, to: State) -> str | None:
        if to != state and to in (State.FAILED, State.UNKNOWN, State.QUARANTINED):
            return state.value
        return row["prior_state"]

    def _apply(self, conn: sa.Connection, row: Mapping[str, Any], to: State,
               values: dict[str, Any], now: datetime, actor: Actor,
               detail: dict) -> dict[str, Any]:
        """Move ``row`` to ``to`` with ``values`` (event included); return the values written."""
        values = self._moved(conn, row, to, values, now, actor, detail)
        self._update(conn, row["collection"], row["key"], values, now)
        return values

    def _moved(self, conn: sa.Connection, row: Mapping[str, Any], to: State,
               values: dict[str, Any], now: datetime, actor: Actor,
               detail: dict) -> dict[str, Any]:
        """Check the move to ``to``, write its event if the state changes; return the values."""
        collection, key, state = row["collection"], row["key"], State(row["state"])
        check_transition(collection, key, state, to)
        if to != state:
            self._event(conn, collection, key, state, to, now, actor, detail)
        return {**values, "state": to.value, "prior_state": self._prior(row, state, to)}

    @staticmethod
    def _lock(conn: sa.Connection, collection: str, key: str) -> Mapping[str, Any] | None:
        return conn.execute(sql.LOCK_ROW, sql.row_params(collection, key)).mappings().first()

    @staticmethod
    def _update(conn: sa.Connection, collection: str, key: str, values: Mapping[str, Any],
                now: datetime) -> None:
        conn.execute(sql.UPDATE_ROW, sql.row_params(collection, key, **values, updated_at=now))

    def _insert(self, conn: sa.Connection, collection: str, key: str, state: State,
                values: Mapping[str, Any], now: datetime, actor: Actor, detail: dict) -> None:
        conn.execute(sa.insert(_T).values(collection=collection, key=key, state=state.value,
                                          attempts=0, created_at=now, updated_at=now, **values))
        self._event(conn, collection, key, None, state, now, actor, detail)

    @staticmethod
    def _event(conn: sa.Connection, collection: str, key: str, from_state: State | None,
               to_state: State, now: datetime, actor: Actor, detail: dict) -> None:
        conn.execute(sql.INSERT_EVENT, {
            "collection": collection, "key": key,
            "from_state": from_state.value if from_state else None, "to_state": to_state.value,
            "at": now, "actor": actor_or_default(actor),
            "detail": detail or None})
