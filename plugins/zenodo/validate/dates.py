"""ISO 8601 date rules for Darwin Core date terms (``eventDate``, ``dateIdentified``, ``modified``).

Accepted: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, date-times, and intervals ``A/B`` whose end may
omit leading parts (``2007-11-13/15``); label forms (``VI.1931``) and zero parts are rejected.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator

from zenodo.source.specimen import SpecimenRecord
from zenodo.validate.problem import ERROR, WARNING, Problem, Severity

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$")
_PART_RE = re.compile(r"^\d{2}(?:-\d{2})?$")
EARLIEST_LIKELY_YEAR = 1600


class DateError(ValueError):
    """Raised when a value is not a valid ISO 8601 date or interval."""


def _parse_single(text: str) -> tuple[dt.date, dt.date, int]:
    """Return (first day, last day, number of date parts) of one date or date-time."""
    date_part, sep, time_part = text.partition("T")
    match = _DATE_RE.match(date_part)
    if not match:
        raise DateError(f"{text!r} is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    if sep:
        if day is None or not _TIME_RE.match(time_part):
            raise DateError(f"{text!r} has an invalid time part")
        hour, minute = int(time_part[:2]), int(time_part[3:5])
        if hour > 24 or minute > 59:
            raise DateError(f"{text!r} has an impossible time")
    if year == 0:
        raise DateError(f"{text!r}: year 0000 does not exist in Darwin Core dates")
    if month is not None and not 1 <= month <= 12:
        raise DateError(f"{text!r}: month {month:02d} is impossible")
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31), 1
    last = calendar.monthrange(year, month)[1]
    if day is None:
        return dt.date(year, month, 1), dt.date(year, month, last), 2
    if not 1 <= day <= last:
        raise DateError(f"{text!r}: day {day:02d} is impossible in {year}-{month:02d}")
    return dt.date(year, month, day), dt.date(year, month, day), 3


def parse_iso_interval(value: str) -> tuple[dt.date, dt.date]:
    """Return the first and last day covered by an ISO 8601 date or interval.

    :raises DateError: with a reason naming the bad part
    """
    text = value.strip()
    if text.count("/") > 1:
        raise DateError(f"{value!r} has more than one '/'")
    if "/" not in text:
        start, end, _ = _parse_single(text)
        return start, end
    left, right = text.split("/")
    if not left or not right:
        raise DateError(f"{value!r} is an open interval")
    start, _, parts = _parse_single(left)
    if _PART_RE.match(right) and "T" not in left:
        prefix = left.split("-")[: parts - len(right.split("-"))]
        if not prefix:
            raise DateError(f"{value!r}: cannot complete the abbreviated end {right!r}")
        right = "-".join([*prefix, right])
    _, end, _ = _parse_single(right)
    if end < start:
        raise DateError(f"{value!r}: the interval ends before it starts")
    return start, end


def _date_rule(record: SpecimenRecord, term: str, severity: Severity, today: dt.date
               ) -> Iterator[Problem]:
    value = record.terms.get(term)
    if value is None:
        return
    try:
        start, end = parse_iso_interval(str(value))
    except DateError as exc:
        yield Problem(record.key, term, severity, str(exc))
        return
    if start.year < EARLIEST_LIKELY_YEAR:
        yield Problem(record.key, term, WARNING, f"{value!r} is before {EARLIEST_LIKELY_YEAR}")
    if end > today:
        yield Problem(record.key, term, WARNING, f"{value!r} is in the future")


def _int_term(record: SpecimenRecord, term: str) -> int | None:
    value = record.terms.get(term)
    try:
        return None if value is None else int(str(value))
    except ValueError:
        return -1


def check_parts(record: SpecimenRecord) -> Iterator[Problem]:
    """Check ``year``/``month``/``day`` ranges and that they agree with ``eventDate``."""
    parts = {t: _int_term(record, t) for t in ("year", "month", "day")}
    ranges = {"year": (1, 9999), "month": (1, 12), "day": (1, 31)}
    for term, number in parts.items():
        low, high = ranges[term]
        if number is not None and not low <= number <= high:
            yield Problem(record.key, term, WARNING,
                          f"{record.terms[term]!r} is not an integer from {low} to {high}")
            return
    event = record.terms.get("eventDate")
    if event is None:
        return
    try:
        start, end = parse_iso_interval(str(event))
    except DateError:
        return
    for term, attr in (("year", "year"), ("month", "month"), ("day", "day")):
        number = parts[term]
        if number is not None and start == end and getattr(start, attr) != number:
            yield Problem(record.key, term, WARNING,
                          f"{term} {number} disagrees with eventDate {event!r}")


def check_dates(record: SpecimenRecord, today: dt.date | None = None) -> Iterator[Problem]:
    """Check the date terms: a bad ``eventDate`` is an error, other bad dates are warnings."""
    today = today or dt.date.today()
    yield from _date_rule(record, "eventDate", ERROR, today)
    yield from _date_rule(record, "dateIdentified", WARNING, today)
    yield from _date_rule(record, "modified", WARNING, today)
    yield from check_parts(record)
