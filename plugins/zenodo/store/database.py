"""Database plumbing shared by the ledger and the pacer: engines, write transactions, migrations.

On SQLite (WAL, busy timeout) a write transaction starts with ``BEGIN IMMEDIATE`` and the
threads of one process queue for it in Python, so writers take turns instead of failing or
polling; on PostgreSQL callers lock rows with ``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

import os
import pathlib
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = pathlib.Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "ledger_alembic_version"
SQLITE_BUSY_TIMEOUT_S = 60.0
#: Connections a PostgreSQL engine keeps open: one per thread of the busiest task (an upload
#: task's threads each write the ledger at once); fewer, and the rest reconnect on every write.
POOL_SIZE = 16
#: A pooled PostgreSQL connection idle longer than this is pinged before use (a restarted server
#: has closed it). One in steady use is not: the upload engine's four writes a specimen would
#: each pay one more round trip, a sixth of its threads' time on a busy two-core machine.
PING_AFTER_IDLE_S = 10.0
#: The execution option that marks a write transaction (BEGIN IMMEDIATE on SQLite).
WRITE_OPTION = "zenodo_ledger_write"
T = TypeVar("T")
_MIGRATION_LOCK = 0x5A454E4F444F  # "ZENODO": serialises concurrent migrations on PostgreSQL
#: SQLite engine -> the lock its writing threads queue on (shared by ledger and pacer).
_SQLITE_WRITERS: weakref.WeakKeyDictionary[sa.Engine, threading.RLock] = (
    weakref.WeakKeyDictionary()
)


def make_engine(url: str) -> sa.Engine:
    """Create an engine for the ledger database.

    :param url: a SQLAlchemy URL (``sqlite:///...`` or ``postgresql+psycopg://...``).
    """
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        engine = sa.create_engine(sa_url, pool_size=POOL_SIZE, max_overflow=POOL_SIZE)
        _ping_when_idle(engine)
        return engine
    engine = sa.create_engine(sa_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    _SQLITE_WRITERS[engine] = threading.RLock()

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _ping_when_idle(engine: sa.Engine) -> None:
    """Ping a pooled connection at checkout only when it sat idle for ``PING_AFTER_IDLE_S``.

    A dead one is replaced by a new connection, as ``pool_pre_ping`` would; a server that
    goes away while a connection is in use fails that transaction, which rolls back, and
    SQLAlchemy then renews the whole pool.
    """
    @sa.event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_from"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_from = record.info.pop("idle_from", None)
        if idle_from is None or time.monotonic() - idle_from < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError(f"ledger connection closed: {exc}") from exc


def rows_by_key(engine: sa.Engine, query: sa.Select[Any], key: sa.ColumnElement[Any],
                page: int = 1000) -> Iterator[sa.RowMapping]:
    """Yield the rows of ``query`` (ordered by ``key``, unique) ``page`` at a time, each page
    one short read that starts after the last key seen: a whole collection is read without a
    long transaction or all of it in memory."""
    after: Any = None
    while True:
        paged = query if after is None else query.where(key > after)
        with engine.connect() as conn:
            rows = conn.execute(paged.limit(page)).mappings().all()
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][key.key]


def refresh_statistics(engine: sa.Engine, tables: Sequence[sa.Table]) -> None:
    """Have PostgreSQL's planner re-read these tables' sizes and value spreads (``ANALYZE``).

    Until then a table filled in one go is planned as if it were empty, and a lookup by key
    reads the whole collection's index range; autovacuum would analyse it, but only later, or
    never where it is off. SQLite plans by its indexes without statistics: nothing to do.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {conn.dialect.identifier_preparer.format_table(table)}")
        conn.commit()


class EngineHolder:
    """Create an engine on first use, and again in a forked child process.

    :param url: the database URL, or an engine made by :func:`make_engine` to share.
    """

    def __init__(self, url: str | sa.Engine) -> None:
        self._shared = url if isinstance(url, sa.Engine) else None
        self.url = url.url.render_as_string(hide_password=False) if self._shared else str(url)
        self._engine: sa.Engine | None = self._shared
        self._pid = os.getpid()
        self._lock = threading.Lock()

    @property
    def engine(self) -> sa.Engine:
        """Return the engine of this process, creating it if needed."""
        with self._lock:
            if self._shared is not None:
                return self._shared
            if self._engine is None or self._pid != os.getpid():
                if self._engine is not None:
                    self._engine.dispose(close=False)  # the parent's connections stay its own
                self._engine = make_engine(self.url)
                self._pid = os.getpid()
            return self._engine

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """Run one write transaction: commit on success, roll back on error."""
        engine = self.engine
        writers = _SQLITE_WRITERS.get(engine)
        with writers if writers is not None else nullcontext(), engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def single_write(self) -> Iterator[sa.Connection]:
        """Run a write of one statement. On PostgreSQL it is autocommitted: one round trip,
        not three (no BEGIN, no COMMIT); on SQLite it is a write transaction (:meth:`write`)."""
        if self.engine.dialect.name != "postgresql":
            with self.write() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")

    def write_retrying(self, work: Callable[[sa.Connection], T], attempts: int = 3) -> T:
        """Run ``work`` in a write transaction, again when a concurrent insert won the race.

        :param work: does the reads and writes; must be safe to run again after a rollback.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.write() as conn:
                    return work(conn)
            except sa.exc.IntegrityError:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """Run one read-only transaction."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        """Close the pooled connections of this process."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = self._shared


@contextmanager
def _migration_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """Hold the migration lock (SQLite: the write lock; PostgreSQL: an advisory lock)."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            yield conn


def alembic_config(connection: sa.Connection) -> Config:
    """Build an Alembic configuration for the ledger's migrations, without an alembic.ini.

    :param connection: the connection the migrations run on.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the ledger schema in place (never dropping data).

    :param engine: the ledger database.
    :param revision: the target revision.
    """
    with _migration_transaction(engine) as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Downgrade the ledger schema (``"base"`` removes every ledger table).

    :param engine: the ledger database.
    :param revision: the target revision.
    """
    with _migration_transaction(engine) as conn:
        command.downgrade(alembic_config(conn), revision)
