"""Write each published specimen's DOI back into the collection's own database."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowException, AirflowSkipException

from zenodo import runtime
from zenodo.operators.base import ZenodoCollectionOperator

if TYPE_CHECKING:
    from zenodo.config.collection_file import CollectionConfig


def writeback_db_url(config: CollectionConfig) -> str:
    """Return the URL write-back writes to: its own ``database``, else the collection's.

    :raises AirflowException: naming the file and collection when there is neither.
    """
    from zenodo.config.collection_file import resolve_db_url

    writeback = config.writeback
    assert writeback is not None
    if writeback.db_url or writeback.db_conn_id:
        config = dataclasses.replace(config, db_url=writeback.db_url,
                                     db_conn_id=writeback.db_conn_id)
    if not (config.db_url or config.db_conn_id):
        raise AirflowException(f"{config.source_file}: collection {config.id!r}: key "
                               "'writeback.database': required when the collection has none")
    return resolve_db_url(config)


def check_writeback(config: CollectionConfig) -> None:
    """Have the collection's database compile the write-back statement (nothing is run).

    :raises WritebackStatementError: naming the file, the collection and the key.
    """
    import sqlalchemy as sa

    from zenodo.writeback.statement import check_on_database

    if config.writeback is None:
        return
    engine = sa.create_engine(writeback_db_url(config))
    try:
        check_on_database(engine, config.writeback.statement,
                          where=f"{config.source_file}: collection {config.id!r}")
    finally:
        engine.dispose()


class ZenodoWritebackOperator(ZenodoCollectionOperator):
    """Write new or changed DOIs into the collection's database (its ``writeback`` key).

    Skipped when the collection has no ``writeback`` and on a dry run. Every outcome is in the
    ledger's ``writebacks`` table; when a batch still fails after its tries, the task fails
    after writing the others (the report lists the failed specimens; the next run retries
    them).
    """

    def execute(self, context: Any) -> dict[str, Any]:
        """Write back and return the summary (written, failed, batches, failures)."""
        import sqlalchemy as sa

        from zenodo.operators.record_links import zenodo_base_url
        from zenodo.writeback.run import WritebackTarget, write_back

        config = runtime.collection_config(self.collection_id)
        if config.writeback is None:
            raise AirflowSkipException(f"collection {config.id} has no writeback")
        if self.run_params(context).dry_run:
            raise AirflowSkipException("dry run: nothing is written back")
        base = zenodo_base_url(config.zenodo_conn_id)
        engine = sa.create_engine(writeback_db_url(config))
        try:
            target = WritebackTarget(
                engine=engine, statement=config.writeback.statement,
                record_url=lambda record_id: f"{base}/records/{record_id}",
                batch_size=config.writeback.batch_size, attempts=config.writeback.attempts)
            summary = write_back(runtime.open_ledger().engine, config.id, target,
                                 run_id=str(context["run_id"]))
        finally:
            engine.dispose()
        self.log.info("write-back %s: %d written, %d failed, %d batches (%d retried)",
                      config.id, summary.written, summary.failed, summary.batches,
                      summary.retried_batches)
        for failure in summary.failures[:50]:
            self.log.warning("write-back failed for %s: %s", failure["key"], failure["reason"])
        if summary.failed:
            raise AirflowException(f"write-back of {summary.failed} specimen(s) of {config.id} "
                                   "failed after retries; see the run report")
        return summary.as_dict()
