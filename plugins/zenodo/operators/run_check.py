"""Fail the run when any of its tasks failed, although the report ran after it."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator, TriggerRule
from airflow.sdk.exceptions import AirflowException


class RunFailedCheckOperator(BaseOperator):
    """Raise when an upstream task failed (trigger rule ``one_failed``; skipped otherwise).

    The reconcile and report tasks run whatever happened before them (``all_done``), so they
    alone would mark a run with failed uploads successful; this leaf keeps the run red.
    """

    ui_color = "#fbe8e8"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trigger_rule", TriggerRule.ONE_FAILED)
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)

    def execute(self, context: Any) -> None:
        """Fail: the UI shows which task failed; clear it to redo only what is not done."""
        raise AirflowException("a task of this run failed; clear it to retry (the ledger "
                               "makes the retry redo only what is not done)")
