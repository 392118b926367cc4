"""The ledger's database engine on PostgreSQL: connections are kept for every writing thread.

An upload task runs its specimens on several threads, each writing the ledger at once. A pool
smaller than that closed the extra connections after each write and opened them again for the
next: at pilot 2's size, 26 new PostgreSQL sessions a second, each a forked server process.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

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
