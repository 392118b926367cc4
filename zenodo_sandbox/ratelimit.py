"""Rate limits per caller and per kind, with Flask-Limiter's headers and 429 text.

Strategies: ``moving`` (Zenodo's; a request counts for exactly one window length after it
was made) and ``fixed`` (windows aligned on multiples of their length). A refused request
does not count. Headers describe the breached limit, else the one with the smallest window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from zenodo_sandbox.config import RateLimit


@dataclass(frozen=True)
class Verdict:
    """The outcome of one hit: allowed or not, and the headers to send."""

    allowed: bool
    limit: RateLimit
    remaining: int
    reset: float  # absolute epoch seconds

    def headers(self, now: float) -> dict[str, str]:
        """Return ``X-RateLimit-*`` and ``Retry-After`` headers."""
        return {
            "X-RateLimit-Limit": str(self.limit.amount),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset)),
            "Retry-After": str(max(0, math.ceil(self.reset - now))),
        }


class RateLimiter:
    """Count hits per (caller, kind) against the configured limits."""

    def __init__(self, limits: dict[str, tuple[RateLimit, ...]], strategy: str = "moving",
                 clock: Callable[[], float] = time.time) -> None:
        """Keep the per-kind limits; ``strategy`` is ``moving`` or ``fixed``."""
        self._limits = dict(limits)
        self._clock = clock
        self._lock = threading.Lock()
        self.set_strategy(strategy)
        self._hits: dict[tuple[str, str, int], deque[float]] = {}
        self._fixed: dict[tuple[str, str, int], tuple[float, int]] = {}

    def set_strategy(self, strategy: str) -> None:
        """Switch between ``moving`` and ``fixed`` windows."""
        if strategy not in ("moving", "fixed"):
            raise ValueError(f"unknown rate-limit strategy {strategy!r}")
        with self._lock:
            self._strategy = strategy

    def set_limits(self, limits: dict[str, tuple[RateLimit, ...]]) -> None:
        """Replace the limits of the given kinds and forget all counts."""
        with self._lock:
            self._limits.update(limits)
            self._hits.clear()
            self._fixed.clear()

    def limits(self) -> dict[str, list[str]]:
        """Return the active limits as text per kind."""
        return {kind: [lim.describe() for lim in lims] for kind, lims in self._limits.items()}

    def _state(self, key: tuple[str, str, int], lim: RateLimit, now: float) -> tuple[int, float]:
        """Return (hits in the current window, reset time) for one limit."""
        if self._strategy == "fixed":
            start = now - (now % lim.window)
            began, count = self._fixed.get(key, (start, 0))
            if began != start:
                count = 0
            return count, start + lim.window
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - lim.window:
            hits.popleft()
        return len(hits), (hits[0] + lim.window) if hits else now + lim.window

    def hit(self, caller: str, kind: str) -> Verdict | None:
        """Count one request of ``caller`` for ``kind``; None when the kind has no limit."""
        lims = self._limits.get(kind) or ()
        if not lims:
            return None
        now = self._clock()
        with self._lock:
            states = [(lim, *self._state((caller, kind, lim.window), lim, now)) for lim in lims]
            for lim, count, reset in states:
                if count >= lim.amount:
                    return Verdict(False, lim, 0, reset)
            for lim, _count, _reset in states:
                key = (caller, kind, lim.window)
                if self._strategy == "fixed":
                    start = now - (now % lim.window)
                    began, count = self._fixed.get(key, (start, 0))
                    self._fixed[key] = (start, (count if began == start else 0) + 1)
                else:
                    self._hits[key].append(now)
            lim, count, reset = states[0]
            if self._strategy == "moving" and count == 0:
                reset = now + lim.window
            return Verdict(True, lim, lim.amount - count - 1, reset)
