"""The ledger: one row per specimen, every state change one guarded write with its event.

Each public write is one short transaction: lock the row, check the lease and the transition,
update the row and append one event per state change. Here are registration, the reads and the
row primitives; the engine's per-step writes are in :mod:`~zenodo.ledger.step_writes`,
reconciliation's batched moves in :mod:`~zenodo.ledger.batch_moves`, leases and watermarks in
:mod:`~zenodo.ledger.leases`, the run's upload plan in :mod:`~zenodo.ledger.plans`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from zenodo.ledger import statements as sql
from zenodo.ledger.actor import Actor, actor_or_default
from zenodo.ledger.batch_moves import BatchMoveMixin
from zenodo.ledger.leases import LeaseMixin
from zenodo.ledger.plans import PlanMixin
from zenodo.ledger.registration import PREPARE_FAILURE, MappedSpecimen, plan_registration
from zenodo.ledger.rows import EventRow, SpecimenRow, clip, parse_files
from zenodo.ledger.states import State, check_transition
from zenodo.ledger.step_writes import StepWriteMixin
from zenodo.store import database as ledger_db
from zenodo.store.tables import Event, Payload, Specimen

_T = Specimen.__table__
_E = Event.__table__
_NEEDS_WORK = (State.NEW, State.DRAFTED, State.UPLOADED, State.UNKNOWN, State.STALE)
#: Rows inserted by registration before the bulk-filled tables are analysed first; after
#: that, once the count has doubled (and grown by this many), so a few times a collection.
ANALYZE_AFTER_ROWS = 5_000
_BULK_TABLES = (_T, _E, Payload.__table__)


class Ledger(StepWriteMixin, BatchMoveMixin, LeaseMixin, PlanMixin):
    """Repository of specimens' states, on SQLite or PostgreSQL.

    :param url: SQLAlchemy URL of the ledger database; no I/O happens until first use.
    :param clock: returns the current aware datetime (tests inject one).
    """

    def __init__(self, url: str, *, clock: Callable[[], datetime] | None = None) -> None:
        self._db = ledger_db.EngineHolder(url)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._inserted = 0  # rows registration inserted through this ledger
        self._analyse_at = ANALYZE_AFTER_ROWS  # ... when the tables are analysed next
        self._inserted_lock = threading.Lock()

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
        """Upsert a valid, mapped specimen and return its state (see :meth:`register_many`).

        :param files: mappings with ``name``, ``size`` and ``md5``.
        """
        return self.register_many(collection, [MappedSpecimen(
            key, metadata_hash, list(files), mapping_name, mapping_version, source_modified)],
            actor=actor)[0]

    def register_many(self, collection: str, specimens: Sequence[MappedSpecimen], *,
                      actor: Actor = None) -> list[State]:
        """Upsert valid, mapped specimens in one transaction; return their states, in order.

        New key: NEW. Published one whose metadata, mapping or files changed: STALE (ids kept).
        Quarantined one: leaves quarantine. UPLOADED whose files changed: DRAFTED. Otherwise the
        state stays and the new hash/files are stored (a FAILED one becomes due at once).
        The rows are locked with one query and new rows inserted together: a collection's
        first prepare writes a batch with three statements, not three per specimen.
        """
        if len({s.key for s in specimens}) != len(specimens):
            raise ValueError(f"collection {collection}: a key is registered twice in one batch")
        entries = [parse_files(collection, s.key, s.files) for s in specimens]
        inserted = 0

        def work(conn: sa.Connection) -> list[State]:
            now = self._clock()
            found = {r["key"]: r for r in conn.execute(sql.LOCK_ROWS, {
                "p_collection": collection, "p_keys": [s.key for s in specimens]}).mappings()}
            states: list[State] = []
            inserts: list[dict[str, Any]] = []
            for specimen, files in zip(specimens, entries, strict=True):
                row = found.get(specimen.key)
                states.append(self._register_one(conn, collection, specimen, files, row, now,
                                                 actor, inserts))
            nonlocal inserted
            inserted = len(inserts)
            if inserts:
                conn.execute(sa.insert(_T), inserts)
                conn.execute(sql.INSERT_EVENT, [
                    self._event_params(collection, r["key"], None, State(r["state"]), now,
                                       actor, {"register": 1}) for r in inserts])
            return states

        if not specimens:
            return []
        states = self._db.write_retrying(work)
        self._count_inserted(inserted)
        return states

    def _count_inserted(self, count: int) -> None:
        """Analyse the bulk-filled tables once enough new rows arrived for the planner's
        statistics to mislead it (:func:`~zenodo.store.database.refresh_statistics`)."""
        with self._inserted_lock:
            self._inserted += count
            due = self._inserted >= self._analyse_at
            if due:
                self._analyse_at = max(2 * self._inserted, self._inserted + ANALYZE_AFTER_ROWS)
        if due:
            ledger_db.refresh_statistics(self.engine, _BULK_TABLES)

    def _register_one(self, conn: sa.Connection, collection: str, specimen: MappedSpecimen,
                      files: list[Any], row: Mapping[str, Any] | None, now: datetime,
                      actor: Actor, inserts: list[dict[str, Any]]) -> State:
        """Register one specimen of a batch: a new row joins ``inserts``; others are updated."""
        new: dict[str, Any] = {
            "metadata_hash": specimen.metadata_hash, "mapping_name": specimen.mapping_name,
            "mapping_version": str(specimen.mapping_version),
            "source_modified": specimen.source_modified,
        }
        plan = plan_registration(
            None if row is None else SpecimenRow.from_mapping(row), files=files,
            metadata_hash=specimen.metadata_hash, mapping_name=specimen.mapping_name,
            mapping_version=str(specimen.mapping_version),
        )
        if row is not None and not plan.rewrite:
            if specimen.source_modified not in (None, row["source_modified"]):
                self._update(conn, collection, specimen.key,
                             {"source_modified": specimen.source_modified}, now)
            return plan.state
        new["files"] = [f.to_json() for f in plan.files]
        if row is None:
            inserts.append({"collection": collection, "key": specimen.key,
                            "state": plan.state.value, "attempts": 0, "created_at": now,
                            "updated_at": now, **new})
            return plan.state
        if row["state"] == State.QUARANTINED.value:
            new["quarantine_reasons"] = None
        if row["state"] == State.FAILED.value:
            new["retry_after"] = now
        self._apply(conn, row, plan.state, new, now, actor, {"register": 1})
        return plan.state

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

    def defer_prepare(
        self, collection: str, key: str, *, kind: str, status: int | None, message: str,
        retry_after: datetime, source_modified: datetime | None, actor: Actor = None,
    ) -> State:
        """Record that a specimen could not be prepared for a passing reason; return its state.

        A key the ledger does not hold yet is inserted FAILED with the reason and the retry
        time, its kind prefixed ``prepare:`` (:data:`PREPARE_FAILURE`): it has no payload, so
        the engine leaves it alone, and the next prepare that reads its row registers it as
        NEW. One already deferred so gets the new reason and time. Any other row keeps its
        state and payload (sent as prepared before, the upload's size and md5 checks still
        guarding it); the caller makes sure the next run reads its row again.
        """
        values = {"last_error_kind": (PREPARE_FAILURE + kind)[:50], "last_error_status": status,
                  "last_error_message": clip(message), "retry_after": retry_after}

        def work(conn: sa.Connection) -> State:
            now = self._clock()
            row = self._lock(conn, collection, key)
            if row is None:
                self._insert(conn, collection, key, State.FAILED, {
                    **values, "files": [], "last_error_at": now,
                    "source_modified": source_modified}, now, actor,
                    {"kind": values["last_error_kind"], "status": status})
                return State.FAILED
            if row["state"] == State.FAILED.value and str(
                    row["last_error_kind"] or "").startswith(PREPARE_FAILURE):
                self._update(conn, collection, key, {**values, "last_error_at": now,
                                                     "attempts": row["attempts"] + 1}, now)
            return State(row["state"])

        return self._db.write_retrying(work)

    # -- reads --

    def get(self, collection: str, key: str) -> SpecimenRow | None:
        """Return a snapshot of one specimen, or None when the ledger has none."""
        with self._db.read() as conn:
            row = conn.execute(sql.ROW, sql.row_params(collection, key)).mappings().first()
        return SpecimenRow.from_mapping(row) if row else None

    def keys_needing_work(
        self, collection: str, *, now: datetime | None = None, limit: int | None = None,
        skip: Sequence[str] = (),
    ) -> list[str]:
        """Return, ordered by key, the specimens the engine still has to drive (but ``skip``).

        That is NEW, DRAFTED, UPLOADED, UNKNOWN and STALE ones, and FAILED ones whose
        ``retry_after`` has passed (a FAILED one without ``retry_after`` is permanent; one
        that could not be prepared waits for the next prepare, :meth:`defer_prepare`).
        """
        now = now or self._clock()
        due_failure = sa.and_(
            _T.c.state == State.FAILED.value, _T.c.retry_after.is_not(None),
            _T.c.retry_after <= now,
            # not prepared yet (no payload): the next prepare registers it (defer_prepare)
            sa.func.coalesce(_T.c.last_error_kind, "").not_like(f"{PREPARE_FAILURE}%"),
        )
        query = (
            sa.select(_T.c.key)
            .where(_T.c.collection == collection, _T.c.key.not_in(skip),
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

    def rows_of(self, collection: str, keys: Iterable[str]) -> list[SpecimenRow]:
        """Return the specimens of ``keys`` the ledger holds, by key, in one query."""
        query = sa.select(_T).where(_T.c.collection == collection,
                                    _T.c.key.in_(sorted(set(keys)))).order_by(_T.c.key)
        with self._db.read() as conn:
            return [SpecimenRow.from_mapping(r) for r in conn.execute(query).mappings()]

    def newest_published(self, collection: str, since: datetime,
                         limit: int) -> list[SpecimenRow]:
        """Return up to ``limit`` PUBLISHED specimens changed since ``since``, newest first."""
        query = (sa.select(_T).where(_T.c.collection == collection,
                                     _T.c.state == State.PUBLISHED.value,
                                     _T.c.updated_at >= since, _T.c.record_id.is_not(None))
                 .order_by(_T.c.updated_at.desc()).limit(limit))
        with self._db.read() as conn:
            return [SpecimenRow.from_mapping(r) for r in conn.execute(query).mappings()]

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

    # -- row primitives, shared by every write --

    @staticmethod
    def _prior(row: Mapping[str, Any], state: State, to: State) -> str | None:
        if to != state and to in (State.FAILED, State.UNKNOWN, State.QUARANTINED):
            return state.value
        return row["prior_state"]

    def _apply(self, conn: sa.Connection, row: Mapping[str, Any], to: State,
               values: dict[str, Any], now: datetime, actor: Actor,
               detail: dict) -> dict[str, Any]:
        """Move ``row`` to ``to`` with ``values`` (event included); return the values written."""
        events: list[dict[str, Any]] = []
        values = self._moved(row, to, values, now, actor, detail, events)
        self._update(conn, row["collection"], row["key"], values, now, events)
        return values

    def _moved(self, row: Mapping[str, Any], to: State, values: dict[str, Any], now: datetime,
               actor: Actor, detail: dict, events: list[dict[str, Any]]) -> dict[str, Any]:
        """Check the move to ``to``; if the state changes, add its event to ``events`` (for
        :meth:`_update` to write); return the values."""
        collection, key, state = row["collection"], row["key"], State(row["state"])
        check_transition(collection, key, state, to)
        if to != state:
            events.append(self._event_params(collection, key, state, to, now, actor, detail))
        return {**values, "state": to.value, "prior_state": self._prior(row, state, to)}

    @staticmethod
    def _lock(conn: sa.Connection, collection: str, key: str) -> Mapping[str, Any] | None:
        return conn.execute(sql.LOCK_ROW, sql.row_params(collection, key)).mappings().first()

    @staticmethod
    def _update(conn: sa.Connection, collection: str, key: str, values: Mapping[str, Any],
                now: datetime, events: Sequence[Mapping[str, Any]] = ()) -> None:
        """Update the row and append ``events`` in order (on PostgreSQL the last one in the
        UPDATE's own statement)."""
        params = sql.row_params(collection, key, **values, updated_at=now)
        if events and conn.dialect.name == "postgresql":
            *before, last = events
            params.update({f"e_{name}": value for name, value in last.items()})
            events, statement = before, sql.UPDATE_ROW_WITH_EVENT
        else:
            statement = sql.UPDATE_ROW
        if events:
            conn.execute(sql.INSERT_EVENT, list(events))
        conn.execute(statement, params)

    def _insert(self, conn: sa.Connection, collection: str, key: str, state: State,
                values: Mapping[str, Any], now: datetime, actor: Actor, detail: dict) -> None:
        conn.execute(sa.insert(_T).values(collection=collection, key=key, state=state.value,
                                          attempts=0, created_at=now, updated_at=now, **values))
        conn.execute(sql.INSERT_EVENT,
                     self._event_params(collection, key, None, state, now, actor, detail))

    @staticmethod
    def _event_params(collection: str, key: str, from_state: State | None, to_state: State,
                      now: datetime, actor: Actor, detail: dict) -> dict[str, Any]:
        """The columns of one event row."""
        return {"collection": collection, "key": key,
                "from_state": from_state.value if from_state else None,
                "to_state": to_state.value, "at": now, "actor": actor_or_default(actor),
                "detail": detail or None}
