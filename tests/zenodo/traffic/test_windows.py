"""Moving-window counts: room, the moment the oldest requests leave, and safe-side slots."""

from __future__ import annotations

import pytest

from zenodo.traffic.windows import SLOTS, MovingWindow


def window(count: int = 3, period: float = 10.0, **kw) -> MovingWindow:
    return MovingWindow.of(count, period, margin=kw.get("margin", 0.0),
                           transit=kw.get("transit", 0.0))


def test_the_margin_is_taken_off_the_servers_limit_but_leaves_at_least_one() -> None:
    assert MovingWindow.of(100, 60, margin=0.02, transit=0).allowed == 98
    assert MovingWindow.of(5000, 3600, margin=0.02, transit=0).allowed == 4900
    assert MovingWindow.of(1, 60, margin=0.5, transit=0).allowed == 1
    assert MovingWindow.of(100, 60, margin=0.02, transit=0).key == "100/60"


def test_a_window_with_room_lets_the_request_go_now() -> None:
    w = window()
    counts: list[list[int]] = []
    for at in (100.0, 101.0):
        assert w.earliest(counts, at) == at
        w.record(counts, at)
    assert w.earliest(counts, 102.0) == 102.0


def test_a_full_window_waits_until_its_oldest_slot_has_surely_left() -> None:
    w = window(transit=0.25)
    counts: list[list[int]] = []
    for at in (100.0, 100.05, 104.0):
        w.record(counts, at)
    slot = w.slot_of(100.0)
    assert counts[0] == [slot, 2], "two requests in one slot are counted together"
    assert w.earliest(counts, 105.0) == pytest.approx((slot + 1) * w.width + 10.0 + 0.25)
    assert w.earliest(counts, 105.0) > 100.05 + 10.0, "after the slot's last request left"


def test_requests_past_the_window_no_longer_count() -> None:
    w = window()
    counts: list[list[int]] = []
    for at in (100.0, 104.0, 108.0):
        w.record(counts, at)
    assert w.live(counts, 110.0 + 2 * w.width) == [[w.slot_of(104.0), 1], [w.slot_of(108.0), 1]]
    assert w.earliest(w.live(counts, 111.0), 111.0) == 111.0


def test_recording_keeps_slots_in_order_when_a_slot_is_reserved_ahead() -> None:
    w = window(count=10)
    counts: list[list[int]] = []
    for at in (105.0, 100.0, 105.0, 102.0):
        w.record(counts, at)
    assert [slot for slot, _ in counts] == sorted(slot for slot, _ in counts)
    assert [n for _, n in counts] == [1, 1, 2]


def test_counting_errs_on_the_safe_side_by_at_most_one_slot() -> None:
    w = window(count=1, period=60.0)
    counts: list[list[int]] = []
    w.record(counts, 1000.0)
    wait = w.earliest(counts, 1000.0) - 1000.0
    assert 60.0 < wait <= 60.0 + 60.0 / SLOTS + 1e-9
