"""Functions the ``schema: rdm`` mapping templates may call: the InvenioRDM forms of subjects,
languages, locations, collection dates and custom fields (see docs/mappings.md); and
:func:`language_id`, the language id zenodo.org takes, which the deposit mappings send too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from zenodo.metadata.template_helpers import coordinates, dwc_custom_fields, locations
from zenodo.validate import codes
from zenodo.validate.dates import DateError, parse_iso_interval
from zenodo.validate.licenses import rdm_license_id

#: Zenodo custom field -> the row term it is filled from (lists are " | "-separated).
EXTRA_FIELDS = {
    "ac:associatedSpecimenReference": "associatedSpecimenReference",
    "ac:captureDevice": "captureDevice",
    "ac:physicalSetting": "physicalSetting",
    "ac:resourceCreationTechnique": "resourceCreationTechnique",
    "ac:subjectOrientation": "subjectOrientation",
    "ac:subjectPart": "subjectPart",
    "ac:digitizationDate": "digitizationDate",
    "gbif-dwc:recordedByID": "recordedByID",
    "gbif-dwc:identifiedByID": "identifiedByID",
    "dc:rightsHolder": "rightsHolder",
}
#: zenodo.org's deposit API and deposit form fill in this publisher (zenodo-rdm
#: legacy/deserializers/metadata.py ``load_default="Zenodo"``, invenio.cfg
#: APP_RDM_DEPOSIT_FORM_DEFAULTS); its RDM API does not, and the DOI registration of a record
#: without one is refused (invenio-rdm-records services/pids/providers/datacite.py).
DEFAULT_PUBLISHER = "Zenodo"
_EDTF_DAY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def edtf(value: Any) -> str | None:
    """Return an ISO 8601 date or interval as an EDTF level-0 date or interval, else ``None``.

    The value's precision is kept where EDTF can say it (``1985-05``, ``1980/1989``); times are
    dropped, and abbreviated interval ends (``2007-11-13/15``) are written out in full days.
    """
    if value is None:
        return None
    text = str(value).strip()
    try:
        start, end = parse_iso_interval(text)
    except DateError:
        return None
    sides = list(dict.fromkeys(side.partition("T")[0] for side in text.split("/")))
    if all(_EDTF_DAY.match(side) for side in sides):
        return "/".join(sides)
    return start.isoformat() if start == end else f"{start.isoformat()}/{end.isoformat()}"


def rdm_dates(dwc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the RDM ``dates``: the collection date (``dwc:eventDate``) as EDTF."""
    value = dwc.get("eventDate")
    date = edtf(value)
    if date is None:
        return []
    return [{"date": date, "type": {"id": "collected"},
             "description": f"Specimen collected (dwc:eventDate {value})"}]


def rdm_locations(dwc: Mapping[str, Any]) -> dict[str, Any]:
    """Return the RDM ``locations``: one GeoJSON feature (point if usable, place name)."""
    features = []
    point = coordinates(dwc)
    for entry in locations(dwc):
        feature: dict[str, Any] = {"place": entry["place"]}
        if point is not None:
            feature["geometry"] = {"type": "Point", "coordinates": [point[1], point[0]]}
        features.append(feature)
    return {"features": features} if features else {}


def language_id(value: Any) -> str:
    """Return the ISO 639-3 id of a language code (``''`` for no value): the deposit
    ``language`` and the RDM ``languages`` id zenodo.org accepts.

    zenodo.org's deposit API passes three letters unchanged, so an ISO 639-2/B code must be
    sent as its ISO 639-3 id (``ger`` as ``deu``).

    :raises ValueError: for a code that is not ISO 639 (see :func:`codes.language_id`)
    """
    if value is None or not str(value).strip():
        return ""
    found = codes.language_id(str(value).strip())
    if found is None:
        raise ValueError(f"language {value!r} is not an ISO 639 code")
    return found


def rdm_languages(value: Any) -> list[dict[str, str]]:
    """Return the RDM ``languages`` for an ISO 639 code: its ISO 639-3 id, or ``[]`` for no
    value.

    :raises ValueError: for a code that is not ISO 639
    """
    code = language_id(value)
    return [{"id": code}] if code else []


