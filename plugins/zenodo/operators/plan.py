"""Plan a run's uploads: batches of the keys the ledger says still need work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk.exceptions import AirflowSkipException

from zenodo import runtime
from zenodo.operators.base import ZenodoCollectionOperator

#: Batches per run, kept below Airflow's default ``[core] max_map_length`` (1024).
MAX_BATCHES = 1000


def plan_batches(keys: Sequence[str], size: int,
                 max_batches: int = MAX_BATCHES) -> list[dict[str, Any]]:
    """Cut ``keys`` into ``[{"batch_id": "b0000", "keys": [...]}, ...]`` of ``size`` keys.

    Keys beyond ``max_batches`` full batches are left for the next run.
    """
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    chunks = [list(keys[i:i + size]) for i in range(0, len(keys), size)][:max_batches]
    return [{"batch_id": f"b{n:04d}", "keys": chunk} for n, chunk in enumerate(chunks)]


class ZenodoPlanOperator(ZenodoCollectionOperator):
    """Return the run's upload batches (keys only, never payloads) for ``upload.expand``.

    The work list is the ledger's: NEW, DRAFTED, UPLOADED, UNKNOWN, STALE, and FAILED ones
    whose retry time has come. When the prepare step read the whole changed source, the
    extract watermark moves to the newest ``modified`` it saw: every row read is in the
    ledger by now, so the next incremental run may start there and nothing is lost.

    :param prepared: the prepare step's summary (its XCom).
    """

    template_fields: Sequence[str] = ("collection_id", "prepared")

    def __init__(self, *, prepared: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prepared = prepared

    def execute(self, context: Any) -> list[dict[str, Any]]:
        """Advance the extract watermark and return the batches."""
        params = self.run_params(context)
        if params.dry_run:
            raise AirflowSkipException("dry run: validated and mapped, nothing is sent")
        config = runtime.collection_config(self.collection_id)
        ledger = runtime.open_ledger()
        watermark = (self.prepared or {}).get("watermark")
        if watermark and params.full_scope:
            ledger.set_watermarks(config.id, extract=watermark)
            self.log.info("extract watermark of %s is now %s", config.id, watermark)
        keys = ledger.keys_needing_work(config.id, limit=None if params.only_keys
                                        else params.limit)
        if params.only_keys:
            wanted = set(params.only_keys)
            keys = [k for k in keys if k in wanted][:params.limit]
        batches = plan_batches(keys, params.batch_size or config.batch_size)
        planned = sum(len(b["keys"]) for b in batches)
        if planned < len(keys):
            self.log.warning("%d specimens left for the next run (at most %d batches a run)",
                             len(keys) - planned, MAX_BATCHES)
        self.log.info("%d specimens need work in %d batches", planned, len(batches))
        return batches
