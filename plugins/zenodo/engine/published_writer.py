"""Write a batch's published records to the ledger from a background thread, many at a time.

Once Zenodo answers a publish, its specimen needs one last ledger write: the record's ids, and
the lease given up. The publish intent was committed before the request left, so this write
may come a moment later: a worker that dies first leaves the specimen UNKNOWN with ``publish``
pending, and the next run settles it by a lookup, as after a lost answer
(docs/exactly-once.md). Written here, a worker thread goes back to Zenodo at once, and the
records published in one interval share one transaction.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from zenodo.engine.periodic import PeriodicThread

if TYPE_CHECKING:
    from zenodo.ledger.batch_moves import Move
    from zenodo.ledger.view import LedgerView

log = logging.getLogger(__name__)

#: How often the queued records are written (seconds).
INTERVAL_S = 0.25


class PublishedWriter(PeriodicThread):
    """Queue published records' moves; write them every ``interval`` and when the batch ends.

    :param ledger: the batch's view of the ledger (its lease owner writes the moves).
    :param interval: seconds between two writes.
    """

    failure = "could not write the published records yet; trying again"

    def __init__(self, ledger: LedgerView, interval: float = INTERVAL_S) -> None:
        super().__init__(interval, "published-writer")
        self._ledger = ledger
        self._queue: list[Move] = []
        self._lock = threading.Lock()

    def put(self, move: Move) -> None:
        """Queue one specimen's move to PUBLISHED (its lease is given up with it)."""
        with self._lock:
            self._queue.append(move)

    def flush(self) -> None:
        """Write every queued move in one transaction; on a failure they stay queued."""
        with self._lock:
            moves, self._queue = self._queue, []
        if not moves:
            return
        try:
            refused = self._ledger.move_many(moves)
        except Exception:
            with self._lock:
                self._queue[:0] = moves
            raise
        for key, error in refused.items():
            log.warning("specimen %s: published, but the ledger refused the record (%s); the "
                        "next run finds it by a lookup", key, error)

    def tick(self) -> None:
        """Write what the interval queued."""
        self.flush()

    def __exit__(self, *exc: object) -> None:
        """Stop the thread and write what is left; a failure then is raised (the batch fails,
        and its retry looks the specimens up)."""
        super().__exit__(*exc)
        self.flush()
