"""A hostile feed stops reconciliation with a clear error and leaves the ledger as it was.

The feed is a hostile OAI-PMH server on 127.0.0.1 (:mod:`tests.zenodo.harvest.hostile_oai`);
the ledger is real, on SQLite and PostgreSQL. The reconcile task of every collection DAG has an
``execution_timeout``, and its harvest stops (with its own error) before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.zenodo.harvest.hostile_oai import HostileOai, hostile_servers
from zenodo.errors import DeadlinePassed, ResponseTooLarge, ZenodoError
from zenodo.harvest.harvester import Harvester, HarvestOptions
from zenodo.harvest.oai_list import FeedRefused
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo.reconcile.findings import FindingStore
from zenodo.reconcile.run import harvest_and_reconcile

C = "herbarium"
FILE = {"name": "a.jpg", "size": 3, "md5": "0" * 32}


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., HostileOai]]:
    with hostile_servers(monkeypatch) as start:
        yield start


def _fill(ledger: Ledger) -> None:
    """A NEW, a PUBLISHED and a VERIFIED specimen, and a harvest watermark."""
    for key in ("NEW-1", "PUB-1", "VER-1"):
        ledger.register(C, key, metadata_hash=f"h-{key}", files=[FILE], mapping_name="m",
                        mapping_version=1, source_modified=None)
    ledger.claim(C, ["PUB-1", "VER-1"], owner="engine", ttl_s=60)
    ledger.record_published(C, "PUB-1", owner="engine", record_id=1, doi="10.5072/zenodo.1")
    ledger.record_published(C, "VER-1", owner="engine", record_id=2, doi="10.5072/zenodo.2",
                            verified=True)
    ledger.release(C, ["PUB-1", "VER-1"], owner="engine")
    ledger.set_watermarks(C, harvest="2025-12-01T00:00:00Z")


def _snapshot(ledger: Ledger) -> tuple[Any, ...]:
    return (list(ledger.rows(C)), ledger.events(C), ledger.get_watermarks(C),
            FindingStore(ledger).open_findings(C))


@pytest.mark.parametrize(("mode", "server", "options", "error"), [
    ("repeat", {}, {}, FeedRefused),
    ("endless", {}, {}, FeedRefused),
    ("trickle", {"interval": 0.2}, {"deadline": 1.5}, DeadlinePassed),
    ("huge", {"megabytes": 16}, {"max_page_bytes": 1024 * 1024}, ResponseTooLarge),
])
@pytest.mark.parametrize("full", [True, False], ids=["full", "incremental"])
def test_a_hostile_feed_fails_the_reconciliation_and_changes_nothing(
    hostile: Any, ledger: Ledger, mode: str, server: dict[str, Any],
    options: dict[str, Any], error: type[ZenodoError], full: bool,
) -> None:
    _fill(ledger)
    before = _snapshot(ledger)
    hostile(mode, **server)
    hook = ZenodoHook("zenodo_hostile", backoff_max=0.2)
    harvester = Harvester(hook, HarvestOptions(restart_wait=0.0, **options))

    with pytest.raises(error) as failed:
        harvest_and_reconcile(C, "herb", harvester=harvester, ledger=ledger, hook=hook,
                              owner="reconcile-test", full=full, grace_seconds=0)

    assert str(failed.value).startswith("oai:")
    assert _snapshot(ledger) == before
    assert ledger.get(C, "VER-1").state == State.VERIFIED


def test_the_reconcile_task_has_an_execution_timeout_its_harvest_stops_before(
    tmp_path: Path,
) -> None:
    from zenodo.config.collection_file import CollectionConfig, ImageTemplate
    from zenodo.dag_factory import DagSettings, build_collection_dag

    config = CollectionConfig(
        id="hostile_feed", db_url="sqlite:///unused.db", db_conn_id=None, table="specimens",
        query=None, mapping="pilot1", image_root=tmp_path,
        image_templates=(ImageTemplate("{catalogNumber}.jpg"),), community="herb")
    dag = build_collection_dag(config, settings=DagSettings())
    task = dag.get_task("reconcile")
    assert task.execution_timeout == timedelta(hours=6)
    assert task.harvest_deadline() == pytest.approx(0.9 * 6 * 3600)
    settings = DagSettings.from_env({"ZENODO_RECONCILE_TIMEOUT": "600"})
    task = build_collection_dag(config, settings=settings).get_task("reconcile")
    assert task.execution_timeout == timedelta(minutes=10)
    assert task.harvest_deadline() == pytest.approx(540)
