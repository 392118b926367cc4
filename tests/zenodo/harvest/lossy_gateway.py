"""A gateway on 127.0.0.1 in front of the sandbox that loses answers after they were made.

zenodo.org's proxy answers 502/504 when the application is slow; the application may still
have read the page, moving the list's scroll on. This gateway forwards every request to the
sandbox and, for the first ``lose`` requests carrying a resumption token, throws the answer
away and sends a 504 instead: the sandbox's scroll has moved, as on zenodo.org.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

import requests

from tests.zenodo.loopback_server import LoopbackServer

GATEWAY_TIMEOUT = b"<html><body><h1>504 Gateway Time-out</h1></body></html>"


class LossyGateway(LoopbackServer):
    """Forward to ``upstream``; lose the first ``lose`` answers to token requests.

    :param upstream: the sandbox's base URL.
    :param lose: how many token answers to replace with a 504.
    """

    def __init__(self, upstream: str, *, lose: int = 1) -> None:
        self.upstream, self.lose = upstream.rstrip("/"), lose
        self.lost = 0
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def _take_loss(self, path: str) -> bool:
        with self._lock:
            if "resumptionToken=" in path and self.lost < self.lose:
                self.lost += 1
                return True
            return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                lose = gateway._take_loss(self.path)
                up = requests.get(gateway.upstream + self.path, timeout=30)
                status, body, ctype = up.status_code, up.content, up.headers.get("Content-Type")
                if lose:  # the sandbox served the page; the client never sees it
                    status, body, ctype = 504, GATEWAY_TIMEOUT, "text/html"
                self.send_response(status)
                self.send_header("Content-Type", ctype or "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
