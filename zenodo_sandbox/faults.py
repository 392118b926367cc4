"""Decide which fault, if any, hits each request; draws come from one seeded generator.

Configuration (YAML file for ``--faults``, same shape as JSON for ``PUT /admin/faults``)::

    seed: 42                    # replay: same seed + same request sequence = same faults
    kinds:                      # per endpoint kind; "*" applies to kinds not listed
      publish:
        error_rate: 0.1         # probability of a 5xx answered instead of doing the work
        error_statuses: [500, 502, 503, 504]   # drawn uniformly; 502/504 bodies are HTML
                                # 404 too, for a kind that names a deposition (OBJECT_KINDS):
                                # the JSON "does not exist" answer, nothing done
        commit_then_fail: 0.2   # probability that the write is done, then the client fails
        commit_fail_mode: gateway   # gateway (504 HTML) | drop (partial body, closed) | mixed
        latency: 0.2            # seconds added before answering
        jitter: 0.1             # plus uniform(0, jitter) seconds
      file_put:
        reset_upload: 0.3       # read part of the body, then drop the connection; nothing stored
    outage: {start_in: 0, duration: 120}          # every request 503 (start: epoch s also ok)
    storm: {start_in: 0, duration: 60, fraction: 0.5}  # that share of requests get 429

Kinds: create, update, delete, publish, edit, discard, newversion, file_put, file_post,
file_delete, get, list, search, oai. Writes (create .. file_delete) can commit-then-fail.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KINDS = ("create", "update", "delete", "publish", "edit", "discard", "newversion", "file_put",
         "file_post", "file_delete", "get", "list", "search", "oai")
WRITE_KINDS = frozenset(KINDS[:10])
#: Kinds whose request names an existing deposition or record: a 404 can be injected there
#: (zenodo.org answered pilot 2 with 404s for depositions it held: half its errors in 2019).
OBJECT_KINDS = frozenset(KINDS[1:11])
_STATUSES = (500, 502, 503, 504)
_KIND_KEYS = {"error_rate", "error_statuses", "commit_then_fail", "commit_fail_mode",
              "reset_upload", "latency", "jitter"}
_TOP_KEYS = {"seed", "kinds", "outage", "storm"}


@dataclass(frozen=True)
class Decision:
    """The faults for one request (all empty = handle normally)."""

    latency: float = 0.0
    outage: bool = False
    storm: bool = False
    error_status: int | None = None
    commit_fail: str | None = None  # "gateway" or "drop"
    reset_upload: bool = False


def _window(spec: dict[str, Any] | None, now: float, name: str) -> dict[str, Any] | None:
    if not spec:
        return None
    unknown = set(spec) - {"start", "start_in", "duration", "fraction"}
    if unknown:
        raise ValueError(f"faults.{name}: unknown keys {sorted(unknown)}")
    start = float(spec["start"]) if "start" in spec else now + float(spec.get("start_in", 0))
    window = {"start": start, "duration": float(spec.get("duration", 0))}
    if name == "storm":
        window["fraction"] = float(spec.get("fraction", 1.0))
    return window


def normalise(config: dict[str, Any] | None, now: float) -> dict[str, Any]:
    """Check a fault configuration and return it with absolute window times.

    :param config: the parsed YAML/JSON (None = no faults)
    :param now: epoch seconds used for ``start_in``
    """
    config = dict(config or {})
    unknown = set(config) - _TOP_KEYS
    if unknown:
        raise ValueError(f"faults: unknown keys {sorted(unknown)}; allowed {sorted(_TOP_KEYS)}")
    kinds: dict[str, dict[str, Any]] = {}
    for kind, spec in (config.get("kinds") or {}).items():
        if kind != "*" and kind not in KINDS:
            raise ValueError(f"faults.kinds: unknown kind {kind!r}; allowed {list(KINDS)}")
        bad = set(spec or {}) - _KIND_KEYS
        if bad:
            raise ValueError(f"faults.kinds.{kind}: unknown keys {sorted(bad)}")
        spec = dict(spec or {})
        if spec.get("commit_fail_mode", "gateway") not in ("gateway", "drop", "mixed"):
            raise ValueError(f"faults.kinds.{kind}.commit_fail_mode: gateway, drop or mixed")
        allowed = (*_STATUSES, 404) if kind in OBJECT_KINDS else _STATUSES
        for status in spec.get("error_statuses", []):
            if status not in allowed:
                raise ValueError(
                    f"faults.kinds.{kind}.error_statuses: {status!r}: one of {list(allowed)}"
                    + ("" if kind in OBJECT_KINDS else
                       f" (404 only for {sorted(OBJECT_KINDS)})"))
        kinds[kind] = spec
    return {
        "seed": config.get("seed"),
        "kinds": kinds,
        "outage": _window(config.get("outage"), now, "outage"),
        "storm": _window(config.get("storm"), now, "storm"),
    }


class FaultInjector:
    """Hold the fault configuration and draw decisions from a seeded generator."""

    def __init__(self, config: dict[str, Any] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        """Load ``config`` (see the module docstring)."""
        self._clock = clock
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()
        self.configure(config)

    def configure(self, config: dict[str, Any] | None) -> None:
        """Replace the whole configuration, reseed the generator, zero the injected counts."""
        normal = normalise(config, self._clock())
        with self._lock:
            self._config = normal
            self._rng = random.Random(normal["seed"])
            self.injected.clear()

    def set_window(self, name: str, spec: dict[str, Any] | None) -> None:
        """Set (or clear with None) the ``outage`` or ``storm`` window."""
        window = _window(spec, self._clock(), name)
        with self._lock:
            self._config[name] = window

    def snapshot(self) -> dict[str, Any]:
        """Return the configuration, whether windows are active, and injected counts."""
        now = self._clock()
        with self._lock:
            state = {k: v for k, v in self._config.items()}
            state["active"] = {name: self._active(name, now) for name in ("outage", "storm")}
            state["injected"] = dict(self.injected)
        return state

    def _active(self, name: str, now: float) -> bool:
        window = self._config.get(name)
        return bool(window) and window["start"] <= now < window["start"] + window["duration"]

    def decide(self, kind: str) -> Decision:
        """Draw the faults for one request of ``kind``."""
        now = self._clock()
        with self._lock:
            if self._active("outage", now):
                self.injected["outage"] += 1
                return Decision(outage=True)
            if self._active("storm", now) and self._rng.random() < self._config["storm"][
                    "fraction"]:
                self.injected["storm"] += 1
                return Decision(storm=True)
            spec = self._config["kinds"].get(kind) or self._config["kinds"].get("*")
            if not spec:
                return Decision()
            delay = float(spec.get("latency", 0)) + self._rng.uniform(0, float(spec.get(
                "jitter", 0)))
            if self._rng.random() < float(spec.get("error_rate", 0)):
                status = self._rng.choice(spec.get("error_statuses") or [500, 502, 503, 504])
                self.injected[f"error_{status}"] += 1
                return Decision(latency=delay, error_status=status)
            if kind == "file_put" and self._rng.random() < float(spec.get("reset_upload", 0)):
                self.injected["reset_upload"] += 1
                return Decision(latency=delay, reset_upload=True)
            if kind in WRITE_KINDS and self._rng.random() < float(spec.get("commit_then_fail",
                                                                           0)):
                mode = spec.get("commit_fail_mode", "gateway")
                if mode == "mixed":
                    mode = self._rng.choice(["gateway", "drop"])
                self.injected[f"commit_then_fail_{mode}"] += 1
                return Decision(latency=delay, commit_fail=mode)
            return Decision(latency=delay)
