"""The engine's knobs: how a batch is run, as opposed to what it works on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineSettings:
    """How :func:`~zenodo.engine.batch_runner.publish_specimens` runs a batch.

    :param concurrency: worker threads sharing the hook and its pacer (at least one runs).
    :param publish: ``False`` stops at UPLOADED: drafts are left for review.
    :param lease_seconds: how long a claim holds unless renewed (a live run renews it).
    :param busy_wait: how long, after the batch's first pass, to keep retrying specimens
        whose lease another worker holds (a killed worker's leases expire after
        ``lease_seconds``); default twice the lease.
    :param lookup_waits: after an unknown-outcome create, the waits before each deposit
        search (Zenodo's search index lags its database): one search per wait.
    :param retry_waits: after a 5xx or a dropped connection on an idempotent request, the
        waits (off the thread, stretched by up to half at random) before each new try; then
        the specimen fails for a later run.
    :param progress_every: log progress every this many specimens.
    :param record_stats: write the batch's statistics to the ledger (``batch_stats``).
    :param community: the collection's community; with the RDM protocol a first publication
        asks for inclusion by a review request (deposit metadata carries it already).
    """

    concurrency: int = 4
    publish: bool = True
    lease_seconds: float = 120.0
    busy_wait: float | None = None
    lookup_waits: tuple[float, ...] = (1.0, 3.0, 6.0)
    retry_waits: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
    progress_every: int = 50
    record_stats: bool = True
    community: str | None = None

    @property
    def workers(self) -> int:
        """Return the number of worker threads (``concurrency``, at least one)."""
        return max(1, self.concurrency)

    @property
    def busy_seconds(self) -> float:
        """Return how long to keep retrying specimens another worker holds."""
        return 2 * self.lease_seconds if self.busy_wait is None else self.busy_wait
