"""Harvest a community's OAI-PMH set in date windows: full or incremental, restarts, splits.

Every record is yielded once; a failed page is asked again, and an expired token, a page
still failing, or a list that came out short after a page was asked again (Zenodo then serves
the page after it) restarts only the current window, and a window that keeps failing or lists
too much is split. Windows share their boundary instants (Zenodo's ``from``/``until`` are
exact instants, bounds whole seconds), and a record listed twice is yielded once. A feed that
would never end (a repeated token, too many pages, oversized pages, a trickling answer) stops
the harvest with an error naming the cause, at the latest at the harvest's deadline.
See docs/harvest.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from zenodo.errors import DeadlinePassed, ServerError
from zenodo.harvest.oai_list import FeedLimits, PageLost, oai_page, oai_pages
from zenodo.harvest.oai_page import OAI_NS, OaiTokenExpired
from zenodo.harvest.records import HarvestedRecord, parse_record

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook

log = logging.getLogger(__name__)

DATESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_SECOND = timedelta(seconds=1)
_Window = tuple[datetime | None, datetime | None]


def _count_retry(stats: HarvestStats, number: int, exc: BaseException) -> None:
    stats.retries += 1
    status = getattr(exc, "status", None)
    log.warning("oai: page %d failed (%s); asking it again", number,
                f"HTTP {status}" if status else type(exc).__name__)


class HarvestFailed(RuntimeError):
    """A window kept failing after its restarts and cannot be split further."""


class _WindowTooBig(Exception):
    def __init__(self, end: datetime) -> None:
        super().__init__("window too big")
        self.end = end


@dataclass(frozen=True)
class HarvestOptions:
    """How to harvest.

    :param metadata_prefix: ``oai_datacite`` (default; carries DOI, concept DOI and key) or
        ``oai_dc``.
    :param set_prefix: community sets are ``<set_prefix><community>`` (``user-`` on Zenodo,
        ``community-`` on other InvenioRDM sites).
    :param overlap: an incremental harvest starts this long before the last ``responseDate``.
    :param window: length of a date window; ``None`` harvests the range in one list.
    :param earliest: where the first window starts (default: Identify's ``earliestDatestamp``,
        one more request).
    :param max_window_records: a window listing more records than this is split in two.
    :param max_restarts: restarts of one window before it is split (or the harvest fails).
    :param restart_wait: seconds to wait before a restart.
    :param deadline: seconds a whole harvest may take; past them it stops with
        :class:`~zenodo.errors.DeadlinePassed` (None: no deadline).
    :param max_page_bytes: the largest page accepted
        (:class:`~zenodo.errors.ResponseTooLarge`).
    :param max_pages: pages of one list, whatever it says of its size.
    :param page_margin: pages allowed beyond what a list's ``completeListSize`` implies, as a
        share of them (plus two): past them, :class:`~zenodo.harvest.oai_list.FeedRefused`.
    """

    metadata_prefix: str = "oai_datacite"
    set_prefix: str = "user-"
    overlap: timedelta = timedelta(minutes=5)
    window: timedelta | None = None
    earliest: datetime | None = None
    max_window_records: int | None = None
    max_restarts: int = 3
    restart_wait: float = 1.0
    deadline: float | None = 6 * 3600.0
    max_page_bytes: int = FeedLimits.max_page_bytes
    max_pages: int = FeedLimits.max_pages
    page_margin: float = FeedLimits.page_margin

    def limits(self) -> FeedLimits:
        """The feed limits of one harvest starting now (its deadline counts from now)."""
        return FeedLimits(
            max_pages=self.max_pages, page_margin=self.page_margin,
            max_page_bytes=self.max_page_bytes,
            deadline=None if self.deadline is None else time.monotonic() + self.deadline)


@dataclass
class HarvestStats:
    """What a harvest cost: pages received, pages asked again, restarts, windows and splits."""

    requests: int = 0
    retries: int = 0
    restarts: int = 0
    windows: int = 0
    splits: int = 0
    response_date: str | None = None


@dataclass(frozen=True)
class HarvestResult:
    """The records a harvest saw, and how it was asked.

    :param community: the community slug.
    :param set_spec: the OAI set harvested.
    :param from_: the ``from`` bound asked (``None``: from the beginning).
    :param complete: True when the whole set was listed (no ``from``/``until``): only then may
        absence from the feed be read as "not online".
    :param response_date: the first answer's ``responseDate`` (the next watermark).
    :param records: one entry per record id, in the order first seen.
    """

    community: str
    set_spec: str
    from_: str | None
    complete: bool
    response_date: str | None
    records: tuple[HarvestedRecord, ...]
    stats: HarvestStats = field(default_factory=HarvestStats)


def format_datestamp(moment: datetime) -> str:
    """Format an aware datetime as an OAI-PMH UTC datestamp (seconds)."""
    return moment.astimezone(UTC).strftime(DATESTAMP_FORMAT)


def parse_datestamp(text: str) -> datetime:
    """Parse ``YYYY-MM-DDThh:mm:ssZ`` (or a date ``YYYY-MM-DD``) as an aware UTC datetime."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return datetime.strptime(text, DATESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"not an OAI-PMH datestamp: {text!r}") from None


