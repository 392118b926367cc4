"""Extract, validate and map a collection into the ledger (a dry run: preview it, write nothing)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowSkipException

from zenodo import runtime
from zenodo.operators.base import ZenodoCollectionOperator
from zenodo.operators.writeback import check_writeback


def check_summary_config(config: Any) -> None:
    """Fail before anything is extracted if zenodo.org would refuse the summary record."""
    from zenodo.hooks.zenodo import ZenodoHook
    from zenodo.summary.metadata import SummaryRefused
    from zenodo.summary.publish import check_summary_settings

    if config.summary is None:  # absent, or enabled: false
        return
    try:
        check_summary_settings(config, ZenodoHook(config.zenodo_conn_id).options.protocol)
    except SummaryRefused as exc:
        raise AirflowException(str(exc)) from exc


def check_protocol(conn_id: str, mapping: str) -> None:
    """Fail before anything is mapped if the mapping's schema is not the connection's protocol.

    A ``deposit`` connection needs deposit metadata, an ``rdm`` one an RDM record body.
    """
    from zenodo.hooks.zenodo import ZenodoHook
    from zenodo.metadata.mapping import load_mapping

    protocol = ZenodoHook(conn_id).options.protocol
    schema = load_mapping(mapping).schema
    if schema != protocol:
        raise AirflowException(
            f"mapping {mapping!r} makes {schema} metadata, but connection {conn_id!r} uses "
            f"protocol {protocol!r}: choose a mapping with 'schema: {protocol}' (e.g. "
            f"{'dwc-rich-rdm' if protocol == 'rdm' else 'dwc-rich'}) or change extra.protocol"
        )


class ZenodoPrepareOperator(ZenodoCollectionOperator):
    """Run :func:`zenodo.ledger.prepare.prepare_collection` for the run's scope; return its summary.

    Incremental by default: only rows modified since the ledger's extract watermark (the
    first run, a backfill and a run for chosen keys read everything). Invalid rows end
    QUARANTINED with reasons; valid ones NEW, STALE or unchanged. Sends nothing to Zenodo.
    A dry run previews: it writes nothing to the ledger and returns the states a real run
    would leave, so trying a mapping or a backfill changes nothing a later run does.
    """

    def execute(self, context: Any) -> dict[str, Any]:
        """Prepare the collection and return ``PrepareResult.as_dict()`` plus ``since``."""
        from zenodo.ledger.prepare import prepare_collection
        from zenodo.report.run_report import preview_writer, report_folder

        params = self.run_params(context)
        if params.reconcile_only:
            raise AirflowSkipException("reconcile-only run: nothing is extracted")
        config = runtime.collection_config(self.collection_id)
        check_protocol(config.zenodo_conn_id, params.mapping or config.mapping)
        check_writeback(config)
        check_summary_config(config)
        ledger = runtime.open_ledger()
        since = None
        if not (params.backfill or params.only_keys):
            since = ledger.get_watermarks(config.id).extract
        self.log.info("%s %s (since=%s, limit=%s, keys=%d, mapping=%s)",
                      "previewing (dry run: nothing is written)" if params.dry_run
                      else "preparing", config.id, since, params.limit, len(params.only_keys),
                      params.mapping or config.mapping)
        with ExitStack() as stack:
            preview = None
            if params.dry_run:
                folder = report_folder(runtime.reports_dir(), config.id, str(context["run_id"]))
                preview = stack.enter_context(preview_writer(folder))
                self.log.info("dry run: what a real run would do goes to %s",
                              folder / "preview.csv")
            result = prepare_collection(
                config, ledger=ledger, since=since, only_keys=params.only_keys or None,
                limit=params.limit, mapping=params.mapping, actor=runtime.actor(context),
                preview=preview,
            )
        for key, reasons in result.quarantined[:50]:
            self.log.warning("quarantined %s: %s", key, "; ".join(reasons))
        return {**result.as_dict(), "since": since}
