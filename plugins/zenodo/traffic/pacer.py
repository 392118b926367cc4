"""One rate pacer shared by every worker process, its state kept in the ledger database.

Each limit is counted in a moving window, as Zenodo counts it (:mod:`zenodo.traffic.windows`).
``acquire`` takes a slot in one short transaction on the bucket's row and sleeps until it, so
the limits hold across processes and machines (on PostgreSQL by the database's clock).
``observe`` believes the server: an empty window or a 429 blocks every worker until the reset.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa

from zenodo.store.database import EngineHolder
from zenodo.store.tables import PacerBucket
from zenodo.traffic.retry_after import parse_retry_after
from zenodo.traffic.windows import Counts, MovingWindow

log = logging.getLogger(__name__)

_B = PacerBucket.__table__

#: A wait longer than this is logged, so a spent hourly budget does not look like a hang.
_LONG_WAIT_S = 10.0

#: Zenodo's documented limits for a token (reference: zenodo-api.md §4.1).
ZENODO_AUTHENTICATED: list[tuple[int, float]] = [(100, 60.0), (5000, 3600.0)]
ZENODO_GUEST: list[tuple[int, float]] = [(60, 60.0), (2000, 3600.0)]
ZENODO_SEARCH: list[tuple[int, float]] = [(30, 60.0)]
ZENODO_OAI_PMH: list[tuple[int, float]] = [(30, 60.0)]


def bucket_for(conn_id: str, kind: str) -> str:
    """Name the bucket that paces ``kind`` requests (``api``, ``search``, ``oai``) of the token
    behind ``conn_id``: every process sending them takes its turns from it."""
    return f"{conn_id}:{kind}"


class PacerTimeout(TimeoutError):
    """No request slot is free within the timeout."""


@dataclass(frozen=True)
class BucketState:
    """A snapshot of a bucket's shared state (epoch seconds on the pacer's clock)."""

    windows: dict[str, Counts]
    blocked_until: float
    server_remaining: int | None
    server_reset: float | None


class Pacer:
    """A moving-window rate limiter shared through the database by every process using ``bucket``.

    :param url: the ledger database URL, or the engine of a :class:`~zenodo.ledger.ledger.Ledger`.
    :param bucket: the bucket's name (one per token and endpoint class, e.g. ``zenodo:api``).
    :param limits: ``(count, period_s)`` pairs, all enforced at once.
    :param margin: fraction of each limit left unused, for jitter between us and the server.
    :param transit_s: how long after its slot a request may reach the server (and be counted).
    :param horizon_s: a slot at most this far ahead is reserved at once; later ones are re-asked.
    :param default_block_s: how long a 429 without ``Retry-After`` / reset headers blocks.
    :param clock: epoch seconds now (tests inject one; default the database or local clock).
    :param sleep: the sleep function (tests inject one).
    """

    def __init__(
        self, url: str | sa.Engine, bucket: str, limits: Sequence[tuple[int, float]], *,
        margin: float = 0.02, transit_s: float = 0.1, horizon_s: float = 1.0,
        default_block_s: float = 60.0, clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not limits:
            raise ValueError(f"pacer {bucket!r}: limits: at least one (count, period_s) needed")
        if not 0 <= margin < 1 or transit_s < 0:
            raise ValueError(f"pacer {bucket!r}: margin must be in [0, 1) and transit_s >= 0")
        if any(count <= 0 or period <= 0 for count, period in limits):
            raise ValueError(f"pacer {bucket!r}: limits: bad limit in {list(limits)}")
        self._db = EngineHolder(url)
        self.bucket = bucket
        self._windows = [MovingWindow.of(count, period, margin=margin, transit=transit_s)
                         for count, period in limits]
        self._horizon = horizon_s
        self._default_block = default_block_s
        self._clock = clock
        self._sleep = sleep

    def acquire(self, timeout: float | None = None) -> float:
        """Block until one request may be sent; return the seconds waited.

        :param timeout: give up (raising :class:`PacerTimeout`, taking nothing) when the slot
            is further away than this many seconds.
        """
        waited = 0.0
        while True:
            left = None if timeout is None else timeout - waited
            taken, wait = self._db.write_retrying(partial(self._try_take, left=left))
            if waited == 0.0 and wait > _LONG_WAIT_S:
                log.info("pacer %s: the token's budget is spent; next request in %.0f s",
                         self.bucket, wait if taken else wait + self._horizon)
            self._sleep(wait)
            waited += wait
            if taken:
                return waited

    def observe(self, headers: Mapping[str, str], status: int) -> None:
        """Correct the shared state from a response's rate-limit headers and status.

        A positive ``X-RateLimit-Remaining`` is not spent down as a budget: under a moving
        window the reset frees one slot, not the whole window.

        :param headers: the response headers (any case).
        :param status: the HTTP status; 429 blocks every worker until the reset.
        """
        lower = {k.lower(): v for k, v in headers.items()}
        remaining = _int(lower.get("x-ratelimit-remaining"))
        reset_epoch = _float(lower.get("x-ratelimit-reset"))
        retry_after = parse_retry_after(lower.get("retry-after"),
                                        self._clock() if self._clock else None)
        if status != 429 and remaining is None:
            return
        self._db.write_retrying(
            lambda conn: self._correct(conn, status, remaining, reset_epoch, retry_after)
        )

    def state(self) -> BucketState:
        """Return the bucket's shared state (for reports and tests)."""
        with self._db.read() as conn:
            row = conn.execute(sa.select(_B).where(_B.c.bucket == self.bucket)).mappings().first()
        if row is None:
            return BucketState({}, 0.0, None, None)
        return BucketState(dict(row["windows"]), row["blocked_until"], row["server_remaining"],
                           row["server_reset"])

    # -- one transaction each --

    def _try_take(self, conn: sa.Connection, *, left: float | None) -> tuple[bool, float]:
        row, now = self._lock(conn)
        counts = {w.key: w.live(row["windows"].get(w.key, []), now) for w in self._windows}
        slot = max(now, row["blocked_until"],
                   *(w.earliest(counts[w.key], now) for w in self._windows))
        remaining, reset = row["server_remaining"], row["server_reset"]
        if remaining is not None and reset is not None and reset > slot and remaining <= 0:
            slot = reset
        wait = slot - now
        if left is not None and wait > left:
            raise PacerTimeout(f"pacer {self.bucket!r}: next slot in {wait:.1f} s > {left:.1f} s")
        if wait > self._horizon:
            return False, wait - self._horizon
        for w in self._windows:
            w.record(counts[w.key], slot)
        values: dict[str, Any] = {"windows": counts, "updated_at": now}
        conn.execute(sa.update(_B).where(_B.c.bucket == self.bucket).values(values))
        return True, wait

    def _correct(self, conn: sa.Connection, status: int, remaining: int | None,
                 reset_epoch: float | None, retry_after: float | None) -> None:
        row, now = self._lock(conn)
        reset = _local_reset(now, reset_epoch, retry_after)
        values: dict[str, Any] = {"updated_at": now}
        if status == 429:
            until = reset if reset is not None else now + self._default_block
            values.update(blocked_until=max(row["blocked_until"], until),
                          server_remaining=0, server_reset=until)
            log.warning("pacer %s: 429 from the server, every worker waits %.1f s",
                        self.bucket, until - now)
        elif reset is not None and remaining is not None:
            # The latest answer wins. With a moving window (Zenodo's) the reset is when the
            # oldest request leaves the window, so "remaining" is not a budget to spend
            # before it: only an empty window (0) holds requests back until the reset; the
            # window counts above keep us under the limit otherwise.
            values.update(server_remaining=remaining, server_reset=reset)
        conn.execute(sa.update(_B).where(_B.c.bucket == self.bucket).values(values))

    def _lock(self, conn: sa.Connection) -> tuple[Mapping[str, Any], float]:
        """Lock the bucket's row (creating it) and read the clock in the same round trip."""
        columns: list[Any] = [_B]
        use_db_clock = self._clock is None and conn.dialect.name == "postgresql"
        if use_db_clock:
            columns.append(sa.func.extract("epoch", sa.func.clock_timestamp()).label("db_now"))
        query = sa.select(*columns).where(_B.c.bucket == self.bucket).with_for_update()
        row = conn.execute(query).mappings().first()
        if row is None:
            conn.execute(sa.insert(_B).values(bucket=self.bucket, windows={}, blocked_until=0.0,
                                              updated_at=time.time()))
            row = conn.execute(query).mappings().one()
        if use_db_clock:
            return row, float(row["db_now"])
        return row, self._clock() if self._clock else time.time()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _local_reset(now: float, reset_epoch: float | None, retry_after: float | None) -> float | None:
    """Place the server's reset on our clock.

    ``Retry-After`` is relative, so immune to clock skew, but truncated to whole seconds; the
    absolute ``X-RateLimit-Reset`` refines it when the two agree to within that second.
    """
    if retry_after is None:
        return reset_epoch
    until = now + retry_after
    if reset_epoch is not None and until <= reset_epoch <= until + 1:
        return reset_epoch
    return until
