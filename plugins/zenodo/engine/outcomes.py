"""How a specimen's drive ends: the outcome kinds, which of them count as done, and the record."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from zenodo.ledger.rows import SpecimenRow


class OutcomeKind(StrEnum):
    """One way a specimen's drive ends; the value is what batch results and reports show."""

    #: Published (or found published by a lookup).
    PUBLISHED = "published"
    #: Uploaded and left as a draft for review (the run did not ask to publish).
    DRAFTED = "drafted"
    #: Invalid input: never sent.
    QUARANTINED = "quarantined"
    #: Recorded FAILED in the ledger, with the reason; a later run retries it if it may.
    FAILED = "failed"
    #: No final state after the step budget of one run.
    STUCK = "stuck"
    #: Another worker took the lease over; that worker carries on.
    LEASE_LOST = "lease_lost"
    #: A ledger state the upload step does not handle.
    SKIPPED = "skipped"
    #: Another worker holds the lease: tried again later in the batch.
    BUSY = "busy"
    #: Waiting (for the search index, or before a retry): driven again after ``Outcome.after``.
    DEFERRED = "deferred"
    #: Waiting when the batch had nothing else to do: moved to a batch of the run not taken
    #: up yet, which drives it.
    HANDED_OVER = "handed_over"

    @property
    def ok(self) -> bool:
        """Whether the specimen reached what the run asked for."""
        return self in _OK

    @property
    def settled(self) -> bool:
        """Whether nothing is left for a retry of the batch to do (done, bad input, or
        another batch's now)."""
        return self in _SETTLED

    @property
    def unsuccessful(self) -> bool:
        """Whether the batch reports the specimen as not done (a handed-over one is
        another batch's to report)."""
        return self not in _OK and self is not OutcomeKind.HANDED_OVER


_OK = frozenset({OutcomeKind.PUBLISHED, OutcomeKind.DRAFTED})
_SETTLED = _OK | {OutcomeKind.QUARANTINED, OutcomeKind.HANDED_OVER}


@dataclass(frozen=True)
class Outcome:
    """How one specimen's drive ended, and why."""

    kind: OutcomeKind
    reason: str = ""
    #: ``deferred`` only: drive the specimen again after this many seconds.
    after: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the specimen reached what the run asked for."""
        return self.kind.ok


#: What one step leads to: the specimen's row after the step's last write, or how it ended.
Step: TypeAlias = "Outcome | SpecimenRow"
