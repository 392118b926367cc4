"""The run report: what the ledger says about a collection after a run, as CSV, JSON and a table.

Everything is read from the ledger, never summed from task results, so a re-run task cannot
count a specimen twice. Files go to ``<reports dir>/<collection>/<run id>/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenodo.ledger.states import State
from zenodo.report.csv_cells import safe_csv
from zenodo.summary.key import SUMMARY_KEY, is_summary

if TYPE_CHECKING:
    from zenodo.ledger.ledger import Ledger
    from zenodo.ledger.prepare import PreviewLine
    from zenodo.ledger.rows import SpecimenRow

CSV_COLUMNS = ("key", "state", "record_id", "doi", "concept_doi", "reason")
PREVIEW_COLUMNS = ("key", "state_now", "state_after", "reason")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: The states whose specimens the report lists one by one (with reasons).
_LISTED = (State.QUARANTINED, State.FAILED, State.UNKNOWN)
SPECIMENS_CSV = "specimens.csv"


@dataclass
class RunReport:
    """A collection's state after one run.

    :param counts: ledger state -> number of specimens (every state listed).
    :param failures: FAILED / UNKNOWN specimens with the last error (kind, status, message).
    :param quarantined: QUARANTINED specimens with their reasons.
    The published specimens' record ids and DOIs are in ``specimens.csv``, not here: at a
    collection's size (281,372 for pilot 2) they made a 64 MB ``report.json``.
    :param prepare: the prepare step's summary, when it ran.
    :param reconcile: the reconciliation's counts and differences, when it ran.
    :param writeback: the DOI write-back's state in the ledger (written, failed, the failed
        specimens with reasons), when the collection has one.
    :param export: the Darwin Core Archive of the published specimens (path, counts).
    :param summary: the collection's summary record (state, DOI, concept DOI, version, whether
        this run published a new version), when the collection has one.
    :param files_from: the run that wrote ``specimens.csv`` and ``dwca.zip`` when this run took
        them unchanged (the ledger had not changed since), else None.
    """

    collection: str
    run_id: str
    generated_at: str
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    prepare: dict[str, Any] | None = None
    reconcile: dict[str, Any] | None = None
    writeback: dict[str, Any] | None = None
    export: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    files_from: str | None = None

    @property
    def online(self) -> int:
        """Return how many specimens have a published record (PUBLISHED + VERIFIED)."""
        return self.counts.get(State.PUBLISHED.value, 0) + self.counts.get(State.VERIFIED.value, 0)

    @property
    def preview(self) -> dict[str, Any] | None:
        """Return a dry run's preview: the rows it read, the states a real run would leave
        them in, and the quarantined among them with reasons (None when not a dry run)."""
        if not (self.prepare and self.prepare.get("preview")):
            return None
        return {key: self.prepare[key] for key in ("rows", "states", "quarantined",
                                                   "quarantined_count")}

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-able data."""
        return {**asdict(self), "online": self.online}


def _reason(row: SpecimenRow) -> str:
    """Why a specimen is where it is: quarantine reasons or its last error; none once online."""
    if row.state in (State.PUBLISHED, State.VERIFIED):
        return ""  # its path there (retries, lost answers) is in the ledger's events
    if row.state == State.QUARANTINED:
        return "; ".join(row.quarantine_reasons)
    if row.state in (State.FAILED, State.UNKNOWN) or row.last_error_message:
        status = f" {row.last_error_status}" if row.last_error_status else ""
        return f"{row.last_error_kind or 'error'}{status}: {row.last_error_message or ''}".strip()
    return ""


def build_report(
    ledger: Ledger, collection: str, *, run_id: str,
    prepare: Mapping[str, Any] | None = None, reconcile: Mapping[str, Any] | None = None,
) -> RunReport:
    """Read the collection's ledger into a :class:`RunReport`: counts by state, and the rows
    of the failed and quarantined specimens only.

    :param run_id: the Airflow run the report belongs to.
    :param prepare: the prepare step's summary (``PrepareResult.as_dict()``), if any.
    :param reconcile: the reconcile step's summary, if any.
    """
    report = RunReport(collection, run_id, datetime.now(UTC).isoformat(timespec="seconds"),
                       prepare=dict(prepare) if prepare else None,
                       reconcile=dict(reconcile) if reconcile else None)
    report.counts = {state.value: count for state, count in ledger.counts(collection).items()}
    summary = ledger.get(collection, SUMMARY_KEY)
    if summary is not None:  # the summary record is reported apart (``summary``)
        report.counts[summary.state.value] -= 1
    for row in ledger.rows(collection, _LISTED):
        if is_summary(row.key):
            continue
        if row.state == State.QUARANTINED:
            report.quarantined.append({"key": row.key, "reasons": list(row.quarantine_reasons)})
        else:
            report.failures.append({
                "key": row.key, "state": row.state.value, "reason": _reason(row),
                "attempts": row.attempts,
                "retry_after": row.retry_after.isoformat() if row.retry_after else None,
            })
    return report


