"""Plan a run's uploads: batches of the keys the ledger says still need work."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from airflow.sdk.exceptions import AirflowSkipException

from zenodo import runtime
from zenodo.operators.base import ZenodoCollectionOperator
from zenodo.summary.key import SUMMARY_KEY

#: Batches per run, kept below Airflow's default ``[core] max_map_length`` (1024).
MAX_BATCHES = 1000
#: Characters of a key kept in a batch's label (the XCom carries labels, never key lists).
LABEL_KEY_CHARS = 100


def plan_batches(keys: Sequence[str], size: int,
                 max_batches: int = MAX_BATCHES) -> tuple[list[list[str]], int]:
    """Cut ``keys`` into batches of ``size`` keys; return them and the size used.

    When ``keys`` need more than ``max_batches`` batches, the size grows so that every key is
    in one of ``max_batches`` batches: the whole work list is mapped in one run.
    """
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    size = max(size, math.ceil(len(keys) / max_batches))
    return [list(keys[i:i + size]) for i in range(0, len(keys), size)], size


def batch_summary(batch_id: str, keys: Sequence[str]) -> dict[str, Any]:
    """Return what the upload task is handed for one batch: its id, size and first/last key."""
    return {"batch_id": batch_id, "size": len(keys),
            "first": keys[0][:LABEL_KEY_CHARS] if keys else None,
            "last": keys[-1][:LABEL_KEY_CHARS] if keys else None}


class ZenodoPlanOperator(ZenodoCollectionOperator):
    """Plan the run's upload batches in the ledger; return their ids for ``upload.expand``.

    The work list is the ledger's: NEW, DRAFTED, UPLOADED, UNKNOWN, STALE, and FAILED ones
    whose retry time has come. Each batch's keys are kept in the ledger's plan for this run
    (:mod:`zenodo.ledger.plans`); the XCom holds ids, sizes and first/last keys only, so it
    stays small at any size, and the batch size grows when the work list needs more than
    :data:`MAX_BATCHES` mapped tasks. When the prepare step read the whole changed source,
    the extract watermark moves to the newest ``modified`` it saw: every row read is in the
    ledger by now, so the next incremental run may start there and nothing is lost.

    :param prepared: the prepare step's summary (its XCom).
    """

    template_fields: Sequence[str] = ("collection_id", "prepared")

    def __init__(self, *, prepared: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prepared = prepared

    def execute(self, context: Any) -> list[dict[str, Any]]:
        """Advance the extract watermark, save the plan and return the batches' summaries."""
        params = self.run_params(context)
        if params.dry_run:
            raise AirflowSkipException("dry run: validated and mapped, nothing is sent")
        config = runtime.collection_config(self.collection_id)
        ledger = runtime.open_ledger()
        watermark = (self.prepared or {}).get("watermark")
        if watermark and params.full_scope:
            ledger.set_watermarks(config.id, extract=watermark)
            self.log.info("extract watermark of %s is now %s", config.id, watermark)
        # The summary record is the summary task's work, not an upload batch's.
        keys = ledger.keys_needing_work(config.id, skip=[SUMMARY_KEY],
                                        limit=None if params.only_keys else params.limit)
        if params.only_keys:
            wanted = set(params.only_keys)
            keys = [k for k in keys if k in wanted][:params.limit]
        asked = params.batch_size or config.batch_size
        batches, size = plan_batches(keys, asked)
        if size > asked:
            self.log.warning("batch size raised from %d to %d: %d specimens in at most %d "
                             "mapped tasks", asked, size, len(keys), MAX_BATCHES)
        ids = ledger.save_plan(config.id, str(context["run_id"]), batches)
        self.log.info("%d specimens need work in %d batches", len(keys), len(batches))
        return [batch_summary(bid, chunk) for bid, chunk in zip(ids, batches, strict=True)]
