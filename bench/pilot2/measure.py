"""Read what a P7 run did: task times and XComs from Airflow's database, task memory, sizes.

Peak RSS is sampled with psutil: every ``interval`` seconds the sampler walks the process trees
of the Celery workers and reads the RSS (and the CPU time so far) of each task process, which
Airflow's task runner names ``airflow worker -- <task instance id>``; the ids are matched to
task ids afterwards in ``task_instance`` and ``task_instance_history``.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from bench.common import mean_tally_latency_s
from zenodo_sandbox.testing import SandboxAdmin

_TASK_TITLE = re.compile(r"airflow worker -- ([0-9a-f-]{36})")
#: The tries of every task instance: the current ones and the history of retried ones.
_TRIES = """
SELECT CAST(id AS TEXT) AS ti, task_id, map_index, try_number, start_date, end_date, state
  FROM task_instance WHERE dag_id = :dag AND run_id = :run
UNION ALL
SELECT CAST(task_instance_id AS TEXT), task_id, map_index, try_number, start_date, end_date,
       state
  FROM task_instance_history WHERE dag_id = :dag AND run_id = :run
"""
_LARGEST_XCOM = """
SELECT run_id, task_id, map_index, key, octet_length(CAST(value AS TEXT)) AS size
  FROM xcom WHERE dag_id = :dag ORDER BY size DESC NULLS LAST LIMIT 1
"""
_RETURN_VALUE = """
SELECT CAST(value AS TEXT) AS value FROM xcom
 WHERE dag_id = :dag AND run_id = :run AND task_id = :task AND key = 'return_value'
   AND map_index = -1
"""
#: The ledger's tables whose rows P7 reports.
LEDGER_TABLES = ("specimens", "events", "payloads", "batch_stats")
#: The requests of an upload (a one-file record): what the upload rates and latencies count.
UPLOAD_KINDS = ("create", "file_put", "publish")
_RUN_TIMES = "SELECT start_date, end_date FROM dag_run WHERE dag_id = :dag AND run_id = :run"


class PatientAdmin(SandboxAdmin):
    """The sandbox's admin client with a longer timeout (listing 281,372 records takes time)."""

    timeout = 1800.0

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.url}/admin{path}",
                                        timeout=self.timeout, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None


@dataclass
class RssSampler:
    """Sample the RSS of the Celery workers' task processes in a daemon thread.

    :param roots: process ids of the Celery workers.
    :param interval: seconds between samples.
    :param peaks: task instance id -> the largest RSS seen, in bytes (filled in).
    :param cpu: task instance id -> CPU seconds (user + system) at its last sample.
    :param loads: ``(epoch seconds, 1-minute load average)`` at each sample.
    """

    roots: Sequence[int]
    interval: float = 0.5
    peaks: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    loads: list[tuple[float, float]] = field(default_factory=list)
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Start sampling."""
        self._thread = threading.Thread(target=self._loop, name="pilot2-rss", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def sample(self) -> None:
        """Take one sample of every task process under the roots."""
        for root in self.roots:
            try:
                children = psutil.Process(root).children(recursive=True)
            except psutil.Error:
                continue
            for proc in children:
                try:
                    found = _TASK_TITLE.search(" ".join(proc.cmdline()))
                    if not found:
                        continue
                    rss, times = proc.memory_info().rss, proc.cpu_times()
                except psutil.Error:
                    continue
                ti = found.group(1)
                self.peaks[ti] = max(self.peaks.get(ti, 0), rss)
                self.cpu[ti] = max(self.cpu.get(ti, 0.0), times.user + times.system)
        self.loads.append((time.time(), os.getloadavg()[0]))
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()


@dataclass(frozen=True)
class TaskTry:
    """One try of one task instance, as Airflow's database holds it."""

    ti: str
    task_id: str
    map_index: int
    try_number: int
    start: datetime | None
    end: datetime | None
    state: str | None


class AirflowDb:
    """Read-only queries on Airflow's metadata database.

    :param url: its SQLAlchemy URL.
    :param dag_id: the collection's DAG.
    """

    def __init__(self, url: str, dag_id: str) -> None:
        """Connect lazily."""
        self.engine = sa.create_engine(url)
        self.dag_id = dag_id

    def tries(self, run_id: str) -> list[TaskTry]:
        """Every try of every task instance of ``run_id`` (retried tries included)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(_TRIES), {"dag": self.dag_id, "run": run_id})
            return [TaskTry(r.ti, r.task_id, r.map_index, r.try_number, r.start_date,
                            r.end_date, r.state) for r in rows]

    def run_seconds(self, run_id: str) -> float:
        """The run's wall time, from its start to its end."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.text(_RUN_TIMES), {"dag": self.dag_id, "run": run_id}).one()
        return (row.end_date - row.start_date).total_seconds()

    def largest_xcom(self) -> tuple[int, str]:
        """The largest XCom value any run of the DAG wrote (bytes of JSON), and whose it is."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.text(_LARGEST_XCOM), {"dag": self.dag_id}).first()
        if row is None:
            return 0, "no XCom"
        index = "" if row.map_index < 0 else f"[{row.map_index}]"
        return int(row.size or 0), f"{row.task_id}{index} {row.key} of {row.run_id}"

    def return_value(self, run_id: str, task_id: str) -> Any:
        """What an unmapped task of ``run_id`` returned (its XCom), None if nothing."""
        with self.engine.connect() as conn:
            value = conn.execute(sa.text(_RETURN_VALUE), {"dag": self.dag_id, "run": run_id,
                                                          "task": task_id}).scalar()
        return None if value is None else json.loads(value)

    def dispose(self) -> None:
        """Close the connections."""
        self.engine.dispose()


def stage_spans(tries: Iterable[TaskTry]) -> dict[str, tuple[datetime, datetime]]:
    """Per task id: the first try's start to the last try's end (mapped tasks together)."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for t in tries:
        if t.start is None or t.end is None:
            continue
        first, last = spans.get(t.task_id, (t.start, t.end))
        spans[t.task_id] = (min(first, t.start), max(last, t.end))
    return spans


