"""A batch Airflow tried twice (its first try died with the server) counts once in the run's
totals: Table 4's total line and the status page's "last runs" take its last try's specimens,
published and failures, and sum what every try sent and met. At pilot 2's size five retried
batches made the run look like 306,372 specimens in 62 batches, for 281,372 in 57; then one
retried batch, whose retry counts the specimens its first try published, 286,371 published.
Specimens a batch handed to another batch count in the batch that took them."""

from __future__ import annotations

from zenodo.engine.outcomes import OutcomeKind
from zenodo.engine.statistics import BatchStats, load_batches, save_batch, table4, table4_total
from zenodo.ledger.ledger import Ledger
from zenodo.report.status_data import last_runs

C = "meise"


def _try(ledger: Ledger, batch: str, *, published: int, failed: int, errors: int,
         specimens: int = 10, handed: int = 0) -> None:
    stats = BatchStats(C, batch, specimens=specimens, concurrency=2, run_id="run-1")
    for _ in range(handed):
        stats.finished(OutcomeKind.HANDED_OVER.value)
    for _ in range(published):
        stats.finished(OutcomeKind.PUBLISHED.value)
    for _ in range(failed):
        stats.finished(OutcomeKind.FAILED.value)
    for _ in range(errors):
        stats.request_sent("POST", "create", 100)
        stats.request_done(503)
    stats.close()
    save_batch(ledger, stats)


def test_a_retried_batch_counts_once_by_its_last_try(ledger: Ledger) -> None:
    _try(ledger, "b1", published=4, failed=6, errors=6)  # the server died under it
    _try(ledger, "b2", published=10, failed=0, errors=1)
    # Airflow's retry published the other 6 and found the first try's 4 published
    _try(ledger, "b1", published=10, failed=0, errors=0)
    rows = load_batches(ledger, C, "run-1")

    assert table4(rows)["batch"].tolist() == ["b1 (try 1)", "b2", "b1 (try 2)"]
    (total,) = table4_total(rows).to_dict("records")
    assert (total["n"], total["unsuccess"], total["errors"], total["requests"]) == (20, 0, 7, 7)

    (run,) = last_runs(ledger.engine, C)
    assert (run.batches, run.specimens, run.published, run.failed, run.errors) == (
        2, 20, 20, 0, 7)


def test_specimens_handed_over_count_in_the_batch_that_took_them(ledger: Ledger) -> None:
    _try(ledger, "b1", published=7, failed=0, errors=3, handed=3)
    _try(ledger, "b2", published=13, failed=0, errors=0, specimens=13)  # 10 + the 3 handed
    rows = load_batches(ledger, C, "run-1")
    assert table4(rows)["n"].tolist() == [7, 13]
    (total,) = table4_total(rows).to_dict("records")
    assert (total["n"], total["unsuccess"]) == (20, 0)
    (run,) = last_runs(ledger.engine, C)
    assert (run.specimens, run.published, run.failed) == (20, 20, 0)
