"""Publish the collection's summary record (its ``summary`` key): a new version when what is
published changed, nothing when it did not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowSkipException

from zenodo import runtime
from zenodo.links.community import ZenodoCommunityLink
from zenodo.operators.base import ZenodoCollectionOperator

#: The summary's files go to this folder of the run's report folder.
SUMMARY_FOLDER = "summary"


class ZenodoSummaryOperator(ZenodoCollectionOperator):
    """Build ``specimens.csv``, ``README.md`` and ``dwca.zip`` and publish them as the
    collection's summary record with :func:`zenodo.summary.publish.publish_summary`.

    Skipped when the collection has no ``summary``, on a dry run, a reconcile-only run and a
    run that does not publish. Fails (after the ledger has recorded why) when the summary did
    not get online; the next run resumes it. Returns :class:`SummaryOutcome` as a dict.
    """

    template_fields: Sequence[str] = ("collection_id",)
    operator_extra_links = (ZenodoCommunityLink(),)

    def execute(self, context: Any) -> dict[str, Any]:
        """Publish the summary if it changed; return its DOI, concept DOI, version, files."""
        from zenodo.operators.record_links import zenodo_base_url
        from zenodo.report.run_report import report_folder
        from zenodo.summary.publish import publish_summary
        from zenodo.traffic.breaker import breaker_from_env

        config = runtime.collection_config(self.collection_id)
        params = self.run_params(context)
        if config.summary is None:
            raise AirflowSkipException(f"collection {config.id} has no summary")
        if params.dry_run:
            raise AirflowSkipException("dry run: no summary record is sent")
        if params.reconcile_only or not params.publish:
            raise AirflowSkipException("this run publishes nothing: the summary is left as it is")
        self.persist_community_link(context, config)
        ledger = runtime.open_ledger()
        hook = runtime.make_hook(config.zenodo_conn_id, ledger)
        hook.watch.breaker = breaker_from_env(ledger.engine, config.zenodo_conn_id)
        run_id = str(context["run_id"])
        folder = report_folder(runtime.reports_dir(), config.id, run_id) / SUMMARY_FOLDER
        outcome = publish_summary(
            config, ledger=ledger, hook=hook, folder=folder,
            base_url=zenodo_base_url(config.zenodo_conn_id),
            owner=runtime.lease_owner(context), actor=runtime.actor(context))
        if outcome.reason and outcome.state != "none":
            raise AirflowException(f"summary record of {config.id} is {outcome.state}: "
                                   f"{outcome.reason}; the next run resumes it")
        self.log.info("summary record of %s: %s, DOI %s, concept DOI %s, version %s, %d "
                      "specimens (%s)", config.id, "new version published" if outcome.changed
                      else "unchanged", outcome.doi, outcome.concept_doi, outcome.version,
                      outcome.specimens, outcome.folder)
        return outcome.as_dict()
