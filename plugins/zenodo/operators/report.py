"""Write the run report (CSV, JSON and HTML under the reports folder) and the Darwin Core
Archive of the published specimens beside it; log the report as a table."""

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
    :param summary_task_id: the task whose XCom is the summary record's outcome.
    """

    template_fields: Sequence[str] = ("collection_id",)
    operator_extra_links = (ZenodoCommunityLink(),)

    def __init__(self, *, prepare_task_id: str = "prepare",
                 reconcile_task_id: str = "reconcile", summary_task_id: str = "summary",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prepare_task_id = prepare_task_id
        self.reconcile_task_id = reconcile_task_id
        self.summary_task_id = summary_task_id

    def execute(self, context: Any) -> dict[str, Any]:
        """Write ``report.json``, ``specimens.csv``, ``report.html`` and ``dwca.zip``; return
        paths and counts."""
        from zenodo.engine.statistics import load_batches
        from zenodo.operators.record_links import zenodo_base_url
        from zenodo.report.html import write_html
        from zenodo.report.run_report import (
            SPECIMENS_CSV,
            build_report,
            format_table,
            report_folder,
            write_json,
        )
        from zenodo.report.specimen_files import ArchiveSettings, write_specimen_files
        from zenodo.report.status_data import counts_by_collection
        from zenodo.summary.publish import summary_status
        from zenodo.writeback.outcomes import writeback_status

        ti = context["ti"]
        config = runtime.collection_config(self.collection_id)
        self.persist_community_link(context, config)
        ledger = runtime.open_ledger()
        report = build_report(
            ledger, self.collection_id, run_id=str(context["run_id"]),
            prepare=ti.xcom_pull(task_ids=self.prepare_task_id),
            reconcile=ti.xcom_pull(task_ids=self.reconcile_task_id),
        )
        folder = report_folder(runtime.reports_dir(), self.collection_id, report.run_id)
        if config.writeback is not None:
            report.writeback = writeback_status(ledger.engine, config.id)
        if config.summary is not None:
            report.summary = (ti.xcom_pull(task_ids=self.summary_task_id)
                              or summary_status(ledger, config.id))
        files = write_specimen_files(ledger, config.id, report.run_id, folder, ArchiveSettings(
            base_url=zenodo_base_url(config.zenodo_conn_id),
            title=f"{config.id}: specimens published on Zenodo",
            description=config.description or f"Specimens of {config.id} on Zenodo"))
        report.export, report.files_from = files.export, files.reused_from
        json_path = write_json(report, folder)
        batches = load_batches(ledger, self.collection_id, report.run_id)
        html = write_html(report, batches, counts_by_collection(ledger.engine), folder)
        self.log.info("run report\n%s", format_table(report))
        self.log.info("report written to %s", folder)
        return {"counts": report.counts, "online": report.online,
                "failures": len(report.failures), "quarantined": len(report.quarantined),
                "csv": str(folder / SPECIMENS_CSV), "json": str(json_path), "html": str(html),
                "batches": len(batches), "dwca": report.export["path"],
                "summary": report.summary, "files_from": report.files_from}