def peak_rss_by_task(peaks: dict[str, int], tries: Iterable[TaskTry]) -> dict[str, int]:
    """Per task id: the largest peak RSS of its sampled tries (bytes)."""
    by_task: dict[str, int] = {}
    for t in tries:
        if t.ti in peaks:
            by_task[t.task_id] = max(by_task.get(t.task_id, 0), peaks[t.ti])
    return by_task


def cpu_by_task(cpu: dict[str, float], tries: Iterable[TaskTry]) -> dict[str, float]:
    """Per task id: the CPU seconds its sampled tries used, summed (each try once)."""
    task_of = {t.ti: t.task_id for t in tries if t.ti in cpu}
    by_task: dict[str, float] = {}
    for ti, task in task_of.items():
        by_task[task] = by_task.get(task, 0.0) + cpu[ti]
    return by_task


def failed_tasks(tries: Iterable[TaskTry]) -> tuple[list[str], list[str]]:
    """The tasks whose last try failed, and those a later try finished after a failed one."""
    last: dict[str, TaskTry] = {}
    failed_once: set[str] = set()
    for t in tries:
        name = f"{t.task_id}[{t.map_index}]" if t.map_index >= 0 else t.task_id
        if t.state == "failed":
            failed_once.add(name)
        if name not in last or t.try_number >= last[name].try_number:
            last[name] = t
    for_good = sorted(name for name, t in last.items() if t.state == "failed")
    return for_good, sorted(failed_once - set(for_good))


def folder_bytes(folder: Path) -> tuple[int, int]:
    """Bytes and files under ``folder``."""
    size = files = 0
    for base, _, names in os.walk(folder):
        for name in names:
            try:
                size += os.stat(os.path.join(base, name)).st_size
            except OSError:
                continue
            files += 1
    return size, files


def ledger_tables(url: str) -> tuple[int, dict[str, int]]:
    """The ledger database's size in bytes and the rows of its busiest tables."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
            rows = {name: int(conn.execute(
                        sa.select(sa.func.count()).select_from(sa.table(name))).scalar() or 0)
                    for name in LEDGER_TABLES}
    finally:
        engine.dispose()
    return int(size or 0), rows


@dataclass(frozen=True)
class SteadyUploads:
    """Run 1's uploads in a window free of the stage's ramp-up, outage and batch tails."""

    seconds: float
    rate: float  # publishes answered a second
    latency: float  # the mean server-side latency of the upload requests in the window (s)


def steady_uploads(tally: Sequence[dict[str, Any]], outage_at: float | None,
                   kinds: Sequence[str], *, skip: float = 0.1) -> SteadyUploads | None:
    """The uploads from the first ``skip`` of run 1's publishes to the outage (without one, to
    the 45th percent), read off the sandbox's request tally (a row per second, kind, fault and
    status, :meth:`~zenodo_sandbox.testing.SandboxAdmin.request_tally`): ``kinds`` are the
    upload requests, the publishes among them counted when answered without an injected
    fault. A second's requests count from its start."""
    published: list[tuple[int, int]] = sorted(
        (row["second"], row["count"]) for row in tally if row["kind"] == "publish"
        and row["fault"] is None and row["status"] < 400)
    total = sum(count for _second, count in published)
    if total < 20:
        return None
    start = _second_holding(published, int(total * skip))
    end = _second_holding(published, int(total * 0.45)) if outage_at is None else outage_at
    if end <= start:
        return None
    window = [row for row in tally if row["kind"] in kinds and row["fault"] is None
              and start <= row["second"] < end]
    count = sum(n for second, n in published if start <= second < end)
    return SteadyUploads(end - start, count / (end - start), mean_tally_latency_s(window))


def _second_holding(counts: Sequence[tuple[int, int]], index: int) -> float:
    """The second of the ``index``-th (from 0) of the events counted by ``(second, count)``."""
    running = 0
    for second, count in counts:
        running += count
        if running > index:
            return float(second)
    return float(counts[-1][0])
