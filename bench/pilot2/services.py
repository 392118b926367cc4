"""What P7 runs against: fresh PostgreSQL databases, a Redis database, Airflow on Celery.

Airflow is the real thing, as processes (:mod:`tests.airflow_processes`): api-server,
scheduler, dag-processor and two ``airflow celery worker`` processes on a fresh PostgreSQL
metadata database and a Redis broker; runs are triggered and polled through REST API v2.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.airflow_processes import (
    ADMIN_USER,
    AirflowApi,
    AirflowProcesses,
    airflow_env,
    free_port,
    wait_until,
    write_admin_password,
)

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
#: Redis databases P7 may take, as the Celery test does (0 is left to the rest of the machine).
REDIS_DBS = range(9, 16)
#: The key that claims an empty Redis database (the same as the Celery test's).
REDIS_CLAIM = "specimen-to-zenodo:test-claim"


@contextlib.contextmanager
def fresh_databases(names: Sequence[str], admin_url: str = POSTGRES_ADMIN_URL,
                    ) -> Iterator[dict[str, str]]:
    """Create one fresh PostgreSQL database per name (``bench_pilot2_<name>_<hex>``); drop after.

    :returns: name -> SQLAlchemy URL (``postgresql+psycopg://``).
    """
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:8]
    made: dict[str, str] = {}
    try:
        with admin.connect() as conn:
            for name in names:
                database = f"bench_pilot2_{name}_{suffix}"
                conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
                made[name] = sa.make_url(admin_url).set(database=database).render_as_string(
                    hide_password=False)
        yield made
    finally:
        with admin.connect() as conn:
            for url in made.values():
                database = sa.make_url(url).database
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def claimed_redis() -> Iterator[str]:
    """Claim an empty Redis database among :data:`REDIS_DBS`; empty it again afterwards."""
    import redis

    for db in REDIS_DBS:
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_connect_timeout=5)
        if client.dbsize() == 0 and client.set(REDIS_CLAIM, "1", nx=True):
            break
        client.close()
    else:
        raise RuntimeError(f"no empty Redis database among {list(REDIS_DBS)} at "
                           f"{REDIS_HOST}:{REDIS_PORT}")
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    finally:
        client.flushdb()
        client.close()


@dataclass(frozen=True)
class CeleryLayout:
    """How the Celery deployment is shaped.

    :param workers: ``airflow celery worker`` processes.
    :param slots: task slots of each worker (``[celery] worker_concurrency``).
    :param pool: slots of the ``zenodo_default`` pool (concurrent upload tasks).
    """

    workers: int = 2
    slots: int = 2
    pool: int = 4

    @property
    def upload_slots(self) -> int:
        """Upload tasks that can run at once: the pool, within the workers' slots."""
        return min(self.pool, self.workers * self.slots)

    def describe(self) -> str:
        """One line for the table's notes."""
        return (f"CeleryExecutor: scheduler, dag-processor, api-server, {self.workers} "
                f"celery workers x {self.slots} slots, pool {self.pool}")


class CeleryDeployment:
    """Airflow on Celery, as processes, for one collection DAG; a context manager.

    :param home: ``AIRFLOW_HOME`` (process and task logs).
    :param metadata_url: Airflow's (empty) PostgreSQL database.
    :param broker_url: the Redis database of the Celery broker and result backend.
    :param layout: workers, slots, pool.
    :param env: the collection's variables (connection, ledger, collections file ...).
    """

    def __init__(self, home: Path, *, metadata_url: str, broker_url: str,
                 layout: CeleryLayout, env: Mapping[str, str]) -> None:
        """Keep the settings; :meth:`start` starts the processes."""
        self.home = home
        self.layout = layout
        self.metadata_url = metadata_url
        self.api_port = free_port()
        self.password = write_admin_password(home)
        self.procs = AirflowProcesses(home, airflow_env(
            home, sql_alchemy_conn=metadata_url, api_port=self.api_port, extra={
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CELERY__BROKER_URL": broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": broker_url,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(layout.slots),
                # At full size prepare runs for hours: never hand its message out again.
                "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "172800",
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "zenodo.runtime.worker_hostname",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
                **env,
            }))
        self.api = AirflowApi(f"http://127.0.0.1:{self.api_port}")

    @property
    def worker_names(self) -> list[str]:
        """The Celery workers' names (``ZENODO_WORKER_NAME``)."""
        return [f"worker-{i + 1}" for i in range(self.layout.workers)]

    def worker_pids(self) -> list[int]:
        """The process ids of the Celery workers (the roots of their task processes)."""
        return [self.procs.procs[name].pid for name in self.worker_names]

    def start(self, dag_id: str) -> CeleryDeployment:
        """Migrate the metadata database, start every component, wait for the DAG, make the pool."""
        self.procs.cli("db", "migrate", timeout=600)
        self.procs.start("api-server", "api-server", "--host", "127.0.0.1", "--port",
                         str(self.api_port), "--workers", "1")
        self.procs.start("scheduler", "scheduler")
        self.procs.start("dag-processor", "dag-processor")
        for name in self.worker_names:
            self.procs.start(name, "celery", "worker", "--celery-hostname", f"{name}@%h",
                             "--skip-serve-logs", "--without-mingle", "--without-gossip",
                             env={"ZENODO_WORKER_NAME": name})
        wait_until(self.api.healthy, 180, "the api-server", self.procs.check_alive)
        self.api.login(ADMIN_USER, self.password)
        wait_until(lambda: self.api.dag_loaded(dag_id), 180, f"the DAG {dag_id}",
                   self.procs.check_alive)
        self.api.set_pool("zenodo_default", self.layout.pool)
        return self

    def run(self, dag_id: str, conf: Mapping[str, Any], timeout: float) -> tuple[str, str]:
        """Trigger a run with ``conf`` and wait for its end; return ``(run id, state)``."""
        run_id = self.api.trigger(dag_id, conf)
        state = wait_until(
            lambda: (s := self.api.run_state(dag_id, run_id)) in ("success", "failed") and s,
            timeout, f"run {run_id} of {dag_id}", self.procs.check_alive, interval=2)
        return run_id, str(state)

    def stop(self) -> None:
        """Stop every component this deployment started."""
        self.procs.stop_all()

    def __enter__(self) -> CeleryDeployment:
        """Nothing starts here: call :meth:`start`."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop every component."""
        self.stop()