class Harvester:
    """Harvest community sets through a hook (its ``oai`` pacer paces every request).

    :param hook: the Zenodo hook.
    :param options: how to harvest.
    """

    def __init__(self, hook: ZenodoHook, options: HarvestOptions | None = None) -> None:
        self.hook = hook
        self.options = options or HarvestOptions(set_prefix=hook.options.oai_set_prefix)

    def set_spec(self, community: str) -> str:
        """Return the OAI set of a community."""
        return f"{self.options.set_prefix}{community}"

    def harvest(self, community: str, *, from_: datetime | None = None,
                until: datetime | None = None) -> HarvestResult:
        """Harvest the community's set (all of it, or records changed in ``[from_, until]``)."""
        stats = HarvestStats()
        found: dict[str, HarvestedRecord] = {}
        for record in self.iter_records(community, from_=from_, until=until, stats=stats):
            found[record.record_id] = record
        return HarvestResult(
            community=community, set_spec=self.set_spec(community),
            from_=format_datestamp(from_) if from_ else None,
            complete=from_ is None and until is None, response_date=stats.response_date,
            records=tuple(found.values()), stats=stats,
        )

    def harvest_since(self, community: str, watermark: str | None) -> HarvestResult:
        """Harvest what changed since ``watermark`` (minus the overlap); all when it is None.

        :param watermark: the ``responseDate`` of the last harvest (see
            :meth:`zenodo.ledger.ledger.Ledger.get_watermarks`).
        """
        if watermark is None:
            return self.harvest(community)
        return self.harvest(community, from_=parse_datestamp(watermark) - self.options.overlap)

    def iter_records(self, community: str, *, from_: datetime | None = None,
                     until: datetime | None = None, verb: str = "ListRecords",
                     stats: HarvestStats | None = None) -> Iterator[HarvestedRecord]:
        """Yield each record of the set once (a newer datestamp of a record is yielded again).

        Lazy: a slow consumer may outlive a resumption token; the window is then restarted.

        :param verb: ``ListRecords`` (full metadata) or ``ListIdentifiers`` (headers only).
        :param stats: filled in as the harvest goes.
        """
        stats = stats if stats is not None else HarvestStats()
        limits = self.options.limits()
        seen: dict[str, str] = {}
        pending = self._windows(from_, until, stats, limits)
        while pending:
            window = pending.pop(0)
            stats.windows += 1
            try:
                for record in self._window(community, window, verb, stats, limits):
                    if seen.get(record.record_id, "") < record.datestamp:
                        seen[record.record_id] = record.datestamp
                        yield record
            except _WindowTooBig as big:
                pending[:0] = self._split(window, big.end, stats, reason="too big")
            except HarvestFailed:
                halves = self._split(window, _now(), stats, reason="kept failing")
                if not halves:
                    raise
                pending[:0] = halves

    # -- windows --------------------------------------------------------------------------

    def _windows(self, from_: datetime | None, until: datetime | None,
                 stats: HarvestStats, limits: FeedLimits) -> list[_Window]:
        length = self.options.window
        if length is None:
            return [(from_, until)]
        start = from_ or self.options.earliest or self._earliest(stats, limits)
        stop = until or _now()
        # Zenodo compares ``from <= updated <= until`` exactly, to the microsecond, while
        # bounds are whole seconds: consecutive windows share their boundary instant (a record
        # updated at it is listed twice, and yielded once).
        windows: list[_Window] = []
        while start + length < stop:
            windows.append((start, start + length))
            start += length
        windows.append((start, until))
        return windows

    @staticmethod
    def _split(window: _Window, end_hint: datetime, stats: HarvestStats, *,
               reason: str) -> list[_Window]:
        start, end = window
        if start is None or not _splittable(start, end or end_hint):
            return []
        last = end or end_hint
        middle = _whole(start) + (_whole(last) - _whole(start)) // 2
        middle = middle.replace(microsecond=0)
        stats.splits += 1
        log.info("splitting OAI-PMH window %s..%s (%s)", format_datestamp(start),
                 format_datestamp(last), reason)
        return [(start, middle), (middle, end)]  # both hold the instant ``middle``

    def _earliest(self, stats: HarvestStats, limits: FeedLimits) -> datetime:
        page = oai_page(self.hook, {"verb": "Identify"}, limits)
        stats.requests += 1
        text = page.root.findtext(f"{{{OAI_NS}}}Identify/{{{OAI_NS}}}earliestDatestamp")
        if not text:
            raise HarvestFailed("oai: Identify: earliestDatestamp missing")
        return parse_datestamp(text)

    def _window(self, community: str, window: _Window, verb: str,
                stats: HarvestStats, limits: FeedLimits) -> Iterator[HarvestedRecord]:
        """Yield a window's records; restart it from its start on an expired token or 5xx.

        A page of the list that is missing (:class:`PageLost`) restarts the window too.
        """
        start, end = window
        attempt = 0
        while True:
            try:
                yield from self._list(community, start, end, verb, stats, limits)
                return
            except (OaiTokenExpired, ServerError) as exc:
                attempt += 1
                stats.restarts += 1
                label = f"{format_datestamp(start) if start else '-'}.." \
                        f"{format_datestamp(end) if end else '-'}"
                if attempt > self.options.max_restarts:
                    raise HarvestFailed(
                        f"oai: set {self.set_spec(community)} window {label}: still failing "
                        f"after {self.options.max_restarts} restarts: {exc}"
                    ) from exc
                why = "a page of the list is missing" if isinstance(exc, PageLost) \
                    else type(exc).__name__
                log.warning("oai: window %s of set %s restarts from its start (%s: %s)", label,
                            self.set_spec(community), why, exc)
                _sleep_before(limits.deadline, self.options.restart_wait)

    def _list(self, community: str, start: datetime | None, end: datetime | None, verb: str,
              stats: HarvestStats, limits: FeedLimits) -> Iterator[HarvestedRecord]:
        pages = oai_pages(
            self.hook, verb=verb, metadata_prefix=self.options.metadata_prefix,
            set_spec=self.set_spec(community),
            from_=format_datestamp(start) if start else None,
            until=format_datestamp(end) if end else None, limits=limits,
            on_retry=lambda number, exc: _count_retry(stats, number, exc),
        )
        limit = self.options.max_window_records
        for number, page in enumerate(pages, start=1):
            stats.requests += 1
            if stats.response_date is None:
                stats.response_date = page.response_date
            if number == 1 and limit is not None and (page.complete_list_size or 0) > limit \
                    and start is not None:
                last = end or parse_datestamp(page.response_date)
                if _splittable(start, last):  # else harvest it whole
                    raise _WindowTooBig(last)
            for index, element in enumerate(page.records, start=1):
                yield parse_record(element, where=f"page {number}, item {index}")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _whole(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _splittable(start: datetime, last: datetime) -> bool:
    """Whether a whole second lies strictly between the window's ends (bounds are seconds)."""
    return _whole(last) - _whole(start) >= 2 * _SECOND


def _sleep_before(deadline: float | None, seconds: float) -> None:
    """Sleep ``seconds``, unless that would pass the harvest's deadline."""
    if deadline is not None and time.monotonic() + seconds >= deadline:
        raise DeadlinePassed("oai: harvest deadline passed while restarting a window",
                             operation="oai")
    time.sleep(seconds)


def feed_shows(hook: ZenodoHook, community: str, record_ids: Collection[int | str], *,
               since: datetime | str, options: HarvestOptions | None = None) -> tuple[int, int]:
    """Count how many of ``record_ids`` the community's feed shows; for the DAG's sensor.

    Cheap: one ``ListIdentifiers`` from ``since`` (minus the overlap), usually one request.

    :param record_ids: the records the run published (compared as text: ``123`` is ``"123"``).
    :param since: when the run started publishing (datetime or OAI datestamp).
    :returns: ``(seen, expected)``.
    """
    harvester = Harvester(hook, options)
    start = parse_datestamp(since) if isinstance(since, str) else since
    wanted = {str(r) for r in record_ids}
    seen: set[str] = set()
    if wanted:
        for record in harvester.iter_records(community, from_=start - harvester.options.overlap,
                                             verb="ListIdentifiers"):
            if record.record_id in wanted:
                seen.add(record.record_id)
    return len(seen), len(wanted)
