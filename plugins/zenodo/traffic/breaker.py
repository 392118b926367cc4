"""A circuit breaker shared by every worker, its state kept in the ledger database.

After ``threshold`` failed requests in a row (5xx, timeout, dropped connection) every worker
pauses; one at a time probes Zenodo, and the first answer resumes them all. A pause longer than
``max_outage`` raises :class:`ZenodoUnavailable`: the task fails and its retry carries on from
the ledger. A healthy run costs almost nothing (the state is read every ``check_interval``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from zenodo.config.environment import env_number
from zenodo.errors import ZenodoError
from zenodo.store.database import EngineHolder
from zenodo.store.tables import CircuitBreakerRow

log = logging.getLogger(__name__)

_C = CircuitBreakerRow.__table__


class ZenodoUnavailable(ZenodoError):
    """Zenodo has not answered for longer than the configured limit: the whole task stops.

    :param since: epoch seconds when the breaker opened.
    """

    def __init__(self, message: str, *, since: float) -> None:
        super().__init__(message, operation="breaker")
        self.since = since


@dataclass(frozen=True)
class BreakerState:
    """A snapshot of the shared row (epoch seconds)."""

    failures: int
    opened_at: float | None
    probe_at: float
    last_probe_at: float | None
    outages: int

    @property
    def is_open(self) -> bool:
        """Tell whether requests must wait."""
        return self.opened_at is not None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


class CircuitBreaker:
    """Pause every worker while Zenodo is down; probe; resume together.

    :param url: the ledger database URL, or an engine to share (e.g. a ledger's).
    :param name: the breaker's row (one per Zenodo connection).
    :param threshold: failures in a row (across all workers) that open the breaker.
    :param probe_interval: seconds between two probes while open.
    :param max_outage: seconds the breaker may stay open before waiters give up.
    :param check_interval: how stale this process's view of the shared row may be.
    :param clock: epoch seconds now (tests inject one).
    :param sleep: the sleep function (tests inject one).
    """

    def __init__(
        self, url: str | sa.Engine, name: str, *, threshold: int = 5,
        probe_interval: float = 5.0, max_outage: float = 1800.0, check_interval: float = 0.5,
        clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if threshold < 1 or probe_interval <= 0 or max_outage <= 0:
            raise ValueError(
                f"breaker {name!r}: threshold >= 1, probe_interval > 0, max_outage > 0 needed"
            )
        self._db = EngineHolder(url)
        self.name = name
        self.threshold = threshold
        self.probe_interval = probe_interval
        self.max_outage = max_outage
        self._check_interval = check_interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._view: BreakerState | None = None
        self._view_at = float("-inf")

    # -- what the hook calls --

    def wait_until_closed(
        self, probe: Callable[[], bool], on_pause: Callable[[float, float], None] | None = None
    ) -> None:
        """Return at once when closed; else wait (probing in turn) until Zenodo answers.

        :param probe: sends one cheap request; True when Zenodo answered (not 5xx/timeout).
        :param on_pause: told ``(started, ended)`` epoch seconds after a wait.
        :raises ZenodoUnavailable: open for longer than ``max_outage``.
        """
        state = self._cached()
        if not state.is_open:
            return
        started = self._clock()
        log.info("breaker %s: open since %s; waiting", self.name, _iso(state.opened_at or 0))
        while True:
            state, mine = self._db.write_retrying(self._claim_probe)
            if not state.is_open:
                break
            if mine:
                answered = probe()
                self._db.write_retrying(lambda conn, ok=answered: self._probed(conn, ok))
                if answered:
                    break
                continue
            now = self._clock()
            opened = state.opened_at or now
            if now - opened > self.max_outage and (state.last_probe_at or 0) > started:
                raise ZenodoUnavailable(
                    f"Zenodo unavailable since {_iso(opened)} ({now - opened:.0f} s, longer "
                    f"than the {self.max_outage:.0f} s limit); a retry continues from the ledger",
                    since=opened,
                )
            self._sleep(max(0.05, min(state.probe_at - now + 0.05, self.probe_interval)))
        self._forget()
        if on_pause is not None:
            on_pause(started, self._clock())

    def record(self, ok: bool, sent_at: float | None = None) -> None:
        """Count one request's outcome: ``ok`` False for a 5xx, timeout or dropped connection.

        ``sent_at`` (epoch seconds; default now): a success closes an open breaker only when
        its request left after the breaker opened. An answer to a request sent before the
        outage, counted after it opened, is no news that Zenodo is back.

        Either way the write's result becomes this process's view, so the next request does not
        read the row again; a success the view already agrees with writes nothing.
        """
        if ok:
            view = self._view
            if view is not None and view.failures == 0 and not view.is_open:
                return
            if not self._db.write_retrying(lambda conn: self._succeeded(conn, sent_at)):
                self._forget()  # already closed, or still open: the next request reads the row
                return
            view = replace(view or self._snapshot(None), failures=0, opened_at=None)
        else:
            view = self._db.write_retrying(self._failed)
        with self._lock:
            self._view, self._view_at = view, time.monotonic()

    def state(self) -> BreakerState:
        """Return the shared state as it is now (for reports and tests)."""
        with self._db.read() as conn:
            row = conn.execute(sa.select(_C).where(_C.c.name == self.name)).mappings().first()
        return self._snapshot(row)

    def reset(self) -> None:
        """Close the breaker and clear its failure count (an operator's manual reset)."""
        self._db.write_retrying(lambda conn: self._succeeded(conn, None))
        self._forget()

    # -- the local view --

    def _cached(self) -> BreakerState:
        now = time.monotonic()
        with self._lock:
            if self._view is not None and now - self._view_at < self._check_interval:
                return self._view
        view = self.state()
        with self._lock:
            self._view, self._view_at = view, now
        return view

    def _forget(self) -> None:
        with self._lock:
            self._view_at = float("-inf")

    # -- one transaction each --

    def _claim_probe(self, conn: sa.Connection) -> tuple[BreakerState, bool]:
        row = self._lock_row(conn)
        now = self._clock()
        if row["opened_at"] is None or now < row["probe_at"]:
            return self._snapshot(row), False
        conn.execute(sa.update(_C).where(_C.c.name == self.name).values(
            probe_at=now + self.probe_interval, updated_at=now))
        return self._snapshot({**row, "probe_at": now + self.probe_interval}), True

    def _probed(self, conn: sa.Connection, answered: bool) -> None:
        row = self._lock_row(conn)
        now = self._clock()
        values: dict[str, Any] = {"last_probe_at": now, "updated_at": now}
        if answered and row["opened_at"] is not None:
            log.warning("breaker %s: Zenodo answers again after %.0f s; resuming", self.name,
                        now - row["opened_at"])
            values.update(opened_at=None, failures=0)
        conn.execute(sa.update(_C).where(_C.c.name == self.name).values(values))

    def _failed(self, conn: sa.Connection) -> BreakerState:
        row = self._lock_row(conn)
        now = self._clock()
        values: dict[str, Any] = {"failures": row["failures"] + 1, "updated_at": now}
        if row["opened_at"] is None and values["failures"] >= self.threshold:
            log.warning("breaker %s: %d failures in a row; every worker pauses", self.name,
                        values["failures"])
            values.update(opened_at=now, probe_at=now + self.probe_interval,
                          outages=row["outages"] + 1)
        conn.execute(sa.update(_C).where(_C.c.name == self.name).values(values))
        return self._snapshot({**row, **values})

    def _succeeded(self, conn: sa.Connection, sent_at: float | None) -> bool:
        """Close the breaker and clear the count, unless the breaker opened after the
        successful request left (``sent_at``; None: it is news now); return whether the row
        changed. One statement, which leaves a row already so untouched (every worker's first
        success after a failure runs it)."""
        fresh = (sa.true() if sent_at is None else
                 sa.or_(_C.c.opened_at.is_(None), _C.c.opened_at <= sent_at))
        changed = conn.execute(sa.update(_C).where(
            _C.c.name == self.name, sa.or_(_C.c.failures != 0, _C.c.opened_at.is_not(None)),
            fresh,
        ).values(failures=0, opened_at=None, updated_at=self._clock()))
        return changed.rowcount == 1

    def _lock_row(self, conn: sa.Connection) -> Mapping[str, Any]:
        query = sa.select(_C).where(_C.c.name == self.name).with_for_update()
        row = conn.execute(query).mappings().first()
        if row is None:
            conn.execute(sa.insert(_C).values(name=self.name, failures=0, probe_at=0.0,
                                              outages=0, updated_at=self._clock()))
            row = conn.execute(query).mappings().one()
        return row

    @staticmethod
    def _snapshot(row: Mapping[str, Any] | None) -> BreakerState:
        if row is None:
            return BreakerState(0, None, 0.0, None, 0)
        return BreakerState(row["failures"], row["opened_at"], row["probe_at"],
                            row["last_probe_at"], row["outages"])


def breaker_from_env(url: str | sa.Engine, name: str,
                     env: Mapping[str, str] | None = None) -> CircuitBreaker:
    """Build a breaker from the worker's environment.

    ``ZENODO_BREAKER_THRESHOLD`` (failures in a row, default 5),
    ``ZENODO_BREAKER_PROBE_INTERVAL`` (seconds, default 10) and ``ZENODO_OUTAGE_LIMIT``
    (seconds a task waits for Zenodo before failing, default 1800).

    :param url: the ledger database URL or engine.
    :param name: the breaker's name (the Zenodo connection id).
    """
    return CircuitBreaker(url, name,
                          threshold=int(env_number("ZENODO_BREAKER_THRESHOLD", 5, env)),
                          probe_interval=env_number("ZENODO_BREAKER_PROBE_INTERVAL", 10.0, env),
                          max_outage=env_number("ZENODO_OUTAGE_LIMIT", 1800.0, env))
