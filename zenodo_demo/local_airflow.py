"""``make airflow``: Airflow's UI on this project, with the sample collection and the sandbox.

Makes the sample (once), starts the sandbox, prepares Airflow's database and pool, and runs
``airflow standalone`` on this project's ``dags/`` and ``plugins/`` until Ctrl-C. Everything
stays in ``.airflow-local/``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from zenodo_demo.environment import pipeline_env, sample_variables
from zenodo_sandbox.testing import SandboxProcess

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
ADMIN_USER = "admin"
POOL = "zenodo_default"


def sample_env(work: Path, n: int = 200) -> dict[str, str]:
    """Make the sample collection under ``work/sample`` unless it exists; return its variables."""
    dest = work / "sample"
    if not (dest / "herbarium.db").exists():
        from zenodo_demo.sample import generate_sample

        return generate_sample(dest, n=n).env()
    return sample_variables(f"sqlite:///{dest / 'herbarium.db'}", dest / "images")


def admin_password(home: Path) -> str:
    """Return the admin's password, written to the SimpleAuthManager file on the first call."""
    path = home / "passwords.json"
    if path.exists():
        return str(json.loads(path.read_text("utf-8"))[ADMIN_USER])
    password = secrets.token_urlsafe(12)
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({ADMIN_USER: password}), "utf-8")
    path.chmod(0o600)
    return password


def standalone_env(work: Path, connection_json: str, port: int,
                   extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment of ``airflow standalone`` for this project.

    :param work: the local folder (Airflow home, ledger, reports, sample, sandbox data).
    :param connection_json: the ``zenodo_default`` connection (JSON form).
    :param port: the api-server's (the UI's) port.
    :param extra: more variables, e.g. ``ZENODO_COLLECTIONS_FILE``.
    """
    home = work / "airflow"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(pipeline_env(work, connection_json, sample_env(work)))
    env.update({
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "ZENODO_FEED_POKE_INTERVAL": "5",
        "ZENODO_FEED_TIMEOUT": "300",
        "PYTHONUNBUFFERED": "1",
        # standalone starts its components as `airflow ...` from PATH: this venv's first.
        "PATH": os.pathsep.join(filter(None, [str(Path(AIRFLOW).parent), env.get("PATH")])),
        **(extra or {}),
    })
    return env


def initialise(env: Mapping[str, str]) -> None:
    """Migrate Airflow's database and create the pool the upload tasks run in."""
    for args in (["db", "migrate"],
                 ["pools", "set", POOL, "4", f"Concurrent Zenodo upload tasks ({POOL})"]):
        subprocess.run([AIRFLOW, *args], env=dict(env), check=True, stdout=subprocess.DEVNULL)


def run_until_stopped(command: list[str], env: Mapping[str, str], grace: float = 20) -> int:
    """Run ``command`` in its own process group until it ends, or until Ctrl-C / SIGTERM.

    Then ask it to stop (SIGINT: ``airflow standalone`` stops its components), and after
    ``grace`` seconds end whatever is left of its group (SIGTERM, then SIGKILL), so no
    scheduler or worker outlives ``make airflow``.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    proc = subprocess.Popen(command, env=dict(env), start_new_session=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        print("Stopping Airflow ...", flush=True)
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
        for signum in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        return 130


def main(argv: list[str] | None = None) -> int:
    """Run Airflow standalone on the sample collection; return the exit code."""
    parser = argparse.ArgumentParser(description="Airflow's UI on the sample collection.")
    parser.add_argument("--dir", default=".airflow-local", help="working folder (kept)")
    parser.add_argument("--port", type=int, default=8080, help="the UI's port")
    args = parser.parse_args(argv)
    work = Path(args.dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    with SandboxProcess(limits_profile="none", data_dir=work / "sandbox") as sandbox:
        env = standalone_env(work, sandbox.connection_json(), args.port)
        initialise(env)
        password = admin_password(work / "airflow")
        print(f"Sandbox (local Zenodo): {sandbox.url}\n"
              f"Airflow UI: http://127.0.0.1:{args.port}  login: {ADMIN_USER} / {password}\n"
              f"(password kept in {work / 'airflow' / 'passwords.json'}); Ctrl-C stops all.",
              flush=True)
        run_until_stopped([AIRFLOW, "standalone"], env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
