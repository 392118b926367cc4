"""The run report is read from the ledger and written as CSV, JSON and a table."""

from __future__ import annotations

import csv
import json
import pathlib
from datetime import timedelta

from tests.zenodo.payload_factory import COLLECTION, publish_in_ledger, register_specimens
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.prepare import PreviewLine
from zenodo.ledger.states import State
from zenodo.report.run_report import (
    build_report,
    format_table,
    preview_writer,
    report_folder,
    write_report,
)


def settle(ledger: Ledger, keys: list[str]) -> None:
    """Publish keys[0], fail keys[1] with a reason, quarantine keys[2]; keys[3:] stay NEW."""
    owner = "test-owner"
    publish_in_ledger(ledger, COLLECTION, keys[0], record_id=7)
    ledger.claim(COLLECTION, keys[1:2], owner=owner, ttl_s=60)
    ledger.record_failure(COLLECTION, keys[1], owner=owner, kind="server", status=503,
                          message="Service Unavailable", retry_after=timedelta(minutes=15))
    ledger.quarantine(COLLECTION, keys[2], ["eventDate: '1931-02-30' is impossible"],
                      source_modified=None)


def test_report_counts_reasons_and_dois_come_from_the_ledger(
    ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(ledger, tmp_path, 5)
    settle(ledger, keys)
    report = build_report(ledger, COLLECTION, run_id="manual__2026-01-01T00:00:00+00:00",
                          reconcile={"differences": 0})
    assert {k: v for k, v in report.counts.items() if v} == {
        "PUBLISHED": 1, "FAILED": 1, "QUARANTINED": 1, "NEW": 2}
    assert report.online == 1
    assert "published" not in report.as_dict(), "one line a specimen is specimens.csv's job"
    (failure,) = report.failures
    assert failure["key"] == keys[1] and failure["reason"] == "server 503: Service Unavailable"
    assert report.quarantined == [{"key": keys[2],
                                   "reasons": ["eventDate: '1931-02-30' is impossible"]}]
    again = build_report(ledger, COLLECTION, run_id="x")
    assert again.counts == report.counts, "reading twice counts nothing twice"


def test_report_files_go_under_collection_and_run(ledger: Ledger, tmp_path: pathlib.Path) -> None:
    keys = register_specimens(ledger, tmp_path, 4)
    settle(ledger, keys)
    run_id = "manual__2026-01-01T00:00:00+00:00"
    report = build_report(ledger, COLLECTION, run_id=run_id)
    paths = write_report(report, ledger, tmp_path / "reports")
    folder = report_folder(tmp_path / "reports", COLLECTION, run_id)
    assert folder == tmp_path / "reports" / COLLECTION / "manual__2026-01-01T00_00_00_00_00"
    assert paths == {"json": folder / "report.json", "csv": folder / "specimens.csv"}
    data = json.loads(paths["json"].read_text())
    assert data["online"] == 1 and data["counts"]["QUARANTINED"] == 1
    with paths["csv"].open() as handle:
        rows = {row["key"]: row for row in csv.DictReader(handle)}
    assert len(rows) == 4
    assert (rows[keys[0]]["doi"], rows[keys[0]]["record_id"]) == ("10.5072/zenodo.7", "7")
    assert rows[keys[1]]["reason"] == "server 503: Service Unavailable"
    assert "1931-02-30" in rows[keys[2]]["reason"]


def test_table_lists_counts_failures_and_quarantine(ledger: Ledger, tmp_path: pathlib.Path) -> None:
    keys = register_specimens(ledger, tmp_path, 4)
    settle(ledger, keys)
    table = format_table(build_report(ledger, COLLECTION, run_id="r1"), max_lines=5)
    lines = table.splitlines()
    assert lines[0] == f"Collection {COLLECTION}, run r1"
    assert any(line.split() == ["PUBLISHED", "1"] for line in lines)
    assert any(line.split() == ["total", "4"] for line in lines)
    assert "failures (1):" in lines and "quarantined (1):" in lines
    assert f"  {keys[1]}: server 503: Service Unavailable" in lines


def test_a_dry_run_report_shows_its_preview_beside_the_unchanged_ledger(
    ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(ledger, tmp_path, 2)
    prepare = {"rows": 30, "preview": True, "states": {"STALE": 2, "NEW": 3, "QUARANTINED": 25},
               "quarantined": [{"key": f"q{n}", "reasons": ["year: 'x' is not a number"]}
                               for n in range(25)], "quarantined_count": 25}
    report = build_report(ledger, COLLECTION, run_id="r1", prepare=prepare)
    assert report.preview == {key: prepare[key] for key in
                              ("rows", "states", "quarantined", "quarantined_count")}
    assert report.counts["NEW"] == len(keys), "the ledger's own counts, as they are"
    lines = format_table(report, max_lines=5).splitlines()
    assert "dry run, nothing written or sent: of the 30 rows read, a real run would leave" in lines
    assert any(line.split() == ["STALE", "2"] for line in lines)
    assert "would be quarantined (25):" in lines and "  ... 20 more in preview.csv" in lines
    assert build_report(ledger, COLLECTION, run_id="r2", prepare={**prepare, "preview": False}
                        ).preview is None


def test_the_preview_csv_has_one_line_per_row_read(tmp_path: pathlib.Path) -> None:
    with preview_writer(tmp_path / "run") as write:
        write(PreviewLine("a", None, State.NEW, []))
        write(PreviewLine("b", State.PUBLISHED, State.STALE, []))
        write(PreviewLine("c#row-9", None, State.QUARANTINED, ["duplicate key", "year: bad"]))
    with (tmp_path / "run" / "preview.csv").open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [
            ["key", "state_now", "state_after", "reason"], ["a", "", "NEW", ""],
            ["b", "PUBLISHED", "STALE", ""],
            ["c#row-9", "", "QUARANTINED", "duplicate key; year: bad"]]
