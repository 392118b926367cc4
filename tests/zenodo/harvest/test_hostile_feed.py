"""A harvest stops with a clear error on a feed that would never end or never finish.

Each test runs against a hostile OAI-PMH server (:mod:`tests.zenodo.harvest.hostile_oai`) on
127.0.0.1, through the real hook: a repeated token, endless tokens, a trickling answer, a huge
page. Each mode is bounded, so a harvester without these defences ends too, only late (or
with hundreds of megabytes in memory).
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.zenodo.harvest.hostile_oai import HostileOai, hostile_servers
from zenodo.errors import DeadlinePassed, ResponseTooLarge
from zenodo.harvest.harvester import Harvester, HarvestOptions, feed_shows
from zenodo.harvest.oai_list import FeedRefused
from zenodo.hooks.zenodo import ZenodoHook

MB = 1024 * 1024


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., HostileOai]]:
    with hostile_servers(monkeypatch) as start:
        yield start


def _harvester(**options: Any) -> Harvester:
    hook = ZenodoHook("zenodo_hostile", backoff_max=0.2)
    return Harvester(hook, HarvestOptions(restart_wait=0.0, **options))


def test_a_repeated_resumption_token_stops_the_harvest(hostile: Any) -> None:
    server = hostile("repeat")
    with pytest.raises(FeedRefused, match="page 2 repeats resumption token 'same-token'"):
        _harvester().harvest("herb")
    assert server.requests == 2


def test_endless_new_tokens_stop_past_what_complete_list_size_implies(hostile: Any) -> None:
    server = hostile("endless")
    with pytest.raises(FeedRefused) as refused:
        _harvester().harvest("herb")
    # completeListSize 3 at 1 record a page: 3 pages, 6 with the margin (25% + 2).
    assert "still not ended after 6 pages" in str(refused.value)
    assert "completeListSize 3 at 1 a page is 3 pages" in str(refused.value)
    assert server.requests == 6


def test_a_list_without_a_size_stops_at_the_page_cap(hostile: Any) -> None:
    server = hostile("sizeless")
    with pytest.raises(FeedRefused, match=r"after 10 pages \(the cap of 10 pages\)"):
        _harvester(max_pages=10).harvest("herb")
    assert server.requests == 10


def test_a_trickling_answer_stops_at_the_harvest_deadline(hostile: Any) -> None:
    server = hostile("trickle", interval=0.2, seconds=30)
    started = time.monotonic()
    with pytest.raises(DeadlinePassed, match="oai: deadline passed"):
        _harvester(deadline=2.0).harvest("herb")
    assert time.monotonic() - started < 5, "one byte every 0.2 s beats the read timeout"
    assert server.requests == 1, "not retried"


def test_the_sensor_check_also_stops_at_the_deadline(hostile: Any) -> None:
    hostile("trickle", interval=0.2, seconds=30)
    started = time.monotonic()
    with pytest.raises(DeadlinePassed):
        feed_shows(ZenodoHook("zenodo_hostile"), "herb", ["1"], since="2026-01-01T00:00:00Z",
                   options=HarvestOptions(deadline=1.5))
    assert time.monotonic() - started < 5


def test_a_huge_page_is_refused_at_the_cap_without_reading_it_all(hostile: Any) -> None:
    server = hostile("huge", megabytes=64)
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge, match="answer refused after 2097152 bytes"):
            _harvester(max_page_bytes=2 * MB).harvest("herb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB, f"{peak / MB:.0f} MB held for a 2 MB cap"
    assert server.requests == 1, "not retried"
    assert server.gave_up.wait(10), "the connection was closed mid-body"
    assert server.bytes_sent < 32 * MB


def test_a_page_announcing_a_huge_length_is_refused_before_reading(hostile: Any) -> None:
    server = hostile("declared", megabytes=500)
    started = time.monotonic()
    with pytest.raises(ResponseTooLarge, match="answer of 524288000 bytes refused"):
        _harvester(max_page_bytes=2 * MB).harvest("herb")
    assert time.monotonic() - started < 3
    assert server.requests == 1
