"""Reconcile the collection's ledger with its community's OAI-PMH feed."""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowSkipException

from zenodo import runtime
from zenodo.operators.base import ZenodoCollectionOperator

#: Entries kept per list in the task's summary (the full lists are in the ledger's events).
SUMMARY_ENTRIES = 200
#: The share of the task's ``execution_timeout`` the harvest may take.
HARVEST_SHARE = 0.9


class ZenodoReconcileOperator(ZenodoCollectionOperator):
    """Harvest the community feed and make the ledger equal what it serves.

    After an upload run the harvest is incremental (from the last harvest's watermark): it
    verifies and adopts what the feed shows. A ``reconcile_only`` run (or the first one)
    harvests the whole set, the only harvest that may judge a record absent. Re-queued
    specimens (NEW again) are uploaded by the next run.

    The harvest stops with a clear error (and the ledger stays as it was) on a feed that
    would never end, and at its deadline: :data:`HARVEST_SHARE` of the task's
    ``execution_timeout``, so it fails with its own reason before Airflow kills the task.

    :param grace_seconds: how long after publishing a record may be missing from the feed.
    """

    def __init__(self, *, grace_seconds: float = 3600.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.grace_seconds = grace_seconds

    def harvest_deadline(self) -> float | None:
        """Seconds the harvest may take: most of the task's ``execution_timeout``."""
        timeout = self.execution_timeout
        return None if timeout is None else timeout.total_seconds() * HARVEST_SHARE

    def execute(self, context: Any) -> dict[str, Any]:
        """Harvest, reconcile, and return the counts, differences and findings."""
        from zenodo.harvest.harvester import Harvester, HarvestOptions
        from zenodo.reconcile.run import harvest_and_reconcile

        params = self.run_params(context)
        if params.dry_run:
            raise AirflowSkipException("dry run: nothing was sent, nothing to reconcile")
        config = runtime.collection_config(self.collection_id)
        if not config.community:
            raise AirflowSkipException(f"collection {config.id} has no community to harvest")
        ledger = runtime.open_ledger()
        hook = runtime.make_hook(config.zenodo_conn_id, ledger)
        harvester = Harvester(hook, HarvestOptions(set_prefix=hook.options.oai_set_prefix,
                                                   deadline=self.harvest_deadline()))
        done = harvest_and_reconcile(
            config.id, config.community, harvester=harvester, ledger=ledger, hook=hook,
            owner=runtime.lease_owner(context), full=params.reconcile_only,
            actor=runtime.actor(context), grace_seconds=self.grace_seconds)
        harvest, report = done.harvest, done.report
        self.log.info("reconcile %s: %s harvest, %d records in %d requests, %d differences: %s",
                      config.id, "full" if harvest.complete else "incremental",
                      len(harvest.records), harvest.stats.requests, report.differences,
                      report.counts())
        data = report.as_dict(limit=SUMMARY_ENTRIES)
        data["requests"] = harvest.stats.requests
        data["retries"] = harvest.stats.retries  # pages asked again after a failed answer
        return data
