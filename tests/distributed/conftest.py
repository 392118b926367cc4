"""Fixtures of the distributed run: a second fresh PostgreSQL database and a Redis database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
#: Redis databases this test may take (0 is left to everything else on the machine).
REDIS_DBS = range(9, 16)


@pytest.fixture
def ledger_postgres_url(postgres_url: str) -> Iterator[str]:
    """Create a second fresh database (the ledger's) beside ``postgres_url``; drop it after."""
    url = sa.make_url(postgres_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"ledger_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Return the URL of an empty Redis database of its own (emptied again afterwards).

    Fails (does not skip) when CI=true and Redis cannot be reached.
    """
    import redis

    probe = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3)
    try:
        probe.ping()
    except redis.ConnectionError as exc:
        message = f"Redis is unreachable at {REDIS_HOST}:{REDIS_PORT}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    finally:
        probe.close()
    for db in REDIS_DBS:
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        # Claim an empty database atomically, so parallel runs never share a broker.
        if client.dbsize() == 0 and client.set("specimen-to-zenodo:test-claim", "1", nx=True):
            break
        client.close()
    else:
        pytest.fail(f"no empty Redis database among {list(REDIS_DBS)}", pytrace=False)
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    finally:
        client.flushdb()
        client.close()
