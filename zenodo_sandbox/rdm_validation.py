"""Check InvenioRDM record bodies the way an InvenioRDM repository (and Zenodo) does.

:func:`validate_rdm` is a pure function: it lists every problem of a draft body
(``metadata``, ``custom_fields``, ``access``, ``files``) in InvenioRDM's error shape
``{"field": "metadata.creators.0.person_or_org.family_name", "messages": ["..."]}``. The
sandbox reports these in a draft's ``errors`` list on create/update and refuses a publish
with them (400); other parts of the project call it to check mapped RDM metadata before
sending it. File checks (no files, pending files) are made at publish by the sandbox.
"""

from __future__ import annotations

import re
from typing import Any

from zenodo_sandbox.validation import (
    IMAGE_TYPES,
    LICENSES,
    PUBLICATION_TYPES,
    RELATIONS,
    UPLOAD_TYPES,
)

MISSING = "Missing data for required field."
RESOURCE_TYPES = frozenset(
    UPLOAD_TYPES
    | {f"publication-{t}" for t in PUBLICATION_TYPES}
    | {f"image-{t}" for t in IMAGE_TYPES}
)
RELATION_TYPES = frozenset(r.lower() for r in RELATIONS) | {"hasversion", "isversionof",
                                                            "ispublishedin"}
DATE_TYPES = frozenset({"accepted", "available", "collected", "copyrighted", "created",
                        "issued", "other", "submitted", "updated", "valid", "withdrawn"})
GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "Polygon", "MultiPolygon", "LineString"})
#: custom-field namespaces Zenodo knows; keys of the first group hold lists of values
LIST_NAMESPACES = frozenset({"dwc", "gbif-dwc", "ac", "dc", "openbiodiv", "obo", "mixs",
                             "gbif"})
OTHER_NAMESPACES = frozenset({"legacy", "journal", "meeting", "imprint", "thesis", "code"})
ACCESS_VALUES = frozenset({"public", "restricted"})
TOP_KEYS = frozenset({"metadata", "custom_fields", "access", "files", "pids", "parent",
                      "media_files", "id", "links"})
_EDTF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_DWC_DATES = frozenset({"dwc:eventDate", "dwc:dateIdentified", "ac:digitizationDate"})
_DWC_NUMBERS = frozenset({"dwc:decimalLatitude", "dwc:decimalLongitude"})

Errors = list[dict[str, Any]]


def _err(errors: Errors, field: str, message: str) -> None:
    errors.append({"field": field, "messages": [message]})


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def is_edtf(value: Any) -> bool:
    """Return whether ``value`` is an EDTF level-0 date or interval (``1876``, ``a/b``)."""
    if not isinstance(value, str):
        return False
    parts = value.split("/")
    return 1 <= len(parts) <= 2 and all(_EDTF.match(p) for p in parts)


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else None


def _list(errors: Errors, md: dict[str, Any], key: str) -> list[Any]:
    value = md.get(key, [])
    if not isinstance(value, list):
        _err(errors, f"metadata.{key}", "Not a valid list.")
        return []
    return value


def _check_creator(errors: Errors, where: str, entry: Any) -> None:
    person = entry.get("person_or_org") if isinstance(entry, dict) else None
    if not isinstance(person, dict):
        _err(errors, f"{where}.person_or_org", MISSING)
        return
    kind = person.get("type")
    if kind == "personal":
        if not _text(person.get("family_name")):
            _err(errors, f"{where}.person_or_org.family_name", "Family name must be filled.")
    elif kind == "organizational":
        if not _text(person.get("name")):
            _err(errors, f"{where}.person_or_org.name", "Name cannot be blank.")
    else:
        _err(errors, f"{where}.person_or_org.type",
             f"Invalid value. Choose one of ['organizational', 'personal'], got {kind!r}.")
    for i, ident in enumerate(person.get("identifiers") or []):
        if not isinstance(ident, dict) or not _text(ident.get("identifier")):
            _err(errors, f"{where}.person_or_org.identifiers.{i}.identifier", MISSING)
    for i, aff in enumerate(entry.get("affiliations") or []):
        if not isinstance(aff, dict) or not (_text(aff.get("name")) or _text(aff.get("id"))):
            _err(errors, f"{where}.affiliations.{i}",
                 "An existing id or a free text name must be present.")


def _check_core(errors: Errors, md: dict[str, Any]) -> None:
    rtype = _id_of(md.get("resource_type"))
    if rtype is None:
        _err(errors, "metadata.resource_type", MISSING)
    elif rtype not in RESOURCE_TYPES:
        _err(errors, "metadata.resource_type.id", f"The resource type '{rtype}' is invalid.")
    if not _text(md.get("title")):
        _err(errors, "metadata.title", MISSING)
    date = md.get("publication_date")
    if date in (None, ""):
        _err(errors, "metadata.publication_date", MISSING)
    elif not is_edtf(date):
        _err(errors, "metadata.publication_date", "Please provide a valid date or interval.")
    creators = md.get("creators")
    if not isinstance(creators, list) or not creators:
        _err(errors, "metadata.creators", MISSING)
    else:
        for i, entry in enumerate(creators):
            _check_creator(errors, f"metadata.creators.{i}", entry)
    for i, entry in enumerate(_list(errors, md, "contributors")):
        _check_creator(errors, f"metadata.contributors.{i}", entry)
    if "description" in md and not isinstance(md["description"], str):
        _err(errors, "metadata.description", "Not a valid string.")


