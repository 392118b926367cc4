"""The prepare step: extract → validate → map → ledger (and the payload store).

Every extracted row ends in the ledger: a valid one is registered (NEW, STALE when a published
specimen's metadata or files changed, unchanged otherwise) with its payload stored for the
upload step; an invalid one is QUARANTINED with reasons that name the record and the field.
Nothing is sent to Zenodo here, so a dry run is this step alone.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenodo.extract import extract_records, newest_modified
from zenodo.mapping import Mapper, MappingError, load_mapping, search_query_for
from zenodo.payloads import PayloadStore, SpecimenPayload
from zenodo.states import State
from zenodo.validate import Validator, has_errors, quarantine_reasons

if TYPE_CHECKING:
    from zenodo.collections import CollectionConfig
    from zenodo.ledger import Ledger
    from zenodo.specimen import SpecimenRecord

log = logging.getLogger(__name__)

#: Payloads are written to the store in groups of this many.
PAYLOAD_BATCH = 500


@dataclass
class PrepareResult:
    """What the prepare step saw and decided.

    :param rows: rows extracted.
    :param states: resulting ledger state → number of specimens.
    :param quarantined: ``[(key, reasons)]`` of rows refused as bad input.
    :param warnings: ``[(key, reason)]`` of problems that do not stop a specimen.
    :param watermark: the newest ``modified`` value seen (the next incremental run's start).
    """

    rows: int = 0
    states: Counter[str] = field(default_factory=Counter)
    quarantined: list[tuple[str, list[str]]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    watermark: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary (small: reasons are cut to the first 200 entries)."""
        return {
            "rows": self.rows,
            "states": dict(self.states),
            "quarantined": [{"key": k, "reasons": r} for k, r in self.quarantined[:200]],
            "quarantined_count": len(self.quarantined),
            "warnings_count": len(self.warnings),
            "watermark": self.watermark,
        }


def parse_modified(value: str | None) -> datetime | None:
    """Read a row's ``modified`` value as an aware datetime (naive values are taken as UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_mapper(
    config: CollectionConfig, *, mapping: str | None = None, cache_dir: Path | None = None
) -> Mapper:
    """The collection's mapper, or one for another mapping (a manual run's override)."""
    if not mapping:
        return Mapper.for_collection(config, cache_dir=cache_dir)
    return Mapper(
        load_mapping(mapping),
        community=config.community,
        params=config.mapping_params,
        cache_dir=cache_dir,
    )


class Preparer:
    """Run records through validation and mapping and write the outcome to the ledger.

    :param config: the collection.
    :param ledger: the ledger (payloads go to the same database).
    :param mapper: turns valid records into deposit metadata and files.
    :param actor: written with every ledger event.
    """

    def __init__(
        self, config: CollectionConfig, *, ledger: Ledger, mapper: Mapper, actor: Any = None
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.mapper = mapper
        self.actor = actor
        self.validator = Validator.for_collection(config, extra_files=mapper.extra_files)
        self.store = PayloadStore(ledger)
        self.result = PrepareResult()
        self._pending: list[SpecimenPayload] = []

    def add(self, record: SpecimenRecord) -> None:
        """Validate, map and record one specimen."""
        self.result.rows += 1
        self.result.watermark = newest_modified(self.result.watermark, record.modified)
        problems = self.validator.validate(record)
        self.result.warnings.extend((p.key, p.reason) for p in problems if p.severity == "warning")
        if has_errors(problems):
            self._quarantine(record, quarantine_reasons(problems), problems)
            return
        try:
            mapped = self.mapper.map(record)
        except MappingError as exc:
            self._quarantine(record, quarantine_reasons([exc.as_problem()]), [exc.as_problem()])
            return
        state = self.ledger.register(
            self.config.id,
            mapped.key,
            metadata_hash=mapped.metadata_hash,
            files=[{"name": f.name, "size": f.size, "md5": f.md5} for f in mapped.files],
            mapping_name=mapped.mapping_name,
            mapping_version=mapped.mapping_version,
            source_modified=parse_modified(record.modified),
            actor=self.actor,
        )
        self.result.states[str(state)] += 1
        self._pending.append(
            SpecimenPayload(
                mapped.key,
                mapped.metadata,
                mapped.files,
                search_query_for(mapped.schema, mapped.key),
            )
        )
        if len(self._pending) >= PAYLOAD_BATCH:
            self.flush()

    def _quarantine(self, record: SpecimenRecord, reasons: list[str], problems: list[Any]) -> None:
        key = record.key
        if any(p.reason.startswith("duplicate key") for p in problems):
            # The key belongs to an earlier row: keep this row apart so it is not lost and
            # does not overwrite the valid specimen's state.
            key = f"{record.key}#row-{record.row_number}"
        self.ledger.quarantine(
            self.config.id,
            key,
            reasons,
            source_modified=parse_modified(record.modified),
            actor=self.actor,
        )
        self.result.states[str(State.QUARANTINED)] += 1
        self.result.quarantined.append((key, reasons))
        log.warning("specimen %s quarantined: %s", key, "; ".join(reasons))

    def flush(self) -> None:
        """Write the payloads gathered so far."""
        self.store.put_many(self.config.id, self._pending)
        self._pending = []


def prepare_collection(
    config: CollectionConfig,
    *,
    ledger: Ledger,
    since: str | None = None,
    only_keys: Iterable[str] | None = None,
    limit: int | None = None,
    mapping: str | None = None,
    cache_dir: Path | None = None,
    actor: Any = None,
) -> PrepareResult:
    """Extract a collection (or its rows changed since ``since``) into the ledger.

    :param config: the collection.
    :param ledger: where states, reasons and payloads go.
    :param since: incremental runs: only rows modified at or after this watermark.
    :param only_keys: keep only these specimen keys.
    :param limit: stop after this many rows.
    :param mapping: a mapping name or path that overrides the collection's.
    :param cache_dir: where the mapping writes generated files (sidecars).
    :param actor: written with every ledger event.
    """
    wanted = set(only_keys) if only_keys else None
    preparer = Preparer(
        config,
        ledger=ledger,
        mapper=build_mapper(config, mapping=mapping, cache_dir=cache_dir),
        actor=actor,
    )
    for record in extract_records(config, since=since, limit=limit):
        if wanted is not None and record.key not in wanted:
            continue
        preparer.add(record)
    preparer.flush()
    result = preparer.result
    log.info(
        "prepared %d rows of %s: %s; %d warnings",
        result.rows,
        config.id,
        dict(result.states),
        len(result.warnings),
    )
    return result
