"""Wait until the community's OAI-PMH feed shows the records a run published."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowSkipException

from zenodo import runtime
from zenodo.operators.params import RunParams


class OaiPmhFeedSensor(BaseSensorOperator):
    """Poke the community feed until it lists every record this run published.

    The run's records are read from the ledger each poke (a reschedule sensor keeps no state
    in XCom): the keys of this run's plan now PUBLISHED, with their record ids. Each poke costs one
    ``ListIdentifiers`` from the earliest of their publication times (usually one request).
    Reschedule mode and ``soft_fail`` by default: on timeout the sensor is skipped and the
    reconcile step runs anyway and reports what the feed showed.

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
        """Return True once the feed shows all the run's newly published records."""
        from zenodo.harvest.harvester import feed_shows
        from zenodo.ledger.states import State

        params = RunParams.from_params(context.get("params"))
        if params.dry_run or params.reconcile_only:
            raise AirflowSkipException("nothing was published by this run")
        config = runtime.collection_config(self.collection_id)
        if not config.community:
            raise AirflowSkipException(f"collection {config.id} has no community feed")
        ledger = runtime.open_ledger()
        planned = set(ledger.planned_keys(config.id, str(context["run_id"])) or ())
        rows = [row for row in ledger.rows(config.id, states=[State.PUBLISHED])
                if row.key in planned and row.record_id is not None]
        if not rows:
            self.log.info("no newly published records to wait for")
            return True
        since = min(_aware(row.updated_at) for row in rows)
        hook = runtime.make_hook(config.zenodo_conn_id, ledger)
        seen, expected = feed_shows(hook, config.community, [r.record_id for r in rows],
                                    since=since)
        self.log.info("community %s feed shows %d of %d records published by this run",
                      config.community, seen, expected)
        return seen >= expected


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
