"""The prepare step: extract → validate → map → ledger (and the payload store).

Every row read ends in the ledger: a valid one registered (NEW, STALE or unchanged) with its
payload, an invalid one QUARANTINED with reasons (under a key the ledger can store), one whose
image server failed (5xx, timeout, a cut body) deferred: FAILED with the reason and a retry
time, and the extract watermark held so the next run reads its row again; the other rows go
on. Nothing is sent to Zenodo. A dry run is this step as a preview: it writes nothing and
counts the states a real run would leave.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from zenodo.config.collection_file import CollectionConfigError
from zenodo.config.mapping_files import resolve_override
from zenodo.ledger.payloads import PayloadStore, SpecimenPayload
from zenodo.ledger.registration import (
    MappedSpecimen,
    plan_registration,
    storable_key,
    storable_text,
    unstorable_reason,
)
from zenodo.ledger.rows import parse_files
from zenodo.ledger.states import State
from zenodo.metadata.identity import search_query_for
from zenodo.metadata.mapping import Mapper, MappingError, load_mapping
from zenodo.source.dwca import SourceRecord, dwca_records
from zenodo.source.extract import extract_records, newest_modified
from zenodo.source.file_errors import ImageGone, ImageUnavailable
from zenodo.source.image_remote import store_refusal
from zenodo.source.image_urls import root_url
from zenodo.summary.key import is_summary
from zenodo.validate.problem import ERROR, Problem
from zenodo.validate.validator import Validator, has_errors, quarantine_reasons

if TYPE_CHECKING:
    from zenodo.config.collection_file import CollectionConfig
    from zenodo.ledger.ledger import Ledger
    from zenodo.source.specimen import SpecimenRecord

log = logging.getLogger(__name__)

#: Payloads are written to the store in groups of this many.
PAYLOAD_BATCH = 500
#: A specimen whose image server failed at prepare is worth trying again after this long.
PREPARE_RETRY_SECONDS = 15 * 60


class PreviewLine(NamedTuple):
    """What a real run would do to one row a dry run read.

    :param key: its ledger key (a duplicate row's is ``key#row-N``; one the ledger cannot
        store is shortened, see :func:`~zenodo.ledger.registration.storable_key`).
    :param now: its ledger state now (None: not in the ledger).
    :param after: the state a real run would leave it in.
    :param reasons: why it would be quarantined (empty for a valid one).
    """

    key: str
    now: State | None
    after: State
    reasons: list[str]


PreviewSink = Callable[[PreviewLine], None]


@dataclass
class PrepareResult:
    """What the prepare step saw and decided.

    :param rows: rows extracted.
    :param states: resulting ledger state → number of specimens.
    :param quarantined: ``[(key, reasons)]`` of rows refused as bad input.
    :param warnings: ``[(key, reason)]`` of problems that do not stop a specimen.
    :param watermark: the next incremental run's start: the newest ``modified`` seen, or the
        oldest of a deferred row's (``None`` when one had none: the watermark stays).
    :param deferred: ``[(key, reason, retry_after)]`` of rows whose images could not be read
        for a passing reason (not the specimen's fault; tried again by the next run).
    :param preview: a dry run's: nothing was written, ``states`` are what a real run would leave.
    """

    rows: int = 0
    states: Counter[str] = field(default_factory=Counter)
    quarantined: list[tuple[str, list[str]]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    watermark: str | None = None
    deferred: list[tuple[str, str, str]] = field(default_factory=list)
    preview: bool = False
    _newest: str | None = field(default=None, repr=False)
    _holding: bool = field(default=False, repr=False)
    _oldest_held: tuple[datetime, str] | None = field(default=None, repr=False)
    _held_blank: bool = field(default=False, repr=False)

    def saw(self, modified: str | None) -> None:
        """Count a row's ``modified`` toward the watermark (once a row is held, the oldest
        held one is the watermark, whatever is seen after it)."""
        self._newest = newest_modified(self._newest, modified)
        if not self._holding:
            self.watermark = self._newest

    def hold(self, modified: str | None) -> None:
        """Keep the watermark at or before a deferred row's ``modified`` (re-read next run);
        one held without a ``modified`` leaves no watermark (None: the watermark stays)."""
        self._holding = True
        instant = parse_modified(modified)
        if instant is None:
            self._held_blank = True
        elif self._oldest_held is None or instant < self._oldest_held[0]:
            self._oldest_held = (instant, str(modified))
        self.watermark = None if self._held_blank or self._oldest_held is None \
            else self._oldest_held[1]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary (small: reasons are cut to the first 200 entries)."""
        return {
            "rows": self.rows,
            "states": dict(self.states),
            "quarantined": [{"key": k, "reasons": r} for k, r in self.quarantined[:200]],
            "quarantined_count": len(self.quarantined),
            "warnings_count": len(self.warnings),
            "deferred": [{"key": k, "reason": r, "retry_after": t}
                         for k, r, t in self.deferred[:200]],
            "deferred_count": len(self.deferred),
            "watermark": self.watermark,
            "preview": self.preview,
        }


