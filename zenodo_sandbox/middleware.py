"""ASGI middleware: caller identity, rate limits, fault injection, request log, log lines.

It works at the raw ASGI level so it can do what a gateway does: answer HTML 502/504,
let the application commit and then fail the answer, or drop a connection mid-body.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from zenodo_sandbox.core import NOT_FOUND
from zenodo_sandbox.faults import WRITE_KINDS, Decision, FaultInjector
from zenodo_sandbox.ratelimit import RateLimiter, Verdict

log = logging.getLogger("zenodo_sandbox.requests")
Scope = dict[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

_DEP = r"/api/deposit/depositions"
_RDM = r"/api/records/[^/]+/draft"
_RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(rf"{_DEP}/?"), "create"),
    ("GET", re.compile(rf"{_DEP}/?"), "list"),
    ("PUT", re.compile(rf"{_DEP}/\d+"), "update"),
    ("DELETE", re.compile(rf"{_DEP}/\d+"), "delete"),
    ("POST", re.compile(rf"{_DEP}/\d+/actions/publish"), "publish"),
    ("POST", re.compile(rf"{_DEP}/\d+/actions/edit"), "edit"),
    ("POST", re.compile(rf"{_DEP}/\d+/actions/discard"), "discard"),
    ("POST", re.compile(rf"{_DEP}/\d+/actions/newversion"), "newversion"),
    ("POST", re.compile(rf"{_DEP}/\d+/files"), "file_post"),
    ("DELETE", re.compile(rf"{_DEP}/\d+/files/.+"), "file_delete"),
    ("PUT", re.compile(r"/api/files/[^/]+/.+"), "file_put"),
    ("DELETE", re.compile(r"/api/files/[^/]+/.+"), "file_delete"),
    ("GET", re.compile(r"/api/records/?"), "search"),
    ("POST", re.compile(r"/api/records/?"), "create"),
    ("PUT", re.compile(rf"{_RDM}"), "update"),
    ("DELETE", re.compile(rf"{_RDM}"), "delete"),
    ("POST", re.compile(rf"{_RDM}"), "edit"),
    ("POST", re.compile(rf"{_RDM}/actions/(publish|submit-review)"), "publish"),
    ("POST", re.compile(rf"{_RDM}/actions/files-import"), "file_post"),
    ("PUT", re.compile(rf"{_RDM}/review"), "update"),
    ("POST", re.compile(r"/api/records/[^/]+/versions"), "newversion"),
    ("POST", re.compile(r"/api/records/[^/]+/communities"), "update"),
    ("POST", re.compile(rf"{_RDM}/files"), "file_post"),
    ("PUT", re.compile(rf"{_RDM}/files/.+/content"), "file_put"),
    ("POST", re.compile(rf"{_RDM}/files/.+/commit"), "file_post"),
    ("DELETE", re.compile(rf"{_RDM}/files/.+"), "file_delete"),
    ("GET", re.compile(r"/api/user/records/?"), "list"),
    ("POST", re.compile(r"/api/requests/[^/]+/actions/accept"), "publish"),
]
_HTML = ("<html><head><title>{code} {text}</title></head><body><center><h1>{code} {text}"
         "</h1></center><hr><center>nginx</center></body></html>")
_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


def classify(method: str, path: str) -> str:
    """Return the endpoint kind of a request (see :data:`zenodo_sandbox.faults.KINDS`)."""
    if path.startswith("/oai2d"):
        return "oai"
    for rule_method, pattern, kind in _RULES:
        if method == rule_method and pattern.fullmatch(path):
            return kind
    return "get" if method in ("GET", "HEAD") and path.startswith("/api/") else "other"


def caller_token(scope: Scope) -> str | None:
    """Return the token sent as ``Authorization: Bearer`` or ``?access_token=``."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    query = scope.get("query_string", b"")
    if b"access_token=" in query:
        for key, value in parse_qsl(query.decode("latin-1")):
            if key == "access_token" and value:
                return value
    return None


def safe_query(scope: Scope) -> str:
    """Return the query string with ``access_token`` removed, for logs."""
    query = scope.get("query_string", b"").decode("latin-1")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "access_token"]
    return urlencode(kept)


def safe_target(scope: Scope) -> str:
    """Return path and query with ``access_token`` removed, for logs."""
    query = safe_query(scope)
    return f"{scope['path']}?{query}" if query else scope["path"]


