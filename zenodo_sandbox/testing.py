"""Start the sandbox as a real subprocess for tests and benchmarks.

Example::

    from zenodo_sandbox.testing import SandboxProcess

    with SandboxProcess(limits_profile="none") as sandbox:
        requests.post(f"{sandbox.url}/api/deposit/depositions", json={},
                      headers={"Authorization": f"Bearer {sandbox.token}"})
        assert sandbox.admin.counts()["by_state"] == {"unsubmitted": 1}

``SandboxProcess`` runs ``python -m zenodo_sandbox`` on a free port with a temporary data
directory (kept across :meth:`SandboxProcess.restart`, removed at :meth:`SandboxProcess.stop`
unless you passed ``data_dir``).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import requests
import yaml

DEFAULT_TOKENS = {"alice": "alice-secret-token", "bob": "bob-secret-token"}
DEFAULT_ADMIN_TOKEN = "admin-secret-token"  # noqa: S105


def fault_mix(
    *,
    seed: int,
    error_rate: float = 0.05,
    commit_then_fail: float = 0.02,
    reset_upload: float = 0.01,
) -> dict[str, Any]:
    """The fault mix the issues test against, as a fault config for the sandbox.

    Every endpoint answers 5xx (500/502/503/504) with ``error_rate``; create and publish also
    commit and then fail (a 504 or a dropped connection) with ``commit_then_fail``; a file
    upload is cut off in the middle with ``reset_upload``.

    :param seed: makes the run replayable.
    """
    writes = {
        "error_rate": error_rate,
        "commit_then_fail": commit_then_fail,
        "commit_fail_mode": "mixed",
    }
    return {
        "seed": seed,
        "kinds": {
            "*": {"error_rate": error_rate, "error_statuses": [500, 502, 503, 504]},
            "create": dict(writes),
            "publish": dict(writes),
            "file_put": {"error_rate": error_rate, "reset_upload": reset_upload},
        },
    }


class SandboxAdmin:
    """A small client of the sandbox's ``/admin`` API (one method per endpoint)."""

    def __init__(self, url: str, token: str) -> None:
        """Talk to the sandbox at ``url`` with admin ``token``."""
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.url}/admin{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def counts(self) -> dict[str, Any]:
        """Return ``{"total", "by_state", "by_owner"}`` deposition counts."""
        return self._call("GET", "/counts")

    def depositions(self, **filters: str) -> list[dict[str, Any]]:
        """Return every deposition (filters: ``owner``, ``state``)."""
        return self._call("GET", "/depositions", params=filters)

    def deposition(self, depid: int) -> dict[str, Any]:
        """Return one deposition as the server holds it."""
        return self._call("GET", f"/depositions/{depid}")

    def records(self, **filters: str) -> list[dict[str, Any]]:
        """Return published records (filters: ``owner``, ``community``, ``include_deleted``)."""
        return self._call("GET", "/records", params=filters)

    def all_records(self, page: int = 5000, **filters: str) -> Iterator[dict[str, Any]]:
        """Yield every published record as :meth:`records` lists them, ``page`` at a time
        (one answer for 281,372 records would be gigabytes)."""
        after = 0
        while True:
            found = self._call("GET", "/records",
                               params={**filters, "size": page, "after": after})
            yield from found
            if len(found) < page:
                return
            after = found[-1]["id"]

    def delete_record(self, recid: int) -> dict[str, Any]:
        """Tombstone a published record (410 afterwards)."""
        return self._call("DELETE", f"/records/{recid}")

    def requests(self, **filters: Any) -> dict[str, Any]:
        """Return the request log (filters: kind, method, status, token, path, since)."""
        return self._call("GET", "/requests", params=filters)

    def request_tally(self) -> list[dict[str, Any]]:
        """Return every request since the last clear, counted by second, kind, fault and
        status (``count``, ``latency_ms`` summed): unlike the log, it holds a whole run."""
        return self._call("GET", "/requests/tally")["rows"]

    def clear_requests(self) -> None:
        """Clear the request log and its tally."""
        self._call("DELETE", "/requests")

    def faults(self) -> dict[str, Any]:
        """Return the fault configuration, active windows and injected counts."""
        return self._call("GET", "/faults")

    def set_faults(self, config: dict[str, Any] | None) -> dict[str, Any]:
        """Replace the fault configuration (None clears it)."""
        return self._call("PUT", "/faults", json=config or {})

    def outage(self, duration: float, start_in: float = 0) -> dict[str, Any]:
        """Answer 503 to everything for ``duration`` seconds (0 clears)."""
        return self._call(
            "POST", "/faults/outage", json={"duration": duration, "start_in": start_in}
        )

    def storm(self, duration: float, fraction: float, start_in: float = 0) -> dict[str, Any]:
        """Answer 429 to ``fraction`` of requests for ``duration`` seconds (0 clears)."""
        return self._call(
            "POST",
            "/faults/storm",
            json={"duration": duration, "fraction": fraction, "start_in": start_in},
        )

    def limits(self) -> dict[str, list[str]]:
        """Return the active rate limits per kind."""
        return self._call("GET", "/limits")

    def set_limits(
        self,
        limits: dict[str, str] | None = None,
        *,
        profile: str | None = None,
        strategy: str | None = None,
    ) -> dict[str, list[str]]:
        """Change limits, e.g. ``set_limits({"api": "5/min"})`` or ``profile="none"``."""
        body: dict[str, Any] = {"limits": limits or {}}
        if profile:
            body["profile"] = profile
        if strategy:
            body["strategy"] = strategy
        return self._call("PUT", "/limits", json=body)

    def set_delays(self, **delays: float) -> dict[str, float]:
        """Set indexing delays: ``deposit``, ``records``, ``oai`` (seconds)."""
        return self._call("PUT", "/delays", json=delays)

    def seed(self, count: int = 1, **options: Any) -> dict[str, Any]:
        """Bulk-create published records (options: owner, communities, metadata, file)."""
        return self._call("POST", "/seed", json={"count": count, **options})

    def reset(self) -> None:
        """Wipe all data, the request log and rate-limit counts."""
        self._call("POST", "/reset")


class SandboxProcess:
    """Run ``python -m zenodo_sandbox`` on a free port; a context manager.

    :param tokens: user name -> secret (default alice and bob); the first is the default user
    :param admin_token: the admin API's bearer token
    :param faults: fault configuration dict (see :mod:`zenodo_sandbox.faults`)
    :param limits: per-kind overrides, e.g. ``{"api": "5/min", "oai": "none"}``
    :param limits_profile: ``zenodo`` (default) or ``none``
    :param delays: indexing delays ``{"deposit": s, "records": s, "oai": s}`` (default 0)
    :param extra_args: more command-line arguments
    :param data_dir: keep state here (default: a temporary folder removed at stop)
    :param log_path: where the server's stderr goes (default ``<data_dir>/server.log``)
    :param startup_timeout: seconds to wait for ``SANDBOX_URL=``
    """

    def __init__(
        self,
        *,
        tokens: dict[str, str] | None = None,
        admin_token: str = DEFAULT_ADMIN_TOKEN,
        faults: dict[str, Any] | None = None,
        limits: dict[str, str] | None = None,
        limits_profile: str = "zenodo",
        delays: dict[str, float] | None = None,
        extra_args: list[str] | None = None,
        data_dir: Path | None = None,
        log_path: Path | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        """Store the settings; :meth:`start` launches the process."""
        self.tokens = dict(tokens or DEFAULT_TOKENS)
        self.admin_token = admin_token
        self.faults, self.limits, self.limits_profile = faults, limits or {}, limits_profile
        self.delays = delays or {}
        self.extra_args = list(extra_args or [])
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="zenodo-sandbox-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path or self.data_dir / "server.log"
        self.startup_timeout = startup_timeout
        self.url = ""
        self._port = 0
        self._proc: subprocess.Popen[str] | None = None
        self._admin: SandboxAdmin | None = None

    @property
    def token(self) -> str:
        """Return the default (first) user's secret token."""
        return next(iter(self.tokens.values()))

    @property
    def user(self) -> str:
        """Return the default (first) user's name."""
        return next(iter(self.tokens))

    @property
    def admin(self) -> SandboxAdmin:
        """Return an admin API client."""
        if self._admin is None:
            self._admin = SandboxAdmin(self.url, self.admin_token)
        return self._admin

    def headers(self, user: str | None = None) -> dict[str, str]:
        """Return the ``Authorization`` header of ``user`` (default user if None)."""
        secret = self.tokens[user] if user else self.token
        return {"Authorization": f"Bearer {secret}"}

    def connection_json(self, user: str | None = None, **extra: Any) -> str:
        """The JSON form of an Airflow ``zenodo`` connection to this sandbox.

        :param user: whose token to use (default user if None).
        :param extra: connection options (default: no rate-limit profile, 30 s read timeout).
        """
        options = {"rate_limit_profile": "none", "read_timeout": 30, **extra}
        token = self.tokens[user] if user else self.token
        return json.dumps(
            {"conn_type": "zenodo", "host": self.url, "password": token, "extra": options}
        )

    def command(self) -> list[str]:
        """Return the command line that starts the server."""
        cmd = [
            sys.executable,
            "-m",
            "zenodo_sandbox",
            "--port",
            str(self._port),
            "--data-dir",
            str(self.data_dir),
            "--admin-token",
            self.admin_token,
            "--limits-profile",
            self.limits_profile,
        ]
        for name, secret in self.tokens.items():
            cmd += ["--token", f"{name}={secret}"]
        for kind, text in self.limits.items():
            cmd += ["--rate-limit", f"{kind}={text}"]
        for name, seconds in self.delays.items():
            cmd += [f"--{name}-index-delay", str(seconds)]
        if self.faults is not None:
            path = self.data_dir / "faults.yaml"
            path.write_text(yaml.safe_dump(self.faults), encoding="utf-8")
            cmd += ["--faults", str(path)]
        return cmd + self.extra_args

    def start(self) -> SandboxProcess:
        """Launch the server and wait until it listens; raise RuntimeError if it does not."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        with self.log_path.open("a", encoding="utf-8") as log:
            self._proc = subprocess.Popen(
                self.command(), stdout=subprocess.PIPE, stderr=log, text=True, env=env
            )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        try:
            while True:
                line = lines.get(timeout=self.startup_timeout)
                if line.startswith("SANDBOX_URL="):
                    self.url = line.strip().split("=", 1)[1]
                    self._port = int(self.url.rsplit(":", 1)[1])
                    self._admin = None
                    return self
                if line == "":
                    raise queue.Empty
        except queue.Empty:
            self.stop(keep_data=True)
            log_tail = self.log_path.read_text(encoding="utf-8")[-3000:]
            raise RuntimeError(f"sandbox did not start; log tail:\n{log_tail}") from None

    def _pump(self, lines: queue.Queue[str]) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put("")

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop the server (SIGTERM, then SIGKILL); remove a temporary data dir."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None
        if self._own_dir and not keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def restart(self) -> SandboxProcess:
        """Stop and start again on the same port with the same data."""
        self.stop(keep_data=True)
        return self.start()

    def log_text(self) -> str:
        """Return what the server wrote to its log so far."""
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    def __enter__(self) -> SandboxProcess:
        """Start the server."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()
