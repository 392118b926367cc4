"""The trigger form of a collection DAG, and the typed view of a run's params the tasks read.

Scheduled runs use the defaults: an incremental upload of what changed, published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zenodo.config.environment import env_number
from zenodo.config.mapping_files import resolve_override

if TYPE_CHECKING:
    from airflow.sdk import Param

    from zenodo.config.collection_file import CollectionConfig


def trigger_form(config: CollectionConfig) -> dict[str, Param]:
    """Return the DAG's params (the trigger form), with the collection's defaults."""
    from airflow.sdk import Param

    return {
        "limit": Param(None, type=["null", "integer"], minimum=1, title="Limit",
                       description="At most this many specimens (empty: all)."),
        "only_keys": Param([], type="array", items={"type": "string"}, title="Only these keys",
                           description="Specimen keys to work on, one per line (empty: all)."),
        "dry_run": Param(False, type="boolean", title="Dry run",
                         description="Extract, validate and map; write nothing, send "
                                     "nothing; the report shows what a real run would do."),
        "publish": Param(True, type="boolean", title="Publish",
                         description="Off: stop at uploaded drafts for review; a later run "
                                     "with Publish on publishes them."),
        "concurrency": Param(config.concurrency, type="integer", minimum=1, maximum=64,
                             title="Concurrency", section="Advanced",
                             description="Worker threads per upload batch."),
        "batch_size": Param(config.batch_size, type="integer", minimum=1, maximum=10_000,
                            title="Batch size", section="Advanced",
                            description="Specimens per mapped upload task."),
        "mapping": Param(None, type=["null", "string"], title="Mapping override",
                         section="Advanced",
                         description=f"A mapping of include/mappings/ (a name such as "
                                     f"'dwc-rich', or a path inside that folder) instead of "
                                     f"{config.mapping!r}."),
        "backfill": Param(False, type="boolean", title="Backfill", section="Advanced",
                          description="Re-read every source row (not only changed ones): a new "
                                      "mapping version turns published records STALE and edits "
                                      "them (or makes new versions when files changed)."),
        "reconcile_only": Param(False, type="boolean", title="Reconcile only",
                                section="Advanced",
                                description="Only harvest the whole community feed and "
                                            "reconcile the ledger with it; upload nothing."),
    }


@dataclass(frozen=True)
class RunParams:
    """A run's params, typed; defaults stand in for anything missing.

    :param limit: at most this many specimens (None: all).
    :param only_keys: work only on these keys (empty: all).
    :param concurrency: worker threads per batch (None: the collection's).
    :param batch_size: specimens per batch (None: the collection's).
    :param mapping: the file of a mapping that overrides the collection's (None: the
        collection's); only one in the mapping folders is accepted
        (:func:`~zenodo.config.mapping_files.resolve_override`).
    """

    limit: int | None = None
    only_keys: tuple[str, ...] = ()
    dry_run: bool = False
    publish: bool = True
    concurrency: int | None = None
    batch_size: int | None = None
    mapping: str | None = None
    backfill: bool = False
    reconcile_only: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> RunParams:
        """Read the params of a run (``context["params"]``).

        :raises ValueError: naming the param and its value, for a number that is not one or a
            mapping override outside the mapping folders (checked before any file is opened)
        """
        params = params or {}

        def number(name: str) -> int | None:
            value = env_number(name, None, params, kind="param")
            return None if value is None else int(value)

        mapping = params.get("mapping") or None
        keys = params.get("only_keys") or ()
        if isinstance(keys, str):
            keys = keys.split()
        return cls(
            limit=number("limit"),
            only_keys=tuple(str(k).strip() for k in keys if str(k).strip()),
            dry_run=bool(params.get("dry_run", False)),
            publish=bool(params.get("publish", True)),
            concurrency=number("concurrency"),
            batch_size=number("batch_size"),
            mapping=None if mapping is None else str(resolve_override(mapping)),
            backfill=bool(params.get("backfill", False)),
            reconcile_only=bool(params.get("reconcile_only", False)),
        )

    @property
    def full_scope(self) -> bool:
        """Tell whether the run extracts the whole (changed) source, not a chosen part."""
        return self.limit is None and not self.only_keys