class RequestLog:
    """A bounded in-memory log of API requests (admin calls excluded), and an unbounded tally
    of them by second, kind, fault and status.

    The log keeps the last ``size`` requests (``dropped`` says how many went before); the
    tally keeps every request's count and latency since the last clear, so a figure over a
    long run (half a million requests and more) is read off all of it, not its last part.
    """

    def __init__(self, size: int = 200_000) -> None:
        """Keep at most ``size`` entries."""
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._tally: dict[tuple[int, str | None, str | None, int], list[float]] = {}
        self.dropped = 0
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> None:
        """Append one entry and count it."""
        key = (int(entry["time"]), entry["kind"], entry["fault"], entry["status"])
        with self._lock:
            if len(self._entries) == self._entries.maxlen:
                self.dropped += 1
            self._entries.append(entry)
            counted = self._tally.setdefault(key, [0, 0.0])
            counted[0] += 1
            counted[1] += entry["latency_ms"]

    def entries(self) -> list[dict[str, Any]]:
        """Return a copy of all entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def tally(self) -> list[dict[str, Any]]:
        """Every request since the last clear, counted by (whole) second, kind, fault and
        status, with the sum of their latencies (ms), oldest second first."""
        with self._lock:
            counted = sorted(self._tally.items(), key=lambda item: item[0][0])
        return [{"second": second, "kind": kind, "fault": fault, "status": status,
                 "count": int(count), "latency_ms": round(total, 1)}
                for (second, kind, fault, status), (count, total) in counted]

    def clear(self) -> None:
        """Forget every entry and count."""
        with self._lock:
            self._entries.clear()
            self._tally.clear()
            self.dropped = 0


class SandboxMiddleware:
    """Wrap the FastAPI app with limits, faults and logging."""

    def __init__(self, app: Callable, *, tokens: dict[str, str], limiter: RateLimiter,
                 faults: FaultInjector, request_log: RequestLog) -> None:
        """Keep the collaborators; ``tokens`` maps secrets to user names."""
        self.app, self.tokens, self.limiter = app, tokens, limiter
        self.faults, self.request_log = faults, request_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, method, path = time.perf_counter(), scope["method"], scope["path"]
        token = caller_token(scope)
        user = self.tokens.get(token) if token else None
        state = scope.setdefault("state", {})
        state["user"], state["token_sent"] = user, token is not None
        if path.startswith("/admin"):
            status = await self._pass(scope, receive, send, {}, None)
            self._finish(scope, method, status, started, None, None, None, admin=True)
            return
        kind = classify(method, path)
        caller = user or (scope.get("client") or ("anonymous",))[0]
        limit_kind = "oai" if kind == "oai" else "search" if kind == "search" else (
            "api" if user else "guest")
        verdict = self.limiter.hit(caller, limit_kind) if path != "/" else None
        headers = verdict.headers(time.time()) if verdict else {}
        fault = self.faults.decide(kind) if kind != "other" else Decision()
        status = await self._respond(scope, receive, send, kind, verdict, headers, fault)
        self._finish(scope, method, status, started, kind, user, fault)

    async def _respond(self, scope: Scope, receive: Receive, send: Send, kind: str,
                       verdict: Verdict | None, headers: dict[str, str], fault: Decision) -> int:
        if verdict is not None and not verdict.allowed:
            await _drain(receive)
            return await _error(send, 429, headers, verdict.limit.describe(), html=kind == "oai")
        if fault.latency:
            await asyncio.sleep(fault.latency)
        if fault.outage:
            await _drain(receive)
            return await _error(send, 503, headers, "", html=True)
        if fault.storm:
            await _drain(receive)
            return await _error(send, 429, headers, "100 per 1 minute", html=kind == "oai")
        if fault.error_status is not None:
            await _drain(receive)
            if fault.error_status == 404:  # as the API answers for an id it does not hold
                return await _error(send, 404, headers, NOT_FOUND, html=False)
            return await _error(send, fault.error_status, headers, "Internal server error.",
                                html=fault.error_status != 500)
        if fault.reset_upload:
            return await _reset_upload(receive, send)
        if fault.commit_fail and kind in WRITE_KINDS:
            return await self._commit_then_fail(scope, receive, send, headers, fault.commit_fail)
        return await self._pass(scope, receive, send, headers, None)

    async def _pass(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str],
                    capture: list[dict[str, Any]] | None) -> int:
        status = 500
        extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def wrapped(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            if capture is not None:
                capture.append(message)
            else:
                await send(message)

        await self.app(scope, receive, wrapped)
        return status

    async def _commit_then_fail(self, scope: Scope, receive: Receive, send: Send,
                                headers: dict[str, str], mode: str) -> int:
        messages: list[dict[str, Any]] = []
        status = await self._pass(scope, receive, send, headers, messages)
        if status >= 400:  # the write itself failed: nothing committed, answer as is
            for message in messages:
                await send(message)
            return status
        if mode == "gateway":
            return await _error(send, 504, headers, "", html=True)
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        start = next(m for m in messages if m["type"] == "http.response.start")
        kept = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        kept.append((b"content-length", str(len(body) + 100).encode()))
        await send({**start, "headers": kept})
        await send({"type": "http.response.body", "body": body[: len(body) // 2],
                    "more_body": True})
        return 599  # connection dropped: logged as 599

    def _finish(self, scope: Scope, method: str, status: int, started: float, kind: str | None,
                user: str | None, fault: Decision | None, *, admin: bool = False) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1fms", method, safe_target(scope), status, elapsed)
        if admin:
            return
        faulted = None
        if fault is not None:
            faulted = ("outage" if fault.outage else "storm" if fault.storm
                       else f"error_{fault.error_status}" if fault.error_status
                       else "reset_upload" if fault.reset_upload
                       else f"commit_then_fail_{fault.commit_fail}" if fault.commit_fail
                       else None)
        self.request_log.add({"time": time.time(), "method": method, "path": scope["path"],
                              "query": safe_query(scope), "status": status, "kind": kind,
                              "token": user, "latency_ms": round(elapsed, 1), "fault": faulted})


async def _error(send: Send, status: int, headers: dict[str, str], message: str, *,
                 html: bool) -> int:
    if html:
        body = _HTML.format(code=status, text=_REASONS.get(status, "Error")).encode()
        ctype = b"text/html"
    else:
        payload: dict[str, Any] = {"status": status, "message": message}
        if status == 500:
            payload["error_id"] = f"sandbox-{time.time_ns():x}"
        body, ctype = json.dumps(payload).encode(), b"application/json"
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw += [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
    return status


async def _drain(receive: Receive) -> None:
    """Read and drop the request body, so a client still sending it gets the early answer.

    Without this, a client uploading a large file blocks on a full socket buffer while the
    server waits for it to read the answer: the connection hangs until a timeout.
    """
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _reset_upload(receive: Receive, send: Send) -> int:
    """Read part of the request body, then drop the connection mid-answer."""
    message = await receive()
    if message.get("more_body"):
        await receive()
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-length", b"1000")]})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    return 599