def report_folder(base: Path, collection: str, run_id: str) -> Path:
    """Return ``base/<collection>/<run id>`` with unsafe characters of the run id replaced."""
    return base / _UNSAFE.sub("_", collection) / _UNSAFE.sub("_", run_id)


def write_report(report: RunReport, ledger: Ledger, base: Path) -> dict[str, Path]:
    """Write ``report.json`` and ``specimens.csv``; return their paths by kind.

    :param base: the reports folder (the run's own subfolder is made in it).
    """
    folder = report_folder(base, report.collection, report.run_id)
    return {"json": write_json(report, folder),
            "csv": write_specimens_csv(ledger, report.collection, folder)}


def write_json(report: RunReport, folder: Path) -> Path:
    """Write ``folder/report.json`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.json"
    path.write_text(json.dumps(report.as_dict(), indent=2, default=str), encoding="utf-8")
    return path


def write_specimens_csv(ledger: Ledger, collection: str, folder: Path) -> Path:
    """Write ``folder/specimens.csv``, one line per specimen, and return its path.

    The CSV is written with ``DataFrame.to_csv``; cells that would start a spreadsheet formula
    get a leading ``'`` (:mod:`zenodo.report.csv_cells`).
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SPECIMENS_CSV
    with safe_csv(path, CSV_COLUMNS) as out:
        for row in ledger.rows(collection):
            if is_summary(row.key):
                continue
            out.add([row.key, row.state.value, row.record_id, row.doi, row.concept_doi,
                     _reason(row)])
    return path


@contextmanager
def preview_writer(folder: Path) -> Iterator[Callable[[PreviewLine], None]]:
    """Open ``folder/preview.csv`` and yield the function that writes one preview line."""
    folder.mkdir(parents=True, exist_ok=True)
    with safe_csv(folder / "preview.csv", PREVIEW_COLUMNS) as out:
        yield lambda line: out.add([line.key, line.now.value if line.now else None,
                                    line.after.value, "; ".join(line.reasons)])


def summary_line(summary: Mapping[str, Any]) -> str:
    """Return the report's line about the collection's summary record."""
    if not summary.get("doi"):
        reason = f": {summary['reason']}" if summary.get("reason") else ""
        return f"summary record: {summary.get('state')}{reason}"
    version = f", version {summary['version']}" if summary.get("version") else ""
    what = ("unchanged" if not summary.get("changed") else "published"
            if summary.get("version") == 1 else "new version published")
    return (f"summary record: DOI {summary['doi']}, concept DOI {summary.get('concept_doi')}"
            f"{version} ({what}; {summary.get('specimens', 0)} specimens)")


def format_table(report: RunReport, *, max_lines: int = 20) -> str:
    """Return a plain-text table: counts per state, then failures and quarantined (cut)."""
    width = max(len(s.value) for s in State)
    lines = [f"Collection {report.collection}, run {report.run_id}",
             f"{'state':<{width}}  {'specimens':>9}", f"{'-' * width}  {'-' * 9}"]
    lines += [f"{state:<{width}}  {count:>9}" for state, count in report.counts.items() if count]
    lines.append(f"{'total':<{width}}  {sum(report.counts.values()):>9}")
    lines.append(f"{'online':<{width}}  {report.online:>9}")
    if report.writeback is not None:
        lines.append(f"DOIs written back: {report.writeback['written']}, "
                     f"failed: {report.writeback['failed']}")
    if report.export is not None:
        lines.append(f"Darwin Core Archive: {report.export['path']} "
                     f"({report.export['occurrences']} occurrences)")
    if report.files_from is not None:
        lines.append(f"specimens.csv and the archive are those of run {report.files_from} "
                     "(the ledger has not changed since)")
    if report.summary is not None:
        lines.append(summary_line(report.summary))
    preview = report.preview
    if preview:
        lines.append(f"dry run, nothing written or sent: of the {preview['rows']} rows read, "
                     "a real run would leave")
        lines += [f"  {state:<{width}}  {count:>9}" for state, count in preview["states"].items()]
    for title, entries, count, text, more in (
        ("failures", report.failures, len(report.failures), lambda e: e["reason"],
         "specimens.csv"),
        ("quarantined", report.quarantined, len(report.quarantined),
         lambda e: "; ".join(e["reasons"]), "specimens.csv"),
        ("would be quarantined", preview["quarantined"] if preview else [],
         preview["quarantined_count"] if preview else 0, lambda e: "; ".join(e["reasons"]),
         "preview.csv"),
    ):
        if entries:
            lines.append(f"{title} ({count}):")
            lines += [f"  {e['key']}: {text(e)}" for e in entries[:max_lines]]
            if count > max_lines:
                lines.append(f"  ... {count - max_lines} more in {more}")
    return "\n".join(lines)
