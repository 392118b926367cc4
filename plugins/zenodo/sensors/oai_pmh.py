"""Wait until the community's OAI-PMH feed shows the records a run published."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowSkipException

from zenodo import runtime
from zenodo.operators.params import RunParams

#: How many of the run's newest published records the feed must show.
FEED_SAMPLE = 200


class OaiPmhFeedSensor(BaseSensorOperator):
    """Poke the community feed until it lists the newest records this run published.

    The run's records are read from the ledger each poke (a reschedule sensor keeps no state
    in XCom): the :data:`FEED_SAMPLE` specimens most recently PUBLISHED since this run's plan
    was saved, with their record ids. Zenodo indexes records in the order they are published,
    so when the newest are listed the earlier ones are too; the reconcile step then checks
    every record. A poke costs one ``ListIdentifiers`` from the earliest of their publication
    times (a few pages at most, whatever the run's size). Reschedule mode and ``soft_fail`` by
    default: on timeout the sensor is skipped and the reconcile step runs anyway and reports
    what the feed showed.

    :param collection_id: the collection.
    """

    template_fields: Sequence[str] = ("collection_id",)
    ui_color = "#f5efe0"

    def __init__(self, *, collection_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("mode", "reschedule")
        kwargs.setdefault("soft_fail", True)
        super().__init__(**kwargs)
        self.collection_id = collection_id

    def poke(self, context: Any) -> bool:
        """Return True once the feed shows the run's newest published records."""
        from zenodo.harvest.harvester import feed_shows

        params = RunParams.from_params(context.get("params"))
        if params.dry_run or params.reconcile_only:
            raise AirflowSkipException("nothing was published by this run")
        config = runtime.collection_config(self.collection_id)
        if not config.community:
            raise AirflowSkipException(f"collection {config.id} has no community feed")
        ledger = runtime.open_ledger()
        planned_at = ledger.plan_time(config.id, str(context["run_id"]))
        rows = [] if planned_at is None else \
            ledger.newest_published(config.id, planned_at, FEED_SAMPLE)
        if not rows:
            self.log.info("no newly published records to wait for")
            return True
        since = min(_aware(row.updated_at) for row in rows)
        hook = runtime.make_hook(config.zenodo_conn_id, ledger)
        seen, expected = feed_shows(hook, config.community, [r.record_id for r in rows],
                                    since=since)
        self.log.info("community %s feed shows %d of the %d records this run published last",
                      config.community, seen, expected)
        return seen >= expected


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
