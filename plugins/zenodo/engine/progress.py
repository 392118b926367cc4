"""A batch's progress in the task log: done/total, rate, ETA and errors, now and then."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zenodo.engine.outcomes import OutcomeKind
    from zenodo.engine.statistics import BatchStats

log = logging.getLogger(__name__)


class Progress:
    """Log done/total, rate, ETA and errors every ``every`` specimens or ``seconds``."""

    def __init__(self, total: int, *, every: int = 50, seconds: float = 30.0,
                 stats: BatchStats | None = None) -> None:
        self.total = total
        self.stats = stats
        self.every = every
        self.seconds = seconds
        self.done = 0
        self.errors = 0
        self.started = time.monotonic()
        self._last_log = self.started
        self._lock = threading.Lock()

    def step(self, outcome: OutcomeKind) -> None:
        """Count one finished specimen (its ``outcome`` in the stats) and log when it is time to."""
        if self.stats is not None:
            self.stats.finished(outcome.value)
        with self._lock:
            self.done += 1
            self.errors += 1 if outcome.unsuccessful else 0
            now = time.monotonic()
            due = self.done % self.every == 0 or now - self._last_log >= self.seconds
            if due or self.done == self.total:
                self._last_log = now
                elapsed = max(now - self.started, 1e-9)
                rate = self.done / elapsed
                eta = (self.total - self.done) / rate if rate else float("inf")
                log.info(
                    "progress %d/%d specimens, %.1f/min, ETA %.0fs, errors %d",
                    self.done,
                    self.total,
                    rate * 60,
                    eta,
                    self.errors,
                )
