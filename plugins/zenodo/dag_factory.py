"""Build the DAG of one collection: prepare → plan → upload (mapped) → feed → reconcile →
writeback → summary → report.

Parse time does no network or database I/O: the DAG is built from the collection's entry in
``include/collections.yaml`` and from a few deployment settings in the environment
(:class:`DagSettings`); the tasks read everything else when they run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from airflow.sdk import DAG, TriggerRule

from zenodo.config.environment import env_number
from zenodo.operators.params import trigger_form
from zenodo.operators.plan import ZenodoPlanOperator
from zenodo.operators.prepare import ZenodoPrepareOperator
from zenodo.operators.reconcile import ZenodoReconcileOperator
from zenodo.operators.report import ZenodoReportOperator
from zenodo.operators.run_check import RunFailedCheckOperator
from zenodo.operators.summary import ZenodoSummaryOperator
from zenodo.operators.upload import ZenodoUploadBatchOperator
from zenodo.operators.writeback import ZenodoWritebackOperator
from zenodo.sensors.oai_pmh import OaiPmhFeedSensor

if TYPE_CHECKING:
    from zenodo.config.collection_file import CollectionConfig

START_DATE = datetime(2024, 1, 1, tzinfo=UTC)
#: The task ids of every collection DAG, in run order.
TASK_IDS = ("prepare", "plan", "upload", "wait_for_feed", "reconcile", "writeback", "summary",
            "report", "check_run")


@dataclass(frozen=True)
class DagSettings:
    """Deployment settings of the collection DAGs (environment, read at parse time).

    :param owner: ``ZENODO_DAG_OWNER`` (default ``zenodo``).
    :param retries: ``ZENODO_TASK_RETRIES``: tries after the first, per task (default 2).
    :param retry_delay: ``ZENODO_TASK_RETRY_DELAY`` seconds between tries (default 300).
    :param feed_timeout: ``ZENODO_FEED_TIMEOUT`` seconds the feed sensor waits (default 6 h).
    :param feed_poke_interval: ``ZENODO_FEED_POKE_INTERVAL`` seconds between pokes (300).
    :param feed_grace: ``ZENODO_FEED_GRACE`` seconds a new record may be missing from the feed
        before reconciliation asks the records API about it (default 3600).
    :param reconcile_timeout: ``ZENODO_RECONCILE_TIMEOUT``: the reconcile task's
        ``execution_timeout`` in seconds (default 6 h); its harvest stops with its own error
        at 90% of it.
    """

    owner: str = "zenodo"
    retries: int = 2
    retry_delay: float = 300.0
    feed_timeout: float = 6 * 3600.0
    feed_poke_interval: float = 300.0
    feed_grace: float = 3600.0
    reconcile_timeout: float = 6 * 3600.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> DagSettings:
        """Read the settings from ``env`` (default ``os.environ``)."""
        env = dict(os.environ if env is None else env)
        default = cls()
        return cls(
            owner=env.get("ZENODO_DAG_OWNER") or default.owner,
            retries=int(env_number("ZENODO_TASK_RETRIES", default.retries, env)),
            retry_delay=env_number("ZENODO_TASK_RETRY_DELAY", default.retry_delay, env),
            feed_timeout=env_number("ZENODO_FEED_TIMEOUT", default.feed_timeout, env),
            feed_poke_interval=env_number("ZENODO_FEED_POKE_INTERVAL",
                                          default.feed_poke_interval, env),
            feed_grace=env_number("ZENODO_FEED_GRACE", default.feed_grace, env),
            reconcile_timeout=env_number("ZENODO_RECONCILE_TIMEOUT", default.reconcile_timeout,
                                         env),
        )


def collection_doc(config: CollectionConfig, intro: str) -> str:
    """Return the DAG's Markdown doc: the module docstring plus this collection's settings."""
    return (
        f"{intro.strip()}\n\n## Collection `{config.id}`\n\n{config.description}\n\n"
        f"| setting | value |\n|---|---|\n| mapping | `{config.mapping}` |\n"
        f"| community | `{config.community or '-'}` |\n"
        f"| Zenodo connection (and pool) | `{config.zenodo_conn_id}` |\n"
        f"| schedule | `{config.schedule}` |\n| batch size | {config.batch_size} |\n"
        f"| concurrency | {config.concurrency} |\n"
        f"| summary record | {'on' if config.summary else 'off'} |\n"
    )


def build_collection_dag(config: CollectionConfig, *, doc_md: str = "",
                         settings: DagSettings | None = None) -> DAG:
    """Return the DAG of one collection (DAG id = collection id).

    :param config: the collection's entry of ``include/collections.yaml``.
    :param doc_md: the DAG file's docstring, shown in the UI above the collection's settings.
    :param settings: deployment settings (default: from the environment).
    """
    settings = settings or DagSettings.from_env()
    cid = config.id
    with DAG(
        dag_id=cid,
        description=f"Publish collection {cid} to Zenodo, exactly once",
        doc_md=collection_doc(config, doc_md),
        schedule=config.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["zenodo", "specimens", f"mapping:{config.mapping}"],
        params=trigger_form(config),
        default_args={"owner": settings.owner, "retries": settings.retries,
                      "retry_delay": timedelta(seconds=settings.retry_delay)},
    ) as dag:
        prepare = ZenodoPrepareOperator(task_id="prepare", collection_id=cid)
        plan = ZenodoPlanOperator(task_id="plan", collection_id=cid, prepared=prepare.output)
        upload = ZenodoUploadBatchOperator.partial(
            task_id="upload", collection_id=cid, pool=config.zenodo_conn_id,
            map_index_template="{{ batch_label }}",
        ).expand(batch=plan.output)
        feed = OaiPmhFeedSensor(
            task_id="wait_for_feed", collection_id=cid,
            timeout=settings.feed_timeout, poke_interval=settings.feed_poke_interval,
            trigger_rule=TriggerRule.ALL_DONE,
        )
        reconcile = ZenodoReconcileOperator(
            task_id="reconcile", collection_id=cid, grace_seconds=settings.feed_grace,
            execution_timeout=timedelta(seconds=settings.reconcile_timeout),
            trigger_rule=TriggerRule.ALL_DONE)
        writeback = ZenodoWritebackOperator(task_id="writeback", collection_id=cid,
                                            trigger_rule=TriggerRule.ALL_DONE, retries=0)
        summary = ZenodoSummaryOperator(task_id="summary", collection_id=cid,
                                        trigger_rule=TriggerRule.ALL_DONE)
        report = ZenodoReportOperator(task_id="report", collection_id=cid,
                                      trigger_rule=TriggerRule.ALL_DONE, retries=0)
        check = RunFailedCheckOperator(task_id="check_run")
        upload >> feed >> reconcile >> writeback >> summary >> report
        [prepare, plan, upload, feed, reconcile, writeback, summary, report] >> check
    return dag
