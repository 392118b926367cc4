"""A real HTTP image server on 127.0.0.1 for the tests: files of a folder, with faults.

It serves ``GET`` and ``HEAD`` with ``Content-Length`` and ``Range`` (``bytes=a-b``,
``bytes=a-``, ``bytes=-n``), and counts the bytes it sent. A fault set for a name changes the
answer: ``404``, ``410``, ``500`` (a status), ``short`` (declares the full length, sends half,
closes), ``cut`` (sends half and resets the connection), ``no-range`` (ignores ``Range``).
"""

from __future__ import annotations

import pathlib
import re
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class ImageServer(ThreadingHTTPServer):
    """Serve ``folder``'s files; ``faults[name]`` changes one file's answers.

    :param folder: the files served (by name, ``/`` folders allowed).
    """

    daemon_threads = True

    def __init__(self, folder: pathlib.Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.folder = folder
        self.faults: dict[str, str] = {}
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Range
        self.bytes_sent = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The server's base URL, ending with ``/``."""
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def sent(self, count: int) -> None:
        with self._lock:
            self.bytes_sent += count


class _Handler(BaseHTTPRequestHandler):
    server: ImageServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet
        return

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, *, body: bool) -> None:
        name = unquote(urlsplit(self.path).path).lstrip("/")
        ranged = self.headers.get("Range")
        self.server.requests.append((self.command, name, ranged))
        fault = self.server.faults.get(name, "")
        path = self.server.folder / name
        if fault.isdigit() or not path.is_file():
            self._status(int(fault) if fault.isdigit() else 404)
            return
        data = path.read_bytes()
        start, end, status = 0, len(data), 200
        match = _RANGE_RE.match(ranged or "")
        if match and fault != "no-range" and any(match.groups()):
            first, last = match.groups()
            if not first:
                start = max(len(data) - int(last), 0)
            else:
                start, end = int(first), min(int(last) + 1 if last else len(data), len(data))
            status = 206
        part = data[start:end]
        self.send_response(status)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(part)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        if not body:
            return
        if fault in ("short", "cut") and len(part) > 16:
            half = part[: len(part) // 2]
            self.wfile.write(half)
            self.wfile.flush()
            self.server.sent(len(half))
            if fault == "cut":  # a reset, not a clean close
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.wfile.write(part)
        self.server.sent(len(part))

    def _status(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def serving(folder: pathlib.Path) -> Iterator[ImageServer]:
    """Run an :class:`ImageServer` for ``folder`` in a thread while the block runs."""
    server = ImageServer(folder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
