"""Functions the mapping templates may call: Zenodo's Darwin Core custom fields, locations,
collection dates and taxonomy subjects, built from a record's terms (see docs/mappings.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from zenodo.metadata.jsonld_sidecar import CONTEXT, subjects_from_document
from zenodo.validate.dates import DateError, parse_iso_interval
from zenodo.validate.geo import parse_decimal_degree
from zenodo.validate.licenses import zenodo_license_id

#: Zenodo keyword/text custom fields filled straight from the term of the same name.
DWC_STRING_FIELDS = (
    "basisOfRecord", "catalogNumber", "class", "collectionCode", "country", "countryCode",
    "county", "family", "genus", "geodeticDatum", "habitat", "identifiedBy", "institutionCode",
    "kingdom", "lifeStage", "locality", "materialSampleID", "occurrenceID", "order",
    "otherCatalogNumbers", "phylum", "preparations", "recordedBy", "scientificName",
    "scientificNameAuthorship", "scientificNameID", "sex", "specificEpithet", "stateProvince",
    "taxonID", "taxonRank", "taxonomicStatus", "typeStatus", "verbatimEventDate",
)
#: Terms that hold " | "-separated lists in Darwin Core.
LIST_TERMS = frozenset({"recordedBy", "identifiedBy", "typeStatus", "preparations",
                        "otherCatalogNumbers"})
TAXONOMY_TERMS = ("kingdom", "phylum", "class", "order", "family", "genus", "scientificName")
_FULL_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T.*)?$")


def _split(term: str, value: Any) -> list[str]:
    if term in LIST_TERMS:
        parts = [part.strip() for part in str(value).split(" | ")]
        return [part for part in parts if part]
    return [str(value)]


def full_date(value: Any) -> str | None:
    """Return ``YYYY-MM-DD`` when ``value`` is one full calendar date, else ``None``."""
    if value is None or not _FULL_DATE_RE.match(str(value)) or "/" in str(value):
        return None
    try:
        start, end = parse_iso_interval(str(value))
    except DateError:
        return None
    return start.isoformat() if start == end else None


def coordinates(dwc: Mapping[str, Any]) -> tuple[float, float] | None:
    """Return (lat, lon) when both are valid, in range and not (0, 0)."""
    lat = parse_decimal_degree(dwc.get("decimalLatitude"))
    lon = parse_decimal_degree(dwc.get("decimalLongitude"))
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def dwc_custom_fields(dwc: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return Zenodo's ``custom`` Darwin Core fields for a record's terms."""
    fields: dict[str, list[Any]] = {}
    for term in DWC_STRING_FIELDS:
        value = dwc.get(term)
        if value is not None and str(value):
            fields[f"dwc:{term}"] = _split(term, value)
    for term in ("eventDate", "dateIdentified"):
        value = dwc.get(term)
        exact = full_date(value)
        if exact:
            fields[f"dwc:{term}"] = [exact]
        elif value is not None and term == "eventDate" and "dwc:verbatimEventDate" not in fields:
            fields["dwc:verbatimEventDate"] = [str(value)]
    point = coordinates(dwc)
    if point is not None:
        fields["dwc:decimalLatitude"] = [point[0]]
        fields["dwc:decimalLongitude"] = [point[1]]
    return fields


def locations(dwc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the deposit ``locations``: the point (if usable) with its place name."""
    place = next((str(dwc[t]) for t in ("locality", "stateProvince", "country", "countryCode")
                  if dwc.get(t)), None)
    point = coordinates(dwc)
    if point is None and place is None:
        return []
    entry: dict[str, Any] = {"place": place or "Collection locality"}
    if point is not None:
        entry["lat"], entry["lon"] = point
    return [entry]


def collected_dates(dwc: Mapping[str, Any]) -> list[dict[str, str]]:
    """Return the deposit ``dates``: the collection date or interval as full dates."""
    value = dwc.get("eventDate")
    if value is None:
        return []
    try:
        start, end = parse_iso_interval(str(value))
    except DateError:
        return []
    return [{"start": start.isoformat(), "end": end.isoformat(), "type": "Collected",
             "description": f"Specimen collected (dwc:eventDate {value})"}]


def taxonomy_subjects(dwc: Mapping[str, Any]) -> list[dict[str, str]]:
    """Return one subject per taxonomy term present, identified by the term's IRI."""
    return [{"term": str(dwc[term]), "identifier": CONTEXT["dwc"] + term, "scheme": "url"}
            for term in TAXONOMY_TERMS if dwc.get(term)]


def license_id(value: Any, default: str | None = None) -> str | None:
    """Return the Zenodo licence id for a row's licence value (or ``default`` if absent)."""
    if value is None or not str(value):
        return default
    return zenodo_license_id(str(value))


def count_suffix(names: list[str], *suffixes: str) -> int:
    """Return how many file names end with one of ``suffixes`` (case-insensitive)."""
    wanted = tuple(s.lower() for s in suffixes)
    return sum(1 for name in names if name.lower().endswith(wanted))


def is_url(value: Any) -> bool:
    """Tell whether ``value`` is an http(s) URL."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def require(value: Any, what: str) -> Any:
    """Return ``value``, or fail the record's mapping when it is empty.

    :raises ValueError: naming ``what``
    """
    if value is None or value == "":
        raise ValueError(f"no value for {what}")
    return value


def sidecar_subjects(document: dict[str, Any] | None) -> list[dict[str, str]]:
    """Return pilot 1's subjects (one per sidecar term); ``[]`` without a sidecar."""
    return [] if document is None else subjects_from_document(document)


TEMPLATE_GLOBALS = {
    "count_suffix": count_suffix,
    "is_url": is_url,
    "require": require,
    "sidecar_subjects": sidecar_subjects,
    "dwc_custom_fields": dwc_custom_fields,
    "locations": locations,
    "collected_dates": collected_dates,
    "taxonomy_subjects": taxonomy_subjects,
    "license_id": license_id,
    "full_date": full_date,
}
