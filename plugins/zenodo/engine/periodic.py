"""A batch's background thread: one ledger call every interval until the batch ends."""

from __future__ import annotations

import logging
import threading
from typing import Self

log = logging.getLogger(__name__)


class PeriodicThread:
    """Call :meth:`tick` every ``interval`` seconds from a daemon thread while in a ``with``.

    A tick that fails is logged with :attr:`failure` and tried again at the next interval;
    leaving the ``with`` stops the thread and waits for it.

    :param interval: seconds between two ticks.
    :param name: the thread's name.
    """

    #: What the log says when a tick fails.
    failure = "a background ledger write failed; trying again"

    def __init__(self, interval: float, name: str) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def tick(self) -> None:
        """The work of one interval."""
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.tick()
            except Exception:
                log.exception(self.failure)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