def parse_modified(value: str | None) -> datetime | None:
    """Read a row's ``modified`` value as an aware datetime (naive values are taken as UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # not a date, or beyond year 9999 in UTC
        return None


def build_mapper(
    config: CollectionConfig, *, mapping: str | None = None, cache_dir: Path | None = None
) -> Mapper:
    """The collection's mapper, or one for another mapping (a manual run's override).

    :raises MappingOverrideError: for an override outside the mapping folders (nothing opened)
    """
    if not mapping:
        return Mapper.for_collection(config, cache_dir=cache_dir)
    return Mapper(
        load_mapping(resolve_override(mapping)),
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
    :param preview: a dry run's: write nothing, give each row's :class:`PreviewLine` to it.
    """

    def __init__(
        self, config: CollectionConfig, *, ledger: Ledger, mapper: Mapper, actor: Any = None,
        preview: PreviewSink | None = None,
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.mapper = mapper
        self.actor = actor
        self.validator = Validator.for_collection(config, extra_files=mapper.extra_files)
        self.store = PayloadStore(ledger)
        self.preview = preview
        self.result = PrepareResult(preview=preview is not None)
        self._pending: list[tuple[MappedSpecimen, SpecimenPayload]] = []

    def add(self, record: SpecimenRecord, refused: Sequence[str] = ()) -> None:
        """Validate, map and record one specimen.

        :param refused: why its source already refuses it (its image files it cannot give);
            the specimen is quarantined with these reasons and validation's errors.
        """
        self.result.rows += 1
        self.result.saw(record.modified)
        try:
            self._add(record, refused)
        except ImageUnavailable as exc:  # the image server's fault: this specimen waits
            self._defer(record, exc)
        except ImageGone as exc:  # gone between validation's look and the md5's read
            self._quarantine(record, [f"images: image file is missing: {exc}"], [])

    def _add(self, record: SpecimenRecord, refused: Sequence[str]) -> None:
        """Validate, map and record one specimen (:meth:`add` without the image failures)."""
        problems = self.validator.validate(record)
        if refused:  # "no image files" says less than why they were refused
            problems = [*(Problem(record.key, "images", ERROR, why) for why in refused),
                        *(p for p in problems if record.images or p.field != "images")]
        self.result.warnings.extend((p.key, p.reason) for p in problems if p.severity == "warning")
        if has_errors(problems):
            self._quarantine(record, quarantine_reasons(problems), problems)
            return
        why = unstorable_reason(record.key)
        if why is not None:  # validation's key limit is below the ledger's: not expected
            self._quarantine(record, [f"key: the ledger cannot store this key ({why})"], [])
            return
        try:
            mapped = self.mapper.map(record)
        except MappingError as exc:
            self._quarantine(record, quarantine_reasons([exc.as_problem()]), [exc.as_problem()])
            return
        files = [{"name": f.name, "size": f.size, "md5": f.md5} for f in mapped.files]
        if self.preview is not None:
            row = self.ledger.get(self.config.id, mapped.key)
            state = plan_registration(
                row, files=parse_files(self.config.id, mapped.key, files),
                metadata_hash=mapped.metadata_hash, mapping_name=mapped.mapping_name,
                mapping_version=str(mapped.mapping_version),
            ).state
            self.result.states[str(state)] += 1
            self.preview(PreviewLine(mapped.key, row.state if row else None, state, []))
            return
        self._pending.append((
            MappedSpecimen(mapped.key, mapped.metadata_hash, files, mapped.mapping_name,
                           mapped.mapping_version, parse_modified(record.modified)),
            SpecimenPayload(mapped.key, mapped.metadata, mapped.files,
                            search_query_for(mapped.schema, mapped.key))))
        if len(self._pending) >= PAYLOAD_BATCH:
            self.flush()

    def _defer(self, record: SpecimenRecord, exc: ImageUnavailable) -> None:
        """Leave a specimen whose image could not be read for now: FAILED with the reason and a
        retry time if the ledger has no row for it yet (another row is kept as it is), and
        the watermark held so that the next run reads its row again."""
        key, _note = storable_key(record.key)
        reason = storable_text(f"images: {exc}")
        retry = datetime.now(UTC) + timedelta(seconds=PREPARE_RETRY_SECONDS)
        self.result.hold(record.modified)
        self.result.deferred.append((key, reason, retry.isoformat(timespec="seconds")))
        log.warning("specimen %s deferred (its image could not be read; retry time %s, the "
                    "next run reads its row again): %s", key, retry.isoformat(timespec="seconds"),
                    reason)
        if self.preview is not None:
            row = self.ledger.get(self.config.id, key)
            after = State.FAILED if row is None or row.state == State.FAILED else row.state
            self.result.states[str(after)] += 1
            self.preview(PreviewLine(key, row.state if row else None, after, [reason]))
            return
        state = self.ledger.defer_prepare(
            self.config.id, key, kind="image", status=exc.status, message=reason,
            retry_after=retry, source_modified=parse_modified(record.modified), actor=self.actor)
        self.result.states[str(state)] += 1

    def _quarantine(self, record: SpecimenRecord, reasons: list[str], problems: list[Any]) -> None:
        suffix = ""
        if is_summary(record.key) or any(
                p.reason.startswith("duplicate key") for p in problems):
            # The key belongs to an earlier row (or to the collection's summary record): keep
            # this row apart so it is not lost and does not overwrite that row's state.
            suffix = f"#row-{record.row_number}"
        # A key the ledger cannot store is replaced by one it can (the original in the reason).
        key, note = storable_key(record.key, suffix)
        reasons = [storable_text(reason) for reason in reasons] + ([note] if note else [])
        self.result.states[str(State.QUARANTINED)] += 1
        self.result.quarantined.append((key, reasons))
        log.warning("specimen %s quarantined: %s", key, "; ".join(reasons))
        if self.preview is not None:
            row = self.ledger.get(self.config.id, key)
            self.preview(PreviewLine(key, row.state if row else None, State.QUARANTINED, reasons))
            return
        self.ledger.quarantine(
            self.config.id,
            key,
            reasons,
            source_modified=parse_modified(record.modified),
            actor=self.actor,
        )

    def flush(self) -> None:
        """Register the specimens gathered so far, then write their payloads."""
        if not self._pending:
            return
        states = self.ledger.register_many(self.config.id, [m for m, _ in self._pending],
                                           actor=self.actor)
        for state in states:
            self.result.states[str(state)] += 1
        self.store.put_many(self.config.id, [p for _, p in self._pending])
        self._pending = []


def _source(config: CollectionConfig, *, since: str | None, limit: int | None
            ) -> Iterator[SourceRecord]:
    """The collection's records: from its DwC-A (checked whole first) or its database."""
    if config.dwca:
        return dwca_records(config, since=since, limit=limit)
    return (SourceRecord(r) for r in extract_records(config, since=since, limit=limit))


def check_image_store(config: CollectionConfig) -> None:
    """Fail before any row is read if ``images.root`` names an object store that cannot be
    opened (no filesystem for its scheme, or ``images.conn_id`` is not a usable connection).

    :raises CollectionConfigError: naming the file, the collection and the keys.
    """
    url = root_url(config.image_root)
    why = store_refusal(url, config.image_conn_id) if url else None
    if why is not None:
        raise CollectionConfigError(
            f"{config.source_file}: collection {config.id!r}: key 'images.root' "
            f"(connection {config.image_conn_id!r} from 'images.conn_id'): {why}")


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
    preview: PreviewSink | None = None,
) -> PrepareResult:
    """Extract a collection (or its rows changed since ``since``) into the ledger.

    :param config: the collection.
    :param ledger: where states, reasons and payloads go.
    :param since: incremental runs: only rows modified at or after this watermark.
    :param only_keys: keep only these specimen keys.
    :param limit: stop after this many rows.
    :param mapping: a mapping that overrides the collection's: a name or path in the mapping
        folders (:func:`~zenodo.config.mapping_files.resolve_override`), else refused.
    :param cache_dir: where the mapping writes generated files (sidecars).
    :param actor: written with every ledger event.
    :param preview: a dry run: write nothing; each row's :class:`PreviewLine` goes here.
    """
    check_image_store(config)
    wanted = set(only_keys) if only_keys else None
    preparer = Preparer(
        config,
        ledger=ledger,
        mapper=build_mapper(config, mapping=mapping, cache_dir=cache_dir),
        actor=actor,
        preview=preview,
    )
    for record, refused in _source(config, since=since, limit=limit):
        if wanted is not None and record.key not in wanted:
            continue
        preparer.add(record, refused)
    preparer.flush()
    result = preparer.result
    log.info(
        "%s %d rows of %s: %s; %d warnings",
        "previewed (nothing written)" if preview is not None else "prepared",
        result.rows,
        config.id,
        dict(result.states),
        len(result.warnings),
    )
    return result
