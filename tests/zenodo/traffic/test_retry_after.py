"""The one ``Retry-After`` parser: delay-seconds and the three HTTP-date forms of RFC 9110."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from zenodo.traffic.retry_after import parse_retry_after

#: Sun, 06 Nov 1994 08:49:37 GMT, the example of RFC 9110 §5.6.7.
EXAMPLE = 784_111_777.0


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), ("0", 0.0), (" 7 ", 7.0), ("2.5", 2.5),
])
def test_delay_seconds_are_read_as_they_are(value: str, seconds: float) -> None:
    assert parse_retry_after(value, now=EXAMPLE) == seconds


@pytest.mark.parametrize("value", [
    "Sun, 06 Nov 1994 08:49:37 GMT",   # IMF-fixdate, the one to send
    "Sunday, 06-Nov-94 08:49:37 GMT",  # obsolete RFC 850
    "Sun Nov  6 08:49:37 1994",        # obsolete asctime (no zone: GMT)
])
def test_an_http_date_in_any_form_is_the_time_left_until_it(value: str) -> None:
    assert parse_retry_after(value, now=EXAMPLE - 90) == 90.0


def test_a_date_already_past_means_now() -> None:
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now=EXAMPLE + 3600) == 0.0


def test_a_date_is_measured_from_the_wall_clock_by_default() -> None:
    value = formatdate(time.time() + 300, usegmt=True)
    assert 298.0 <= (parse_retry_after(value) or 0.0) <= 300.0


@pytest.mark.parametrize("value", [
    None, "", "-5", "+5", "1e3", "nan", "inf", "soon", "Mon, 99 Foo 1994 25:00:00 GMT", "٣",
])
def test_missing_negative_or_unreadable_values_are_none(value: str | None) -> None:
    assert parse_retry_after(value, now=EXAMPLE) is None