def _check_vocabularies(errors: Errors, md: dict[str, Any]) -> None:
    for i, right in enumerate(_list(errors, md, "rights")):
        rid = _id_of(right)
        if rid is not None and str(rid).lower() not in LICENSES:
            _err(errors, f"metadata.rights.{i}.id", f"Invalid license provided: {rid}")
        elif rid is None and not (isinstance(right, dict) and right.get("title")):
            _err(errors, f"metadata.rights.{i}", "An existing id or a free text title must "
                 "be present.")
    for i, subject in enumerate(_list(errors, md, "subjects")):
        if not isinstance(subject, dict) or not (_text(subject.get("subject"))
                                                 or _text(subject.get("id"))):
            _err(errors, f"metadata.subjects.{i}", "An existing id or a free text subject "
                 "must be present.")
    for i, ident in enumerate(_list(errors, md, "identifiers")):
        if not isinstance(ident, dict) or not _text(ident.get("identifier")):
            _err(errors, f"metadata.identifiers.{i}.identifier", MISSING)
    for i, rel in enumerate(_list(errors, md, "related_identifiers")):
        where = f"metadata.related_identifiers.{i}"
        if not isinstance(rel, dict) or not _text(rel.get("identifier")):
            _err(errors, f"{where}.identifier", MISSING)
        elif str(_id_of(rel.get("relation_type"))).lower() not in RELATION_TYPES:
            _err(errors, f"{where}.relation_type", f"Invalid relation type: "
                 f"{_id_of(rel.get('relation_type'))}")
    for i, lang in enumerate(_list(errors, md, "languages")):
        code = _id_of(lang)
        if not isinstance(code, str) or len(code) != 3:
            _err(errors, f"metadata.languages.{i}.id", f"Language not found: {code}")
    for i, item in enumerate(_list(errors, md, "dates")):
        where = f"metadata.dates.{i}"
        if not isinstance(item, dict) or not is_edtf(item.get("date")):
            _err(errors, f"{where}.date", "Please provide a valid date or interval.")
        elif _id_of(item.get("type")) not in DATE_TYPES:
            _err(errors, f"{where}.type.id", f"Invalid date type: {_id_of(item.get('type'))}")


def _check_point(errors: Errors, where: str, geometry: Any) -> None:
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        _err(errors, f"{where}.geometry.type", "Invalid GeoJSON geometry type.")
        return
    if geometry["type"] != "Point":
        return
    coords = geometry.get("coordinates")
    numbers = isinstance(coords, list) and len(coords) == 2 and all(
        isinstance(c, int | float) and not isinstance(c, bool) for c in coords)
    if not numbers or not (-180 <= coords[0] <= 180 and -90 <= coords[1] <= 90):
        _err(errors, f"{where}.geometry.coordinates",
             "A Point needs [longitude, latitude] within range.")


def _check_locations(errors: Errors, md: dict[str, Any]) -> None:
    if "locations" not in md:
        return
    locations = md["locations"]
    features = locations.get("features") if isinstance(locations, dict) else None
    if not isinstance(features, list):
        _err(errors, "metadata.locations.features", "Not a valid list.")
        return
    for i, feature in enumerate(features):
        where = f"metadata.locations.features.{i}"
        if not isinstance(feature, dict) or not any(
                feature.get(k) for k in ("geometry", "place", "identifiers", "description")):
            _err(errors, where, "At least one of ['geometry', 'place', 'identifiers', "
                 "'description'] should be present.")
        elif "geometry" in feature:
            _check_point(errors, where, feature["geometry"])


def _check_custom_fields(errors: Errors, custom: Any) -> None:
    if not isinstance(custom, dict):
        _err(errors, "custom_fields", "Not a valid mapping.")
        return
    for key, value in custom.items():
        where = f"custom_fields.{key}"
        namespace = key.split(":", 1)[0] if ":" in key else ""
        if namespace not in LIST_NAMESPACES | OTHER_NAMESPACES:
            _err(errors, where, "Unknown field.")
        elif namespace in LIST_NAMESPACES and not isinstance(value, list):
            _err(errors, where, "Not a valid list.")
        elif key in _DWC_NUMBERS and not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            _err(errors, where, "Not a valid number.")
        elif key in _DWC_DATES and not all(is_edtf(v) for v in value):
            _err(errors, where, "Please provide a valid date or interval.")


def _check_access(errors: Errors, access: Any) -> None:
    if access is None:
        return
    if not isinstance(access, dict):
        _err(errors, "access", "Not a valid mapping.")
        return
    for key in ("record", "files"):
        if key in access and access[key] not in ACCESS_VALUES:
            _err(errors, f"access.{key}", f"Must be one of: public, restricted (got "
                 f"{access[key]!r}).")
    if access.get("record") == "restricted":
        _err(errors, "access.record", "Restricted records are not allowed.")


def validate_rdm(body: Any) -> Errors:
    """List every problem InvenioRDM finds in a record body (empty list = valid).

    :param body: ``{"metadata": {...}, "custom_fields": {...}, "access": {...},
        "files": {"enabled": true}}``
    """
    errors: Errors = []
    if not isinstance(body, dict):
        return [{"field": "_schema", "messages": ["Invalid input type."]}]
    for key in sorted(set(body) - TOP_KEYS):
        _err(errors, key, "Unknown field.")
    md = body.get("metadata")
    if not isinstance(md, dict):
        _err(errors, "metadata", MISSING if md is None else "Not a valid mapping.")
    else:
        _check_core(errors, md)
        _check_vocabularies(errors, md)
        _check_locations(errors, md)
    _check_custom_fields(errors, body.get("custom_fields", {}))
    _check_access(errors, body.get("access"))
    files = body.get("files", {"enabled": True})
    if not isinstance(files, dict) or not isinstance(files.get("enabled", True), bool):
        _err(errors, "files.enabled", "Not a valid boolean.")
    return errors
