"""What the hook tells others about each request: observers (statistics) and a circuit breaker.

:class:`RequestWatch` sits in :meth:`ZenodoHook.request <zenodo.hooks.zenodo.ZenodoHook.request>`,
the one place every request goes through: before sending it waits on the circuit breaker (if
one is set), then it tells every observer what was sent and how it ended, and tells the breaker
whether Zenodo answered.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import requests
from requests.utils import super_len

if TYPE_CHECKING:
    from zenodo.traffic.breaker import CircuitBreaker


class RequestObserver(Protocol):
    """Something that wants to know about every request (e.g. ``BatchStats``)."""

    def request_sent(self, method: str, operation: str, nbytes: int) -> None:
        """One request is about to be sent with ``nbytes`` of body."""

    def request_done(self, status: int | None, transport: str | None = None,
                     seconds: float = 0.0) -> None:
        """It ended with ``status``, or with a transport failure (``timeout``, ``reset`` …),
        ``seconds`` after it was sent (the wait for the answer, as this side saw it)."""

    def paused(self, started: float, ended: float) -> None:
        """A worker waited on the open breaker from ``started`` to ``ended`` (epoch s)."""


def body_size(kwargs: Mapping[str, Any]) -> int:
    """Return the body bytes a ``requests`` call with ``kwargs`` sends."""
    if kwargs.get("json") is not None:
        return len(json.dumps(kwargs["json"], allow_nan=False).encode())
    data = kwargs.get("data")
    if data is None or isinstance(data, dict):
        return 0
    return int(super_len(data))  # what requests sends as Content-Length (files: their size)


def transport_kind(exc: BaseException) -> str:
    """Return ``timeout``, ``connect`` (never reached the server) or ``reset``."""
    if isinstance(exc, requests.Timeout):
        return "timeout"
    return "connect" if "NewConnectionError" in repr(exc) else "reset"


class RequestWatch:
    """The observers and the breaker of one hook (thread-safe)."""

    def __init__(self) -> None:
        self._observers: list[RequestObserver] = []
        self._lock = threading.Lock()
        self.breaker: CircuitBreaker | None = None

    def add(self, observer: RequestObserver) -> None:
        """Tell ``observer`` about every request from now on."""
        with self._lock:
            self._observers.append(observer)

    def remove(self, observer: RequestObserver) -> None:
        """Stop telling ``observer``."""
        with self._lock:
            if observer in self._observers:
                self._observers.remove(observer)

    def _each(self) -> list[RequestObserver]:
        with self._lock:
            return list(self._observers)

    def gate(self, probe: Callable[[], bool]) -> None:
        """Wait while the breaker is open (raises ZenodoUnavailable past its limit)."""
        if self.breaker is not None:
            self.breaker.wait_until_closed(probe, on_pause=self._paused)

    def _paused(self, started: float, ended: float) -> None:
        for observer in self._each():
            observer.paused(started, ended)

    def sent(self, method: str, operation: str, kwargs: Mapping[str, Any]) -> None:
        """Count one request about to be sent."""
        nbytes = body_size(kwargs)
        for observer in self._each():
            observer.request_sent(method, operation, nbytes)

    def done(self, status: int | None = None, exc: BaseException | None = None,
             seconds: float = 0.0) -> bool:
        """Report how a request ended, ``seconds`` after it was sent; return whether Zenodo
        answered (no 5xx, no transport failure)."""
        transport = transport_kind(exc) if exc is not None else None
        for observer in self._each():
            observer.request_done(status, transport, seconds)
        answered = transport is None and status is not None and status < 500
        if self.breaker is not None:
            self.breaker.record(answered, sent_at=time.time() - seconds)
        return answered
