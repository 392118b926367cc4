"""What P7 plans (:class:`Pilot2Plan`) and what it measured (:class:`Pilot2Facts`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.census import Census
from bench.common import REQUESTS_PER_RECORD
from bench.pilot2.faults import LATENCY_S, FaultPlan
from bench.pilot2.measure import SteadyUploads, TaskTry, stage_spans
from bench.pilot2.services import CeleryLayout


@dataclass(frozen=True)
class Pilot2Plan:
    """How big P7 is and how the DAG runs.

    :param specimens: rows in the collection.
    :param outage: seconds of the outage (:meth:`for_size` caps it for small runs).
    :param threads: worker threads per upload task (the ``concurrency`` param).
    :param layout: the Celery deployment's shape.
    :param latency: seconds the sandbox adds to every request.
    :param task_retries: Airflow retries per task (``ZENODO_TASK_RETRIES``).
    """

    specimens: int
    outage: float
    threads: int = 4
    layout: CeleryLayout = field(default_factory=CeleryLayout)
    latency: float = LATENCY_S
    task_retries: int = 1

    @property
    def threads_total(self) -> int:
        """Upload threads at once: upload slots x threads per task."""
        return self.layout.upload_slots * self.threads

    @property
    def bound_estimate(self) -> float:
        """The latency bound in records/s with the injected latency alone."""
        return self.threads_total / (REQUESTS_PER_RECORD * self.latency)

    @property
    def batch_size(self) -> int:
        """Specimens per upload task: the upload slots' share, 100 to 5,000."""
        return max(100, min(5000, math.ceil(self.specimens / self.layout.upload_slots)))

    @classmethod
    def for_size(cls, specimens: int, outage: float, threads: int = 4) -> Pilot2Plan:
        """A plan whose outage is at most half the expected upload time (at least 30 s)."""
        plan = cls(specimens, outage, threads)
        expected = specimens / plan.bound_estimate
        return cls(specimens, min(outage, max(30.0, expected / 2)), threads)

    def timeout(self, per_specimen: float, base: float) -> float:
        """Seconds to wait for a run: ``base`` plus ``per_specimen`` for each specimen."""
        return base + per_specimen * self.specimens


@dataclass
class Pilot2Facts:
    """Everything P7 measured; :func:`bench.pilot2.rows.pilot2_rows` lays it out."""

    plan: Pilot2Plan
    faults: FaultPlan
    executor: str
    generated_seconds: float
    runs: dict[str, tuple[str, str]] = field(default_factory=dict)
    run_seconds: dict[str, float] = field(default_factory=dict)
    tries: dict[str, list[TaskTry]] = field(default_factory=dict)
    published_run1: int = 0
    outage_at: float | None = None
    latency: float = 0.0
    steady: SteadyUploads | None = None
    injected: dict[str, int] = field(default_factory=dict)
    rss: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    rss_samples: int = 0
    xcom: tuple[int, str] = (0, "")
    harvest_log: dict[str, Any] = field(default_factory=dict)
    harvest_summary: dict[str, Any] = field(default_factory=dict)  # its reconcile's XCom
    nightly_log: dict[str, Any] = field(default_factory=dict)
    census: Census | None = None
    ledger_bytes: int = 0
    ledger_rows: dict[str, int] = field(default_factory=dict)
    sandbox_bytes: int = 0
    sandbox_files: int = 0
    batches: list[dict[str, Any]] = field(default_factory=list)
    waited: float = 0.0
    loads: list[tuple[float, float]] = field(default_factory=list)
    pages: dict[str, float] = field(default_factory=dict)
    screenshots: dict[str, str] = field(default_factory=dict)

    @property
    def upload_span(self) -> tuple[datetime, datetime] | None:
        """Run 1's upload stage: the first upload try's start to the last one's end."""
        return stage_spans(self.tries.get("run 1", [])).get("upload")

    def upload_load(self) -> float:
        """The mean 1-minute load average sampled during run 1's upload stage."""
        span = self.upload_span
        if span is None:
            return 0.0
        start, end = span[0].timestamp(), span[1].timestamp()
        inside = [load for moment, load in self.loads if start <= moment <= end]
        return sum(inside) / len(inside) if inside else 0.0

    def outage_overlap(self) -> float:
        """Seconds of the outage that fell inside run 1's upload stage."""
        span = self.upload_span
        if span is None or self.outage_at is None:
            return 0.0
        start, end = span[0].timestamp(), span[1].timestamp()
        return max(0.0, min(end, self.outage_at + self.plan.outage) - max(start, self.outage_at))
