"""A real S3-API server process (moto's server mode) for the tests and bench P8, with faults.

:class:`S3Server` runs ``python -m moto.server`` on a free 127.0.0.1 port; the pipeline reaches
it through an Airflow ``aws`` connection given as ``AIRFLOW_CONN_<ID>`` JSON (dummy keys,
``extra.endpoint_url``). :class:`FaultProxy` stands in front of it when a test needs what moto
does not do by itself: answer 500/503 for one object, or replace an object just before its
n-th whole read (between validation and upload).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import requests

from tests.airflow_processes import free_port
from tests.zenodo.loopback_server import LoopbackServer

#: Dummy credentials: moto accepts any.
ACCESS_KEY, SECRET_KEY, REGION = "testing-key", "testing-secret", "us-east-1"


def connection_json(endpoint_url: str, *, attempts: int = 2) -> str:
    """An Airflow ``aws`` connection (``AIRFLOW_CONN_<ID>`` JSON) for an S3-API endpoint.

    :param attempts: botocore's tries per request (few, so a fault test stays short).
    """
    return json.dumps({
        "conn_type": "aws", "login": ACCESS_KEY, "password": SECRET_KEY,
        "extra": {"endpoint_url": endpoint_url, "region_name": REGION,
                  "config_kwargs": {"retries": {"max_attempts": attempts, "mode": "standard"}}},
    })


class S3Server:
    """``python -m moto.server`` on a free loopback port while the ``with`` block runs."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
               "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto server exited with {self._process.returncode}")
            try:
                requests.get(f"{self.url}/moto-api/", timeout=2)
                return self
            except requests.ConnectionError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("moto server did not answer within 60 s")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None

    def client(self) -> Any:
        """A boto3 S3 client on the server (for the tests' own set-up, not the pipeline's)."""
        import boto3

        return boto3.client("s3", endpoint_url=self.url, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name=REGION)

    def upload_folder(self, folder: pathlib.Path, bucket: str, prefix: str = "") -> list[str]:
        """Create ``bucket`` and put every file of ``folder`` under ``prefix``; return the keys."""
        client = self.client()
        client.create_bucket(Bucket=bucket)
        keys = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            key = prefix + path.relative_to(folder).as_posix()
            client.upload_file(str(path), bucket, key)
            keys.append(key)
        return keys


class FaultProxy(LoopbackServer):
    """An HTTP proxy in front of an S3-API server that can fail or swap single objects.

    ``faults[key]`` (``bucket/key``) answers every request for it with that status, or with
    ``"short"`` sends half of each body and closes; ``swaps[key] = (n, content)`` puts
    ``content`` there just before the n-th whole (not ranged) ``GET`` of it is passed on.
    Whole ``GET``s are counted in ``gets``; every request is logged in ``requests``
    (method, key, Range).
    """

    def __init__(self, upstream: str, put: Callable[[str, bytes], None]) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults: dict[str, int | str] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        self.swaps: dict[str, tuple[int, bytes]] = {}
        self.gets: Counter[str] = Counter()
        self._put = put
        self._lock = threading.Lock()
        super().__init__(_proxy_handler(self))  # its url: the endpoint the connection names

    def before(self, method: str, path: str, ranged: str | None) -> int | str | None:
        """Log a request; swap its object if due; return the fault to answer with, if any."""
        key = unquote(urlsplit(path).path).lstrip("/")
        self.requests.append((method, key, ranged))
        if key in self.faults:
            return self.faults[key]
        if method == "GET" and not ranged:
            with self._lock:
                self.gets[key] += 1
                due = self.swaps.get(key)
                if due and self.gets[key] == due[0]:
                    self._put(key, due[1])
        return None


def _proxy_handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    """The request handler class of ``proxy`` (forwards to its upstream, streamed)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            return

        def _forward(self) -> None:
            fault = proxy.before(self.command, self.path, self.headers.get("Range"))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if isinstance(fault, int):
                status = fault
                error = f"<Error><Code>InternalError</Code><Message>{status}</Message></Error>"
                self.send_response(status)
                self.send_header("Content-Length", str(len(error)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(error.encode())
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            with requests.request(self.command, proxy.upstream + self.path, data=body,
                                  headers=headers, stream=True, timeout=60) as answer:
                self.send_response(answer.status_code)
                for name, value in answer.raw.headers.items():
                    if name.lower() not in ("transfer-encoding", "connection"):
                        self.send_header(name, value)
                declared = answer.headers.get("Content-Length")
                if declared is None or fault == "short":
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command == "HEAD":
                    return
                left = int(declared) // 2 if fault == "short" and declared else None
                for piece in answer.raw.stream(1 << 20, decode_content=False):
                    if left is not None:
                        piece, left = piece[:left], left - len(piece[:left])
                    self.wfile.write(piece)
                    if left == 0:
                        return

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

    return Handler
