"""A hostile OAI-PMH server on 127.0.0.1, in a thread: feeds that never end, or never finish.

Modes (``HostileOai(mode)``), each bounded so a client without defences ends too, only late:

- ``repeat``: every page hands back the same resumption token (up to ``pages``);
- ``endless``: a new token on every page, though ``completeListSize`` says 3 records;
- ``sizeless``: a new token on every page and no ``completeListSize``;
- ``trickle``: a valid start, then one byte every ``interval`` seconds (for ``seconds``);
- ``huge``: one page of ``megabytes`` MB, no ``Content-Length``;
- ``declared``: a page whose ``Content-Length`` announces ``megabytes`` MB.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.zenodo.loopback_server import LoopbackServer

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-01-01T00:00:00Z</responseDate>"
        '<request verb="ListRecords">http://127.0.0.1/oai2d</request><ListRecords>')
TAIL = "</ListRecords></OAI-PMH>"


def record(number: int) -> str:
    """One ``<record>`` (a header only) of record ``number``."""
    return (f"<record><header><identifier>oai:hostile.example:{number}</identifier>"
            "<datestamp>2026-01-01T00:00:00Z</datestamp><setSpec>user-herb</setSpec>"
            "</header></record>")


class HostileOai(LoopbackServer):
    """Serve one hostile mode; count the requests and the bytes sent.

    :param mode: see the module docstring.
    :param pages: the most pages ``repeat``/``endless``/``sizeless`` serve before ending.
    """

    def __init__(self, mode: str, *, pages: int = 400, interval: float = 0.2,
                 seconds: float = 30.0, megabytes: int = 64) -> None:
        self.mode, self.pages, self.interval = mode, pages, interval
        self.seconds, self.megabytes = seconds, megabytes
        self.requests = 0
        self.bytes_sent = 0
        self.gave_up = threading.Event()  # the client closed the connection mid-body
        super().__init__(self._handler())

    def connection_json(self) -> str:
        """An Airflow connection (JSON) of type ``zenodo`` on this server."""
        return json.dumps({"conn_type": "zenodo", "host": self.url,
                           "password": "hostile-test-token",
                           "extra": {"rate_limit_profile": "none", "read_timeout": 5}})

    # -- pages ---------------------------------------------------------------------------------

    def page(self, number: int) -> bytes:
        """Page ``number`` (1-based) of a list mode."""
        if number >= self.pages:
            return (HEAD + record(number) + TAIL).encode()
        token = {"repeat": "same-token"}.get(self.mode, f"token-{number + 1}")
        size = "" if self.mode == "sizeless" else ' completeListSize="3"'
        return (HEAD + record(number) + f'<resumptionToken{size} cursor="{number - 1}">'
                f"{token}</resumptionToken>" + TAIL).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                if not urlparse(self.path).path.endswith("/oai2d"):
                    self.send_error(404)
                    return
                server.requests += 1
                token = (query.get("resumptionToken") or [""])[0]
                number = int(token.rsplit("-", 1)[1]) if token.startswith("token-") else (
                    server.requests)
                try:
                    getattr(self, f"_{server.mode}", self._list)(number)
                except (BrokenPipeError, ConnectionResetError):
                    server.gave_up.set()

            def _start(self, length: int | None = None) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                if length is not None:
                    self.send_header("Content-Length", str(length))
                self.end_headers()

            def _send(self, data: bytes) -> None:
                self.wfile.write(data)
                self.wfile.flush()
                server.bytes_sent += len(data)

            def _list(self, number: int) -> None:
                body = server.page(number)
                self._start(len(body))
                self._send(body)

            def _trickle(self, _number: int) -> None:
                body = server.page(server.pages)
                self._start(len(body))
                self._send(body[:200])
                stop = time.monotonic() + server.seconds
                for index in range(200, len(body)):
                    if time.monotonic() > stop:
                        break
                    time.sleep(server.interval)
                    self._send(body[index:index + 1])
                self._send(body[index + 1:])

            def _huge(self, _number: int) -> None:
                self._start()
                self._send(HEAD.encode())
                block = "".join(record(n) for n in range(1, 7000)).encode()  # ~1 MB
                for _ in range(server.megabytes):
                    self._send(block)
                self._send(TAIL.encode())

            def _declared(self, _number: int) -> None:
                self._start(server.megabytes * 1024 * 1024)
                self._send(HEAD.encode())
                time.sleep(5)

        return Handler


@contextmanager
def hostile_servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., HostileOai]]:
    """Yield ``start(mode, **options)``, which starts a :class:`HostileOai` and points the
    connection ``zenodo_hostile`` at it; every server started is stopped at the end."""
    started: list[HostileOai] = []

    def start(mode: str, **options: Any) -> HostileOai:
        server = HostileOai(mode, **options).__enter__()
        started.append(server)
        monkeypatch.setenv("AIRFLOW_CONN_ZENODO_HOSTILE", server.connection_json())
        return server

    try:
        yield start
    finally:
        for server in started:
            server.__exit__(None, None, None)
