"""Run Airflow's components as real processes for the distributed and browser tests.

``AirflowProcesses`` starts ``airflow <component>`` processes in their own process groups,
sends each one's output to a log file, and stops every one of them (SIGTERM, then SIGKILL of
the group it started) in :meth:`AirflowProcesses.stop_all`. ``AirflowApi`` talks to the
api-server's REST API v2 with a JWT from ``POST /auth/token``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
ADMIN_USER = "admin"
#: Environment of the test process that must not leak into the components.
_DROPPED_PREFIXES = ("AIRFLOW__", "AIRFLOW_CONN_", "ZENODO_", "SAMPLE_")


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manual_collections_file(dest: Path, collection_id: str = "herbarium_sample") -> Path:
    """Write a copy of the shipped collection ``collection_id`` with no schedule (manual only)
    and no summary record (the runs hold specimens only; tests/dags/test_summary_run.py runs
    the summary).

    Unpausing a scheduled DAG starts a run of its latest interval at once; the tests want
    only the run they trigger.
    """
    shipped = yaml.safe_load((ROOT / "include" / "collections.yaml").read_text("utf-8"))
    entry = next(c for c in shipped["collections"] if c["id"] == collection_id)
    entry = {k: v for k, v in entry.items() if k != "summary"}
    dest.write_text(yaml.safe_dump({"collections": [{**entry, "schedule": None}]}), "utf-8")
    return dest


def airflow_env(home: Path, *, sql_alchemy_conn: str, api_port: int,
                extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment of every Airflow component of one test deployment.

    :param home: ``AIRFLOW_HOME`` (logs, the admin password file).
    :param sql_alchemy_conn: the metadata database (``postgresql+psycopg://`` or SQLite).
    :param api_port: the api-server's port (also the execution API the workers call).
    :param extra: more variables (executor, broker, the collection's settings ...).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
    async_conn = sql_alchemy_conn
    if sql_alchemy_conn.startswith("sqlite:"):
        async_conn = sql_alchemy_conn.replace("sqlite:", "sqlite+aiosqlite:", 1)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql_alchemy_conn,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": async_conn,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    })
    return env


def write_admin_password(home: Path) -> str:
    """Create the SimpleAuthManager password file with a fresh admin password; return it."""
    password = secrets.token_urlsafe(12)
    home.mkdir(parents=True, exist_ok=True)
    (home / "passwords.json").write_text(json.dumps({ADMIN_USER: password}), "utf-8")
    return password


class AirflowProcesses:
    """Start and stop ``airflow`` component processes that share one environment.

    :param home: ``AIRFLOW_HOME``; process logs go to ``home/process-logs/<name>.log``.
    :param env: the environment from :func:`airflow_env`.
    """

    def __init__(self, home: Path, env: Mapping[str, str]) -> None:
        """Keep the settings; nothing starts yet."""
        self.home = home
        self.env = dict(env)
        self.log_dir = home / "process-logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def cli(self, *args: str, timeout: float = 180) -> str:
        """Run one ``airflow`` CLI command to its end; return its output or raise with it."""
        done = subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True,
                              timeout=timeout, check=False)
        output = (done.stdout + done.stderr).decode(errors="replace")
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{output[-3000:]}")
        return output

    def start(self, name: str, *args: str, env: Mapping[str, str] | None = None) -> None:
        """Start ``airflow <args>`` as ``name`` in its own process group."""
        with (self.log_dir / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [AIRFLOW, *args], env={**self.env, **(env or {})}, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )

    def check_alive(self) -> None:
        """Raise with its log tail if a started component has exited."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, chars: int = 4000) -> str:
        """Return the end of a component's log."""
        path = self.log_dir / f"{name}.log"
        return path.read_text("utf-8", errors="replace")[-chars:] if path.exists() else ""

    def stop_all(self, grace: float = 20) -> None:
        """Stop every started component: SIGTERM to its group, SIGKILL after ``grace`` s."""
        for proc in self.procs.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=10)
        self.procs.clear()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send ``sig`` to the process group this test started for ``proc`` (if any is left)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def wait_until(condition: Callable[[], Any], timeout: float, what: str,
               check: Callable[[], None] | None = None, interval: float = 1.0) -> Any:
    """Poll ``condition`` until it returns something truthy; return that or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        if check is not None:
            check()
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


#: Seconds to wait for one answer of the api-server: on SQLite it may wait for the scheduler's
#: write lock, long on a loaded two-core machine (30 s was once too short with the suite in two
#: processes).
API_TIMEOUT_S = 90


class AirflowApi:
    """A small client of the api-server's REST API v2, authenticated with a JWT.

    :param base_url: the api-server, e.g. ``http://127.0.0.1:8080``.
    """

    def __init__(self, base_url: str) -> None:
        """Keep the base URL; call :meth:`login` before the other methods."""
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def healthy(self) -> bool:
        """Tell whether the api-server answers its health endpoint."""
        try:
            return self.session.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).ok
        except requests.ConnectionError:
            return False

    def login(self, username: str, password: str) -> None:
        """Get a JWT from ``POST /auth/token`` and send it with every later request."""
        response = self.session.post(f"{self.base_url}/auth/token", timeout=API_TIMEOUT_S,
                                     json={"username": username, "password": password})
        response.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request to ``/api/v2{path}``; return the JSON answer or raise with it."""
        response = self.session.request(method, f"{self.base_url}/api/v2{path}",
                                        timeout=API_TIMEOUT_S, **kwargs)
        if not response.ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def dag_loaded(self, dag_id: str) -> bool:
        """Tell whether the dag-processor has stored ``dag_id``."""
        response = self.session.get(f"{self.base_url}/api/v2/dags/{dag_id}", timeout=API_TIMEOUT_S)
        return response.status_code == 200

    def set_pool(self, name: str, slots: int) -> None:
        """Create the pool ``name`` with ``slots`` slots (the upload tasks need it)."""
        self.call("POST", "/pools", json={"name": name, "slots": slots,
                                          "description": "Zenodo upload tasks"})

    def trigger(self, dag_id: str, conf: Mapping[str, Any]) -> str:
        """Unpause ``dag_id``, trigger a run with ``conf``; return the run id."""
        self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        run = self.call("POST", f"/dags/{dag_id}/dagRuns",
                        json={"logical_date": None, "conf": dict(conf)})
        return str(run["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        """Return the state of one DAG run."""
        return str(self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Return every task instance of a run (mapped ones included)."""
        answer = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                           params={"limit": 1000})
        return list(answer["task_instances"])
