"""Publish a collection's summary record through the specimens' exactly-once machinery.

The summary is registered in the collection's ledger under
:data:`~zenodo.summary.key.SUMMARY_KEY` with its payload, like a mapped specimen: an unchanged
payload leaves a published summary alone, a changed one makes it STALE (its files changed: a
new version, same concept DOI). Then :func:`~zenodo.engine.batch_runner.publish_specimens`
drives that one row (intent before each write, lookup after a lost answer, resume after a
crash), and reconciliation verifies or adopts it like any record of the collection.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenodo.engine.batch_runner import publish_specimens
from zenodo.engine.settings import EngineSettings
from zenodo.errors import ZenodoError
from zenodo.ledger.payloads import PayloadStore, SpecimenPayload
from zenodo.ledger.states import State
from zenodo.metadata.identity import search_query_for
from zenodo.metadata.mapping import metadata_hash
from zenodo.repository.deposit_api import DepositApi
from zenodo.source.specimen import FileSpec
from zenodo.summary.files import FILE_NAMES, build_files, record_url
from zenodo.summary.key import SUMMARY_KEY
from zenodo.summary.metadata import (
    SUMMARY_MAPPING,
    SUMMARY_VERSION,
    check_summary,
    summary_metadata,
)

if TYPE_CHECKING:
    from zenodo.config.collection_file import CollectionConfig
    from zenodo.hooks.zenodo import ZenodoHook
    from zenodo.ledger.actor import Actor
    from zenodo.ledger.ledger import Ledger

log = logging.getLogger(__name__)
_ONLINE = (State.PUBLISHED, State.VERIFIED)


@dataclass(frozen=True)
class SummaryOutcome:
    """What the summary task did (small: it is the task's XCom and the report's ``summary``).

    :param state: the summary row's ledger state after the task (``none``: nothing published
        yet, so no summary).
    :param changed: a new record or a new version was published by this task.
    :param version: the record's version number (1 for the first), when Zenodo told it.
    :param folder: where the files were built; ``dwca`` the archive attached to the record.
    :param reason: why the summary is not online, when it is not.
    """

    state: str
    changed: bool
    doi: str | None = None
    concept_doi: str | None = None
    record_id: str | None = None
    record_url: str | None = None
    version: int | None = None
    specimens: int = 0
    files: int = 0
    folder: str | None = None
    dwca: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the outcome as JSON-able data."""
        return asdict(self)


def record_version(record: Mapping[str, Any]) -> int | None:
    """Return a record's version number (1-based) from Zenodo's legacy or RDM record JSON."""
    versions = record.get("versions")
    if isinstance(versions, Mapping) and isinstance(versions.get("index"), int):
        return int(versions["index"])
    relations = (record.get("metadata") or {}).get("relations") or {}
    for entry in relations.get("version") or ():
        if isinstance(entry, Mapping) and isinstance(entry.get("index"), int):
            return int(entry["index"]) + 1
    return None


def check_summary_settings(config: CollectionConfig, schema: str,
                           today: dt.date | None = None) -> None:
    """Check the ``summary`` key as publishing will, before anything is extracted or sent
    (the prepare task runs this; the files are not built yet, so stand-ins are checked).

    :raises SummaryRefused: naming the collections file, the collection and each field
    """
    settings = config.summary
    if settings is None:
        return
    today = today or dt.datetime.now(dt.UTC).date()
    metadata = summary_metadata(schema, settings, community=config.community, today=today)
    stand_ins = [FileSpec(Path(name), name, 1, None) for name in FILE_NAMES]
    check_summary(config.id, config.source_file, schema, metadata, stand_ins, today)


def publish_summary(config: CollectionConfig, *, ledger: Ledger, hook: ZenodoHook,
                    folder: Path, base_url: str, owner: str, actor: Actor = None,
                    today: dt.date | None = None) -> SummaryOutcome:
    """Build the summary's files in ``folder``, register them and publish what changed.

    :param config: the collection; its ``summary`` key must be set.
    :param hook: the Zenodo connection (its protocol picks deposit metadata or an RDM body).
    :param base_url: the Zenodo the records are on (URLs in the files).
    :param owner: the lease owner of this task.
    :raises SummaryRefused: the ``summary`` key gives what zenodo.org would refuse (nothing
        is registered or sent).
    """
    settings = config.summary
    if settings is None:
        raise ValueError(f"collection {config.id!r} has no 'summary'")
    today = today or dt.datetime.now(dt.UTC).date()
    schema = hook.options.protocol
    built = build_files(ledger.engine, config.id, folder, settings=settings,
                        base_url=base_url, community=config.community)
    known = ledger.get(config.id, SUMMARY_KEY)
    counts = {"specimens": built.specimens, "files": built.media, "folder": str(folder),
              "dwca": str(built.folder / "dwca.zip")}
    if not built.specimens and known is None:
        return SummaryOutcome("none", False, reason="no specimen is published yet", **counts)
    metadata = summary_metadata(schema, settings, community=config.community, today=today)
    check_summary(config.id, config.source_file, schema, metadata, built.files, today)
    payload = SpecimenPayload(SUMMARY_KEY, metadata, built.files,
                              search_query_for(schema, SUMMARY_KEY))
    state = ledger.register(
        config.id, SUMMARY_KEY, metadata_hash=metadata_hash(metadata, schema=schema),
        files=[{"name": f.name, "size": f.size, "md5": f.md5} for f in built.files],
        mapping_name=SUMMARY_MAPPING, mapping_version=SUMMARY_VERSION, source_modified=None,
        actor=actor)
    PayloadStore(ledger).put_many(config.id, [payload])
    changed = False
    if state not in _ONLINE:
        log.info("summary of %s is %s: publishing it (%d specimens)", config.id, state,
                 built.specimens)
        settings_ = EngineSettings(concurrency=1, publish=True, record_stats=False,
                                   community=config.community)
        result = publish_specimens(config.id, [SUMMARY_KEY], hook=hook, ledger=ledger,
                                   payload_for=lambda _key: payload, settings=settings_,
                                   batch_id="summary", owner=owner, actor=actor)
        changed = not result.failures
    row = ledger.get(config.id, SUMMARY_KEY)
    assert row is not None
    if row.state not in _ONLINE:
        reason = row.last_error_message or f"state {row.state.value}"
        return SummaryOutcome(row.state.value, False, reason=reason, **counts)
    return SummaryOutcome(
        row.state.value, changed, doi=row.doi, concept_doi=row.concept_doi,
        record_id=row.record_id, record_url=record_url(base_url, str(row.record_id)),
        version=_version(hook, str(row.record_id)), **counts)


def _version(hook: ZenodoHook, record_id: str) -> int | None:
    """Ask the records API for the record's version number (None when it cannot tell)."""
    try:
        return record_version(DepositApi(hook).get_record(record_id))
    except ZenodoError as exc:
        log.warning("summary record %s: version unknown (%s)", record_id, exc)
        return None


def summary_status(ledger: Ledger, collection: str) -> dict[str, Any] | None:
    """Return what the ledger says about the summary record, for a report whose summary task
    did not run or failed (None: there is no summary record)."""
    row = ledger.get(collection, SUMMARY_KEY)
    if row is None:
        return None
    reason = None if row.state in _ONLINE else (row.last_error_message or "not published")
    return SummaryOutcome(row.state.value, False, doi=row.doi, concept_doi=row.concept_doi,
                          record_id=row.record_id, reason=reason).as_dict()
