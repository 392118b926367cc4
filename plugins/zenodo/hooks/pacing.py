"""Pacing inside one hook: the pacer protocol, a local 429-only pacer, and ``Retry-After``."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from typing import Protocol

from zenodo.traffic.retry_after import parse_retry_after


class RequestPacer(Protocol):
    """What the hook needs from a rate pacer (see :mod:`zenodo.traffic.pacer`)."""

    def acquire(self) -> None:
        """Block until one more request may be sent."""

    def observe(self, headers: Mapping[str, str], status: int) -> None:
        """Learn from the server's rate-limit headers (and from a 429)."""


class LocalPacer:
    """A pacer for one process with no limit of its own that still honours 429s."""

    def __init__(self) -> None:
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait out a 429's ``Retry-After``, if one was seen."""
        with self._lock:
            wait = self._blocked_until - time.time()
        if wait > 0:
            time.sleep(wait)

    def observe(self, headers: Mapping[str, str], status: int) -> None:
        """Remember how long to wait after a 429."""
        if status == 429:
            with self._lock:
                self._blocked_until = max(self._blocked_until, time.time() + retry_after(headers))


def retry_after(headers: Mapping[str, str], default: float = 5.0) -> float:
    """Seconds to wait after a 429.

    From ``Retry-After`` (seconds or an HTTP date, :func:`parse_retry_after`), else from
    ``X-RateLimit-Reset`` (absolute epoch), else ``default``. Header names are matched in
    any case.
    """
    lower = {name.lower(): value for name, value in headers.items()}
    seconds = parse_retry_after(lower.get("retry-after"))
    if seconds is not None:
        return seconds
    try:
        reset = float(lower["x-ratelimit-reset"])
    except (KeyError, ValueError):
        return default
    return max(0.0, reset - time.time()) if math.isfinite(reset) else default
