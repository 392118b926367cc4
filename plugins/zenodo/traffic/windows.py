"""Moving-window request counts: when one of a token's limits lets the next request go.

As on Zenodo (Flask-Limiter's moving window), a request counts against a window for one window
length after it arrives, so an idle token's first requests go at once. Counts are kept in
slots, on the safe side, as plain JSON in the pacer's row.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass

#: Slots per window: the count errs on the safe side by at most one slot (1% of the window).
SLOTS = 100

Counts = list[list[int]]


@dataclass(frozen=True)
class MovingWindow:
    """One limit, ``allowed`` requests in any ``period`` seconds, counted in slots.

    :param key: the window's name in the pacer's state, e.g. ``100/60``.
    :param allowed: requests the window may hold (the server's limit less our margin).
    :param period: the window's length in seconds.
    :param transit: seconds a request may take to reach the server after its slot.
    """

    key: str
    allowed: int
    period: float
    transit: float

    @classmethod
    def of(cls, count: int, period: float, *, margin: float, transit: float) -> MovingWindow:
        """The window of a server limit of ``count`` per ``period`` s, less ``margin`` of it."""
        allowed = max(1, math.floor(count * (1 - margin) + 1e-9))
        return cls(f"{count}/{period:g}", allowed, float(period), transit)

    @property
    def width(self) -> float:
        """The length of one slot, in seconds."""
        return self.period / SLOTS

    def slot_of(self, at: float) -> int:
        """The slot holding a request sent at epoch ``at``."""
        return math.floor(at / self.width)

    def frees_at(self, slot: int) -> float:
        """When the requests of ``slot`` have surely left every server window."""
        return (slot + 1) * self.width + self.period + self.transit

    def live(self, counts: Counts, now: float) -> Counts:
        """The slots of ``counts`` that still count at ``now``."""
        return [[slot, n] for slot, n in counts if self.frees_at(slot) > now]

    def earliest(self, counts: Counts, now: float) -> float:
        """The first moment from ``now`` at which one more request fits (``counts`` live)."""
        excess = sum(n for _, n in counts) - self.allowed + 1
        if excess <= 0:
            return now
        # Oldest first: the first slot whose leaving, with the older ones, makes the room.
        leaving = list(itertools.accumulate(n for _, n in counts))
        slot = counts[bisect.bisect_left(leaving, excess)][0]
        return max(now, self.frees_at(slot))

    def record(self, counts: Counts, at: float) -> None:
        """Count one request sent at ``at`` in ``counts`` (kept sorted by slot)."""
        slot = self.slot_of(at)
        i = bisect.bisect_left(counts, [slot, 0])
        if i < len(counts) and counts[i][0] == slot:
            counts[i][1] += 1
        else:
            counts.insert(i, [slot, 1])
