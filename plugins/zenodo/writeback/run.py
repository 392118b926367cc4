"""Write each published specimen's DOI back into the collection's database, in batches.

Only specimens whose DOI is new or changed since their last successful write-back are sent
(:func:`~zenodo.writeback.outcomes.due_specimens`). Each batch is one transaction of one
``executemany`` with bound parameters only; a failing batch is tried again (tenacity), then
its specimens are recorded as failed with the reason, and the next batch goes on. Every
outcome is recorded in the ledger's ``writebacks`` table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from zenodo.config.writeback_model import statement_parameters
from zenodo.ledger.rows import clip
from zenodo.writeback.outcomes import DueSpecimen, Outcome, due_specimens, record_outcomes

#: Failed specimens kept in a run's summary (all of them are in the ledger).
SUMMARY_FAILURES = 200


@dataclass(frozen=True)
class WritebackTarget:
    """Where and how to write: the collection database's engine and the checked statement.

    :param record_url: returns a record's landing page URL from its id (the ``:url`` value).
    :param wait_max: the longest pause between two tries of a batch, in seconds.
    """

    engine: sa.Engine
    statement: str
    record_url: Callable[[str], str]
    batch_size: int = 500
    attempts: int = 3
    wait_max: float = 30.0


@dataclass
class WritebackSummary:
    """What one write-back did: specimens written and failed, batches, and failure reasons."""

    written: int = 0
    failed: int = 0
    batches: int = 0
    retried_batches: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-able data."""
        return {"written": self.written, "failed": self.failed, "batches": self.batches,
                "retried_batches": self.retried_batches, "failures": self.failures}


def _batches(items: Iterable[DueSpecimen], size: int) -> Iterator[list[DueSpecimen]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _reason(exc: BaseException) -> str:
    """One line: the error's class and its first line (a driver's message can be long)."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return clip(f"{type(original).__name__}: {text[0] if text else ''}") or ""


def _send(target: WritebackTarget, rows: list[dict[str, Any]]) -> int:
    """Run the statement once per row in one transaction; return how many tries it took."""
    retrying = Retrying(
        stop=stop_after_attempt(target.attempts),
        wait=wait_exponential(multiplier=0.5, max=target.wait_max),
        retry=retry_if_exception_type(sa.exc.SQLAlchemyError), reraise=False)
    statement = sa.text(target.statement)
    for attempt in retrying:
        with attempt, target.engine.begin() as conn:
            conn.execute(statement, rows)
    return retrying.statistics.get("attempt_number", 1)


def write_back(ledger_engine: sa.Engine, collection: str, target: WritebackTarget, *,
               run_id: str | None = None,
               clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> WritebackSummary:
    """Write the due specimens' DOIs with ``target``'s statement; record every outcome.

    :param ledger_engine: the ledger's database (specimens and ``writebacks``).
    :param run_id: the Airflow run, kept with each outcome.
    """
    names = set(statement_parameters(target.statement))
    summary = WritebackSummary()
    for batch in _batches(due_specimens(ledger_engine, collection), target.batch_size):
        urls = [target.record_url(d.record_id) if d.record_id else None for d in batch]
        rows = [{name: value for name, value in d.parameters(url).items() if name in names}
                for d, url in zip(batch, urls, strict=True)]
        summary.batches += 1
        try:
            attempts, reason = _send(target, rows), None
        except RetryError as exc:
            attempts = exc.last_attempt.attempt_number
            reason = _reason(exc.last_attempt.exception() or exc)
        if attempts > 1:
            summary.retried_batches += 1
        outcomes = [Outcome(d, url, reason is None, attempts, reason)
                    for d, url in zip(batch, urls, strict=True)]
        record_outcomes(ledger_engine, collection, outcomes, run_id=run_id, now=clock())
        if reason is None:
            summary.written += len(batch)
            continue
        summary.failed += len(batch)
        room = SUMMARY_FAILURES - len(summary.failures)
        summary.failures += [{"key": d.key, "doi": d.doi, "reason": reason}
                             for d in batch[:max(room, 0)]]
    return summary