def rdm_subjects(*groups: Iterable[Any]) -> list[dict[str, str]]:
    """Return free-text RDM ``subjects`` from groups of values, empty ones and repeats left out."""
    seen: dict[str, None] = {}
    for group in groups:
        for value in group:
            text = "" if value is None else str(value).strip()
            if text:
                seen.setdefault(text)
    return [{"subject": text} for text in seen]


def _values(field: str, value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else str(value).split(" | ")
    values = [str(item).strip() for item in items if item is not None and str(item).strip()]
    if field != "ac:digitizationDate":
        return values
    dates = [edtf(item) for item in values]
    bad = [item for item, date in zip(values, dates, strict=True) if date is None]
    if bad:
        raise ValueError(f"{field}: {bad[0]!r} is not an ISO 8601 date")
    return [date for date in dates if date]


def rdm_custom_fields(dwc: Mapping[str, Any],
                      defaults: Mapping[str, Any] | None = None) -> dict[str, list[Any]]:
    """Return Zenodo's RDM ``custom_fields``: ``dwc_custom_fields`` plus :data:`EXTRA_FIELDS`.

    ``ac:associatedSpecimenReference`` defaults to the ``occurrenceID``.

    :param defaults: term -> value (or list) used when the row has no such term, e.g. a
        collection's ``{"captureDevice": "Canon EOS 5DS R"}``
    :raises ValueError: for an ``ac:digitizationDate`` that is not an ISO 8601 date
    """
    fields: dict[str, list[Any]] = dict(dwc_custom_fields(dwc))
    fallback = {"associatedSpecimenReference": dwc.get("occurrenceID"), **(defaults or {})}
    for field, term in EXTRA_FIELDS.items():
        value = dwc.get(term)
        if value is None or value == "":
            value = fallback.get(term)
        values = [] if value is None else _values(field, value)
        if values:
            fields[field] = values
    return fields


def rdm_license(value: Any, default: str | None = None) -> str | None:
    """Return the RDM licence id of a row's licence value (``cc-by`` -> ``cc-by-4.0``), or of
    ``default`` when the row has none; ``None`` for a licence zenodo.org does not know."""
    if value is None or not str(value).strip():
        value = default
    return None if value is None else rdm_license_id(str(value))


def with_rdm_license_ids(body: dict[str, Any]) -> dict[str, Any]:
    """Return ``body`` with each ``metadata.rights[].id`` that names a licence zenodo.org knows
    replaced by its RDM id (``CC-BY`` or ``cc-by`` -> ``cc-by-4.0``); others stay as they are."""
    metadata = body.get("metadata")
    rights = metadata.get("rights") if isinstance(metadata, dict) else None
    if not isinstance(rights, list):
        return body
    fixed = [{**right, "id": rdm_license_id(right["id"]) or right["id"]}
             if isinstance(right, dict) and "id" in right else right for right in rights]
    return {**body, "metadata": {**metadata, "rights": fixed}}


def for_zenodo(body: dict[str, Any]) -> dict[str, Any]:
    """Return the RDM body as sent: licence ids as RDM ids, and ``publisher`` set to
    :data:`DEFAULT_PUBLISHER` when the mapping gives none."""
    body = with_rdm_license_ids(body)
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and not metadata.get("publisher"):
        body = {**body, "metadata": {**metadata, "publisher": DEFAULT_PUBLISHER}}
    return body


def identifier_scheme(identifier: str) -> str:
    """Return the RDM scheme of an alternate identifier: ``url`` or ``urn``."""
    return "url" if identifier.lower().startswith(("http://", "https://")) else "urn"


RDM_TEMPLATE_GLOBALS = {
    "edtf": edtf,
    "rdm_dates": rdm_dates,
    "rdm_locations": rdm_locations,
    "rdm_languages": rdm_languages,
    "language_id": language_id,
    "rdm_subjects": rdm_subjects,
    "rdm_custom_fields": rdm_custom_fields,
    "identifier_scheme": identifier_scheme,
    "rdm_license": rdm_license,
}
