"""Write the run report (CSV, JSON and HTML under the reports folder); log it as a table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zenodo import runtime
from zenodo.links.community import ZenodoCommunityLink
from zenodo.operators.base import ZenodoCollectionOperator


class ZenodoReportOperator(ZenodoCollectionOperator):
    """Report the collection's state after the run, read from the ledger (never double counted).

    :param prepare_task_id: the task whose XCom is the prepare summary.
    :param reconcile_task_id: the task whose XCom is the reconcile summary.
    """

    template_fields: Sequence[str] = ("collection_id",)
    operator_extra_links = (ZenodoCommunityLink(),)

    def __init__(self, *, prepare_task_id: str = "prepare",
                 reconcile_task_id: str = "reconcile", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prepare_task_id = prepare_task_id
        self.reconcile_task_id = reconcile_task_id

    def execute(self, context: Any) -> dict[str, Any]:
        """Write ``report.json``, ``specimens.csv`` and ``report.html``; return paths and counts."""
        from zenodo.engine.statistics import load_batches
        from zenodo.report.html import write_html
        from zenodo.report.run_report import build_report, format_table, report_folder, write_report
        from zenodo.report.status_data import counts_by_collection

        ti = context["ti"]
        self.persist_community_link(context, runtime.collection_config(self.collection_id))
        ledger = runtime.open_ledger()
        report = build_report(
            ledger, self.collection_id, run_id=str(context["run_id"]),
            prepare=ti.xcom_pull(task_ids=self.prepare_task_id),
            reconcile=ti.xcom_pull(task_ids=self.reconcile_task_id),
        )
        paths = write_report(report, ledger, runtime.reports_dir())
        batches = load_batches(ledger, self.collection_id, report.run_id)
        html = write_html(report, batches, counts_by_collection(ledger.engine),
                          report_folder(runtime.reports_dir(), self.collection_id, report.run_id))
        self.log.info("run report\n%s", format_table(report))
        self.log.info("report written to %s, %s and %s", paths["csv"], paths["json"], html)
        return {"counts": report.counts, "online": report.online,
                "failures": len(report.failures), "quarantined": len(report.quarantined),
                "csv": str(paths["csv"]), "json": str(paths["json"]), "html": str(html),
                "batches": len(batches)}
