"""One reconciliation as the DAG runs it: harvest the community's feed, then reconcile.

The whole feed is harvested before the ledger is touched: a harvest that fails (a feed that
never ends, an oversized page, the deadline) raises and leaves the ledger as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zenodo.harvest.harvester import Harvester, HarvestResult
from zenodo.ledger.ledger import Ledger
from zenodo.reconcile.reconciler import reconcile
from zenodo.reconcile.report import ReconcileReport

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook


@dataclass(frozen=True)
class Reconciliation:
    """What one run harvested and what reconciling it changed."""

    harvest: HarvestResult
    report: ReconcileReport


def harvest_and_reconcile(
    collection: str, community: str, *, harvester: Harvester, ledger: Ledger,
    hook: ZenodoHook, owner: str, full: bool = False,
    actor: Mapping[str, Any] | str | None = None, grace_seconds: float = 3600.0,
) -> Reconciliation:
    """Harvest the feed (all of it when ``full`` or never harvested, else since the
    watermark), then reconcile the collection's ledger with it.

    :raises zenodo.errors.ZenodoError: the harvest failed; nothing was written.
    """
    watermark = ledger.get_watermarks(collection).harvest
    if full or watermark is None:
        harvest = harvester.harvest(community)
    else:
        harvest = harvester.harvest_since(community, watermark)
    report = reconcile(collection, harvest, ledger=ledger, hook=hook, owner=owner, actor=actor,
                       grace_seconds=grace_seconds)
    return Reconciliation(harvest, report)
