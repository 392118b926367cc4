"""Timed faults for the DAG benchmarks: an outage or 429 bursts once a share is published.

R1 (:mod:`bench.soak`) and P7 (:mod:`bench.pilot2`) start their sandbox's outage (503 to
everything) and 429 storms mid-run; :class:`Chaos` watches the sandbox's published count in a
daemon thread and starts each event when its share of the expected records is published.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from zenodo_sandbox.testing import SandboxProcess

#: The event that starts a full outage; any other name starts a 429 storm.
OUTAGE = "outage"


@dataclass
class Chaos:
    """Start the timed faults when the sandbox has published given shares of the records.

    :param sandbox: the server to disturb.
    :param valid: how many records should be published in the end.
    :param outage: seconds of the outage event.
    :param storm: seconds of each storm event.
    :param storm_fraction: share of requests answered 429 during a storm.
    :param events: ``(share published, name)`` pairs; :data:`OUTAGE` or a storm's name.
    :param label: prefix of the lines logged when an event starts.
    :param poll: seconds between two looks at the published count.
    :param started: event name -> epoch seconds at which it started (filled in).
    """

    sandbox: SandboxProcess
    valid: int
    outage: float
    storm: float = 0.0
    storm_fraction: float = 0.0
    events: Sequence[tuple[float, str]] = ((0.5, OUTAGE),)
    label: str = "chaos"
    poll: float = 0.5
    started: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Watch the sandbox's published count in a daemon thread."""
        self._thread = threading.Thread(target=self._watch, name=f"{self.label}-chaos",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (faults already started run their course)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _watch(self) -> None:
        events = sorted(self.events)
        while events and not self._stop.wait(self.poll):
            done = self.sandbox.admin.counts()["by_state"].get("done", 0)
            while events and done >= events[0][0] * self.valid:
                _, name = events.pop(0)
                if name == OUTAGE:
                    self.sandbox.admin.outage(self.outage)
                else:
                    self.sandbox.admin.storm(self.storm, self.storm_fraction)
                self.started[name] = time.time()
                print(f"[{self.label}] {name} started with {done} published", file=sys.stderr,
                      flush=True)
