"""Upload one planned batch: the mapped task of a collection run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowSkipException

from zenodo import runtime
from zenodo.engine.outcomes import OutcomeKind
from zenodo.links.community import ZenodoCommunityLink
from zenodo.operators.base import ZenodoCollectionOperator


def batch_label(batch: dict[str, Any]) -> str:
    """Return the readable label of a planned batch for ``map_index_template``."""
    size = int(batch.get("size") or 0)
    if not size:
        return f"{batch.get('batch_id', '?')}: empty"
    first, last = batch.get("first"), batch.get("last")
    span = first if size == 1 else f"{first} .. {last}"
    return f"{batch.get('batch_id', '?')}: {size} specimens ({span})"


class ZenodoUploadBatchOperator(ZenodoCollectionOperator):
    """Drive a batch of specimens to PUBLISHED (or to drafts) with the exactly-once engine.

    A cleared or retried try redoes only what the ledger says is not done. The task fails
    (so Airflow retries it) when a specimen of the batch did not reach the asked state; each
    such specimen is logged with its key and reason and is FAILED in the ledger. While Zenodo
    is down, the connection's shared circuit breaker pauses every worker; past
    ``ZENODO_OUTAGE_LIMIT`` seconds the task fails with "Zenodo unavailable since …" and the
    specimens keep their ledger state (see :mod:`zenodo.traffic.breaker`).

    :param batch: a batch summary from the plan step (``batch_id``, ``size``, ``first``,
        ``last``); its keys are read from the ledger's plan of this run. Specimens the batch
        would end waiting for (a lookup, a retry wait) go to a batch of the run not started
        yet, which takes them first; the last batches wait for theirs.
    :param lookup_waits: after a lost create answer, the waits before each deposit search.
    """

    template_fields: Sequence[str] = ("collection_id", "batch")
    operator_extra_links = (ZenodoCommunityLink(),)

    def __init__(self, *, batch: Any = None,
                 lookup_waits: Sequence[float] = (1.0, 3.0, 6.0), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch = batch
        self.lookup_waits = tuple(lookup_waits)

    def execute(self, context: Any) -> dict[str, Any]:
        """Upload the batch and return ``BatchResult.as_dict()`` (with its own batch id)."""
        from zenodo.engine.batch_runner import publish_specimens
        from zenodo.engine.settings import EngineSettings
        from zenodo.ledger.payloads import BatchPayloads, PayloadStore
        from zenodo.traffic.breaker import breaker_from_env

        batch = dict(self.batch or {})
        context["batch_label"] = batch_label(batch)
        params = self.run_params(context)
        config = runtime.collection_config(self.collection_id)
        self.persist_community_link(context, config)
        ledger = runtime.open_ledger()
        hook = runtime.make_hook(config.zenodo_conn_id, ledger)
        hook.watch.breaker = breaker_from_env(ledger.engine, config.zenodo_conn_id)
        run_id, batch_id = str(context["run_id"]), str(batch.get("batch_id"))
        keys = ledger.start_batch(config.id, run_id, batch_id)
        if keys is None:
            raise AirflowSkipException(
                f"batch {batch.get('batch_id')}: run {context['run_id']} has no plan any more "
                "(a newer run planned since): its specimens are that run's work")
        self.log.info("batch %s: %d specimens, publish=%s", batch.get("batch_id"), len(keys),
                      params.publish)
        settings = EngineSettings(
            concurrency=params.concurrency or config.concurrency, publish=params.publish,
            lookup_waits=self.lookup_waits, community=config.community,
        )
        result = publish_specimens(
            config.id, keys, hook=hook, ledger=ledger,
            payload_for=BatchPayloads(PayloadStore(ledger), config.id, keys), settings=settings,
            batch_id=batch_id, owner=runtime.lease_owner(context), actor=runtime.actor(context),
            hand_over=lambda waiting: ledger.hand_over(config.id, run_id, batch_id, waiting),
        )
        summary = result.as_dict()
        self.log.info("batch %s: %s in %.1fs", result.batch_id, summary["outcomes"],
                      result.seconds)
        unsettled = {name: n for name, n in result.outcomes.items()
                     if not OutcomeKind(name).settled}
        if unsettled:
            for key, reason in result.failures:
                self.log.error("specimen %s: %s", key, reason)
            raise AirflowException(
                f"batch {result.batch_id}: {sum(unsettled.values())} of {result.total} "
                f"specimens not done ({unsettled}); a retry or clear redoes only those"
            )
        return summary
