"""Coordinate and country rules.

:data:`BOUNDING_BOXES` holds rough boxes of some countries, half a degree wide of their
main territory; they only feed warnings, and countries without one are not checked.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from zenodo.source.specimen import SpecimenRecord
from zenodo.validate.codes import is_country_code
from zenodo.validate.problem import ERROR, WARNING, Problem

#: code -> (min latitude, max latitude, min longitude, max longitude)
BOUNDING_BOXES: dict[str, tuple[float, float, float, float]] = {
    "BE": (49.0, 52.0, 2.0, 7.0),
    "NL": (50.2, 54.0, 2.8, 7.8),
    "DE": (46.7, 55.6, 5.3, 15.6),
    "EE": (57.0, 60.2, 21.2, 28.7),
    "FI": (59.3, 70.6, 20.0, 32.1),
    "SE": (54.8, 69.6, 10.5, 24.7),
    "IT": (35.0, 47.6, 6.1, 19.1),
    "GB": (49.3, 61.4, -9.2, 2.3),
    "CD": (-14.1, 5.9, 11.6, 31.9),
    "KE": (-5.2, 5.5, 33.4, 42.4),
    "ZA": (-35.4, -21.6, 15.9, 33.4),
    "MG": (-26.2, -11.4, 42.7, 51.0),
    "BR": (-34.3, 5.8, -74.5, -34.2),
    "PE": (-18.9, 0.5, -81.9, -68.2),
    "MX": (14.0, 33.3, -119.0, -86.2),
    "CA": (41.2, 83.7, -141.6, -52.1),
    "IN": (6.2, 36.2, 67.6, 97.9),
    "JP": (23.5, 46.1, 122.4, 146.5),
    "AU": (-44.2, -10.1, 112.8, 154.2),
}


def parse_decimal_degree(value: object) -> float | None:
    """Return ``value`` as a finite float, or ``None`` when it is not a decimal number."""
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _inside(box: tuple[float, float, float, float], lat: float, lon: float) -> bool:
    return box[0] <= lat <= box[1] and box[2] <= lon <= box[3]


def _country_fit(record: SpecimenRecord, lat: float, lon: float) -> Iterator[Problem]:
    box = BOUNDING_BOXES.get(record.term("countryCode"))
    if box is None or _inside(box, lat, lon):
        return
    code = record.term("countryCode")
    if _inside(box, lon, lat):
        reason = f"({lat}, {lon}) is outside {code}; swapped it is inside: presumed swapped"
    elif _inside(box, -lat, lon):
        reason = f"({lat}, {lon}) is outside {code}; presumed negated latitude"
    elif _inside(box, lat, -lon):
        reason = f"({lat}, {lon}) is outside {code}; presumed negated longitude"
    else:
        reason = f"({lat}, {lon}) is outside country {code}"
    yield Problem(record.key, "decimalLatitude", WARNING, reason)


def check_coordinates(record: SpecimenRecord) -> Iterator[Problem]:
    """Check decimal coordinates: numbers, both present, in range, not (0,0), fit the country."""
    raw_lat = record.terms.get("decimalLatitude")
    raw_lon = record.terms.get("decimalLongitude")
    if raw_lat is None and raw_lon is None:
        return
    if raw_lat is None or raw_lon is None:
        missing = "decimalLatitude" if raw_lat is None else "decimalLongitude"
        yield Problem(record.key, missing, ERROR, "only one of the two coordinates is given")
        return
    lat, lon = parse_decimal_degree(raw_lat), parse_decimal_degree(raw_lon)
    bad = False
    for term, raw, number in (("decimalLatitude", raw_lat, lat),
                              ("decimalLongitude", raw_lon, lon)):
        if number is None:
            bad = True
            yield Problem(record.key, term, ERROR, f"{raw!r} is not a decimal number")
    if bad or lat is None or lon is None:
        return
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        hint = "; presumed swapped" if abs(lon) <= 90 < abs(lat) <= 180 else ""
        field = "decimalLatitude" if not -90 <= lat <= 90 else "decimalLongitude"
        yield Problem(record.key, field, ERROR,
                      f"({lat}, {lon}) is out of range (lat -90..90, lon -180..180){hint}")
        return
    if lat == 0 and lon == 0:
        yield Problem(record.key, "decimalLatitude", WARNING,
                      "(0, 0) is a placeholder for 'no coordinates': treated as missing")
        return
    yield from _country_fit(record, lat, lon)


def check_country(record: SpecimenRecord) -> Iterator[Problem]:
    """Check that ``countryCode`` is an ISO 3166-1 alpha-2 code (or Darwin Core's XZ/ZZ)."""
    code = record.terms.get("countryCode")
    if code is not None and not is_country_code(str(code)):
        yield Problem(record.key, "countryCode", ERROR,
                      f"{code!r} is not an ISO 3166-1 alpha-2 country code")
