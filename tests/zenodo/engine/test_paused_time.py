"""A run's paused time is the time its workers waited, not the sum of its batches' pauses:
every batch running when Zenodo goes down pauses, so at pilot 2's size one 180 s outage read
"workers paused for 1614 s in total (8 pauses)" in the run report."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from zenodo.engine.outcomes import OutcomeKind
from zenodo.engine.statistics import (
    BatchStats,
    load_batches,
    paused_seconds,
    paused_spans,
    save_batch,
    table4,
    table4_total,
)
from zenodo.ledger.ledger import Ledger
from zenodo.report.html import render_html
from zenodo.report.run_report import build_report
from zenodo.report.status_data import counts_by_collection, last_runs

C = "meise"
T0 = datetime(2026, 5, 16, 9, 0, tzinfo=UTC)


def _row(started_s: float, pauses: list[list[float]]) -> dict[str, object]:
    return {"started_at": T0 + timedelta(seconds=started_s), "pauses": pauses}


def test_overlapping_pauses_of_batches_merge_on_the_runs_clock() -> None:
    rows = [_row(0, [[10, 40]]), _row(5, [[5, 35], [100, 110]]), _row(200, []),
            _row(3, [[37, 41]])]  # starts as the first outage ends: the same outage
    assert paused_spans(rows) == [(10, 44), (105, 115)]
    assert paused_spans([]) == []
    assert paused_seconds(paused_spans(rows)) == 44 and paused_seconds([]) == 0


def _batch(ledger: Ledger, batch: str, started: float, pauses: list[tuple[float, float]]) -> None:
    stats = BatchStats(C, batch, specimens=2, concurrency=2, run_id="run-1")
    stats.started = started
    for start, end in pauses:
        stats.paused(start, end)
    stats.finished(OutcomeKind.PUBLISHED.value)
    stats.close()
    save_batch(ledger, stats)


def test_the_status_page_and_the_report_give_the_time_the_workers_waited(
    ledger: Ledger,
) -> None:
    t = time.time() - 200  # a timeline bin every 5 s since the batch started
    # one 30 s outage met by three running batches, then a 10 s one met by one of them
    _batch(ledger, "b1", t, [(t + 10, t + 40), (t + 100, t + 110)])
    _batch(ledger, "b2", t + 2, [(t + 10, t + 40)])
    _batch(ledger, "b3", t + 4, [(t + 11, t + 40)])
    batches = load_batches(ledger, C, "run-1")
    assert sum(b["paused_seconds"] for b in batches) == 99  # the old figure

    (run,) = last_runs(ledger.engine, C)
    assert run.paused_seconds == 40
    # Table 4: each batch its own pauses, the total line the run's
    assert table4(batches)["paused (s)"].tolist() == [40, 30, 29]
    (total,) = table4_total(batches).to_dict("records")
    assert total["paused (s)"] == 40
    html = render_html(build_report(ledger, C, run_id="run-1"), batches,
                       counts_by_collection(ledger.engine))
    assert ("the workers paused\nfor 40 s of the run's time (2 time(s); the batches\nrunning "
            "then paused together, 4 batch pause(s) in all)") in html
