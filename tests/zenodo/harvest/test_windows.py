"""Date windows share their boundary instants: nothing updated inside a second is missed.

Zenodo compares ``from <= updated <= until`` exactly (``updated`` has microseconds, the bounds
are whole seconds), so a window ending at ``…:59Z`` and the next starting at ``…:00Z`` never
list a record updated at ``…:59.5``. Unit tests of :meth:`Harvester.iter_records` over a
small in-memory feed that filters as Zenodo does (a stand-in for the hook, one page a list).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from zenodo.harvest.harvester import Harvester, HarvestOptions, format_datestamp

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
S = timedelta(seconds=1)


class PreciseFeed:
    """Answer ListRecords like Zenodo: ``from``/``until`` exact instants, inclusive."""

    def __init__(self, updated: Mapping[str, datetime]) -> None:
        self.updated = dict(updated)
        self.listed: list[tuple[str, str, list[str]]] = []  # (from, until, ids) per request

    def oai_request(self, params: Mapping[str, str], **_options: object) -> bytes:
        low = _instant(params.get("from"), datetime.min.replace(tzinfo=UTC))
        high = _instant(params.get("until"), datetime.max.replace(tzinfo=UTC))
        ids = sorted(i for i, at in self.updated.items() if low <= at <= high)
        self.listed.append((params.get("from", "-"), params.get("until", "-"), ids))
        records = "".join(
            f"<record><header><identifier>oai:zenodo.org:{i}</identifier><datestamp>"
            f"{format_datestamp(self.updated[i])}</datestamp></header></record>" for i in ids)
        return ('<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>'
                f"{format_datestamp(T0 + 3600 * S)}</responseDate><ListRecords>{records}"
                "</ListRecords></OAI-PMH>").encode()


def _instant(text: str | None, default: datetime) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else default


def _harvester(feed: PreciseFeed, **options: object) -> Harvester:
    return Harvester(feed, HarvestOptions(window=S, restart_wait=0.0, **options))  # type: ignore[arg-type]


def test_records_updated_inside_a_windows_last_second_are_listed() -> None:
    feed = PreciseFeed({"1": T0 + timedelta(microseconds=999_999), "2": T0 + 1.5 * S,
                        "3": T0 + 2 * S + timedelta(microseconds=1), "4": T0 + 2.75 * S})

    got = [r.record_id for r in _harvester(feed).iter_records("herb", from_=T0,
                                                              until=T0 + 3 * S)]

    assert got == ["1", "2", "3", "4"]
    bounds = [(low, high) for low, high, _ids in feed.listed]
    assert bounds == [("2026-03-01T12:00:00Z", "2026-03-01T12:00:01Z"),
                      ("2026-03-01T12:00:01Z", "2026-03-01T12:00:02Z"),
                      ("2026-03-01T12:00:02Z", "2026-03-01T12:00:03Z")]


def test_a_record_on_a_shared_boundary_is_yielded_once_with_its_latest_datestamp() -> None:
    feed = PreciseFeed({"on-boundary": T0 + S, "moved": T0 + 0.5 * S})
    harvester = _harvester(feed)
    yielded = []
    for record in harvester.iter_records("herb", from_=T0, until=T0 + 2 * S):
        yielded.append((record.record_id, record.datestamp))
        feed.updated["moved"] = T0 + 1.5 * S  # edited while the harvest runs

    assert [ids for _low, _high, ids in feed.listed] == [["moved", "on-boundary"],
                                                         ["moved", "on-boundary"]]
    assert yielded == [("moved", "2026-03-01T12:00:00Z"), ("on-boundary", "2026-03-01T12:00:01Z"),
                       ("moved", "2026-03-01T12:00:01Z")]  # a newer datestamp is news

    result = _harvester(PreciseFeed({"on-boundary": T0 + S})).harvest(
        "herb", from_=T0, until=T0 + 2 * S)
    assert [r.record_id for r in result.records] == ["on-boundary"]


def test_halves_of_a_split_window_share_their_middle() -> None:
    feed = PreciseFeed({"a": T0 + 1.5 * S, "b": T0 + 2 * S, "c": T0 + 2.5 * S,
                        "d": T0 + 3.9 * S})
    harvester = Harvester(feed, HarvestOptions(  # type: ignore[arg-type]
        window=timedelta(days=1), max_window_records=2, restart_wait=0.0))

    got = sorted(r.record_id for r in harvester.iter_records("herb", from_=T0,
                                                             until=T0 + 4 * S))

    assert got == ["a", "b", "c", "d"]
    answered = [(low[-3:-1], high[-3:-1]) for low, high, _ids in feed.listed]
    assert answered == [("00", "04"), ("00", "02"), ("02", "04"), ("02", "03"), ("03", "04")]
