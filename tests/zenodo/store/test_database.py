"""The ledger's database engine on PostgreSQL: connections are kept for every writing thread.

An upload task runs its specimens on several threads, each writing the ledger at once. A pool
smaller than that closed the extra connections after each write and opened them again for the
next: at pilot 2's size, 26 new PostgreSQL sessions a second, each a forked server process.
A connection in steady use is not pinged before each write (a sixth of an upload thread's
time at pilot 2's size); one left idle is, and a dead one is replaced.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from zenodo.store import database
from zenodo.store.database import make_engine


def test_threads_writing_at_once_reuse_their_connections(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    opened: list[object] = []
    sa.event.listen(engine, "connect", lambda dbapi, record: opened.append(dbapi))
    threads_at_once = 12  # an upload task's threads (--threads 8 to 16 in the bench)
    together = threading.Barrier(threads_at_once)

    def write() -> None:
        with engine.connect() as conn:
            together.wait(timeout=30)  # every thread holds its connection at the same time
            conn.execute(sa.text("SELECT 1"))

    try:
        for _round in range(3):
            threads = [threading.Thread(target=write) for _ in range(threads_at_once)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert len(opened) == threads_at_once  # the first round's, kept for the next rounds
    finally:
        engine.dispose()


def _counting_pings(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)
    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_in_steady_use_is_not_pinged(postgres_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(postgres_url)
    pings = _counting_pings(engine, monkeypatch)
    try:
        for _ in range(20):
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        assert pings == []  # pool_pre_ping sent 20
    finally:
        engine.dispose()


def test_an_idle_connection_the_server_closed_is_replaced(postgres_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.05)
    engine = make_engine(postgres_url)
    pings = _counting_pings(engine, monkeypatch)
    try:
        with engine.connect() as conn:
            first = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with make_engine(postgres_url).connect() as admin:  # as a server restart would
            assert admin.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": first}).scalar()
        time.sleep(0.1)
        with engine.connect() as conn:
            second = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        assert len(pings) == 1
        assert second != first
    finally:
        engine.dispose()
