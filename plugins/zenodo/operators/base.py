"""The shared shell of the collection operators: a collection id and the run's params."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from zenodo.links.community import ZenodoCommunityLink
from zenodo.operators.params import RunParams

if TYPE_CHECKING:
    from zenodo.config.collection_file import CollectionConfig


class ZenodoCollectionOperator(BaseOperator):
    """A task that works on one collection of ``include/collections.yaml``.

    :param collection_id: the collection (its config is read when the task runs).
    """

    template_fields: Sequence[str] = ("collection_id",)
    ui_color = "#e8f1fb"

    def __init__(self, *, collection_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.collection_id = collection_id

    @staticmethod
    def run_params(context: Any) -> RunParams:
        """Return this run's params, typed."""
        return RunParams.from_params(context.get("params"))

    @staticmethod
    def persist_community_link(context: Any, config: CollectionConfig) -> None:
        """Store the collection's community URL for the task's "Zenodo community" link."""
        ZenodoCommunityLink.persist(context, conn_id=config.zenodo_conn_id,
                                    community=config.community)
