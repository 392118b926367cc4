"""InvenioRDM's record metadata schema, as field specs for :mod:`zenodo_sandbox.rdm_fields`.

Follows invenio-rdm-records ``services/schemas/metadata.py`` (and the vocabulary relation,
identifier, EDTF and GeoJSON fields it uses from invenio-vocabularies and marshmallow-utils):
the same required fields, lengths, messages and error paths. Vocabulary ids are checked
later (:mod:`zenodo_sandbox.rdm_relations`), as InvenioRDM checks them when it saves.
"""

from __future__ import annotations

import re
from typing import Any

import idutils
from edtf import Date, DateAndTime, Interval, parse_edtf

from zenodo_sandbox.rdm_fields import (
    Field,
    Invalid,
    Schema,
    any_value,
    list_of,
    mapping,
    number,
    text,
)
from zenodo_sandbox.rdm_vocabularies import (
    IDENTIFIER_SCHEMES,
    LOCATION_SCHEMES,
    PERSONORG_SCHEMES,
)

EDTF_MESSAGE = "Please provide a valid date or interval."
PERSON_TYPES = "Invalid value. Choose one of ['organizational', 'personal']."
LOCATION_MESSAGE = ("At least one of ['geometry', 'place',                 identifiers', "
                    "'description'] must be present.")
_URL = re.compile(r"^(https?|ftps?)://[^\s/?#]+\.[^\s/?#]+(/[^\s]*)?$|^(https?|ftps?)://"
                  r"localhost(:\d+)?(/[^\s]*)?$", re.IGNORECASE)
_SCHEME_ERRORS = {"unknown": "No valid scheme recognized for identifier.",
                  "invalid": "Invalid scheme."}


def edtf(*types: type) -> Any:
    """An EDTF string of the given kinds, intervals in order (``EDTFValidator``)."""
    def load(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(["Not a valid string."])
        try:
            parsed = parse_edtf(value)
        except Exception as exc:  # the parser raises several kinds
            raise Invalid([EDTF_MESSAGE]) from exc
        if not isinstance(parsed, types) or parsed.upper_strict() < parsed.lower_strict():
            raise Invalid([EDTF_MESSAGE])
        return value
    return load


EDTF_DATE = edtf(Date, Interval)
EDTF_DATETIME = edtf(Date, DateAndTime, Interval)


def url(value: Any) -> str:
    """A URL with an http(s) or ftp(s) scheme and a host."""
    out = text()(value)
    if not _URL.match(out):
        raise Invalid(["Not a valid URL."])
    return out


def _clean_dump_only(*names: str) -> Any:
    def before(data: dict[str, Any]) -> dict[str, Any]:
        for name in names:
            data.pop(name, None)
        return data
    return before


VOCABULARY = Schema({"id": Field(text(), required=True)}, before=_clean_dump_only("title"))


def identifier_schema(schemes: dict[str, Any], required: bool = True,
                      extra: dict[str, Field] | None = None) -> Schema:
    """marshmallow-utils' IdentifierSchema: the scheme is detected when missing, checked,
    and the identifier normalised."""
    def detect(data: dict[str, Any]) -> dict[str, Any]:
        value = data.get("identifier")
        if isinstance(value, str) and value and not data.get("scheme"):
            found = [s for s in idutils.detect_identifier_schemes(value) if s in schemes]
            if found:
                data["scheme"] = found[0]
        return data

    def check(data: dict[str, Any]) -> dict[str, Any] | None:
        ident, scheme = data.get("identifier"), data.get("scheme")
        if not required and not ident and not scheme:
            return None
        errors: dict[str, Any] = {}
        if not scheme:
            errors["scheme"] = _SCHEME_ERRORS["unknown"] if ident else "Missing data for " \
                                                                     "required field."
        elif scheme not in schemes:
            errors["scheme"] = _SCHEME_ERRORS["invalid"]
        if not ident:
            errors["identifier"] = "Missing data for required field."
        elif scheme in schemes and not schemes[scheme][1](ident):
            errors["identifier"] = f"Invalid {schemes[scheme][0]} identifier."
        return errors or None

    def normalise(data: dict[str, Any]) -> dict[str, Any]:
        if data.get("identifier"):
            data["identifier"] = idutils.normalize_pid(data["identifier"], data["scheme"])
        return data

    fields = {"identifier": Field(text()), "scheme": Field(text()), **(extra or {})}
    return Schema(fields, checks=[check], before=detect, after=normalise)


def _one_per_scheme(items: list[Any]) -> str | None:
    schemes = [i.get("scheme") for i in items]
    return "Only one identifier per scheme is allowed." if len(schemes) != len(
        set(schemes)) else None


def _no_duplicate(items: list[Any]) -> str | None:
    pairs = [(i.get("scheme"), i.get("identifier")) for i in items]
    return "Duplicated identifier entry is not allowed." if len(pairs) != len(
        set(pairs)) else None


def _names(data: dict[str, Any]) -> dict[str, Any] | None:
    if data.get("type") == "personal" and not data.get("family_name"):
        return {"family_name": ["Family name cannot be blank."]}
    if data.get("type") == "organizational" and not data.get("name"):
        return {"name": ["Name cannot be blank."]}
    return None


def _fill_name(data: dict[str, Any]) -> dict[str, Any]:
    if data["type"] == "personal":
        data["name"] = ", ".join(n for n in (data.get("family_name"),
                                             data.get("given_name")) if n)
    else:
        data.pop("family_name", None)
        data.pop("given_name", None)
    return data


PERSON_OR_ORG = Schema({
    "type": Field(text(choices=["organizational", "personal"], choice_message=PERSON_TYPES),
                  required=True, missing_message=[PERSON_TYPES]),
    "name": Field(text()), "given_name": Field(text()), "family_name": Field(text()),
    "identifiers": Field(list_of(identifier_schema(PERSONORG_SCHEMES), _one_per_scheme)),
}, checks=[_names], after=_fill_name)


def relation(free_text: str, parent: str, extra: dict[str, Field] | None = None,
             unknown: str = "raise") -> Schema:
    """A vocabulary relation given by ``id`` or by free text (invenio-vocabularies)."""
    def check(data: dict[str, Any]) -> dict[str, Any] | None:
        if data.get("id") or data.get(free_text):
            return None
        return {parent: [f"An existing id or a free text {free_text} must be present."]}
    return Schema({"id": Field(text()), free_text: Field(text()), **(extra or {})},
                  unknown=unknown, checks=[check])


AFFILIATION = relation("name", "affiliations",
                       {"identifiers": Field(any_value, dump_only=True)})
SUBJECT = relation("subject", "subjects", {"identifiers": Field(list_of(identifier_schema(
    {**IDENTIFIER_SCHEMES}, required=False)))}, unknown="exclude")


def _affiliations(data: dict[str, Any]) -> dict[str, Any] | None:
    found = data.get("affiliations") or []
    names = {a.get("name", a.get("id")) for a in found}
    if found and len(names) != len(found):
        return {"affiliations": ["Duplicated affiliations: "
                                 + ", ".join({n for n in names if n})]}
    return None


def creatibutor(role_required: bool) -> Schema:
    """CreatorSchema (role optional) or ContributorSchema (role required)."""
    return Schema({"person_or_org": Field(PERSON_OR_ORG, required=True),
                   "role": Field(VOCABULARY, required=role_required),
                   "affiliations": Field(list_of(AFFILIATION))}, checks=[_affiliations])


def _locale(value: Any) -> dict[str, Any]:
    value = mapping(value)
    if len(value) > 1:
        raise Invalid(["Only one value is accepted."])
    if value and next(iter(value)) != "en":
        raise Invalid(["Not a valid locale."])
    return value


def _rights(data: dict[str, Any]) -> dict[str, Any] | None:
    if not data.get("id") and not data.get("title"):
        return {"rights": ["An existing id or a free text title must be present"]}
    if data.get("id") and len(data) > 1:
        return {"rights": ["Only an existing id or free text title/description/link is "
                           "accepted, but not both cases at the same time"]}
    return None


RIGHTS = Schema({
    "id": Field(text()), "title": Field(_locale), "description": Field(_locale),
    "icon": Field(any_value, dump_only=True),
    "props": Field(Schema({"url": Field(url), "scheme": Field(text())})),
    "link": Field(url)}, checks=[_rights])


def _related(data: dict[str, Any]) -> dict[str, Any] | None:
    return None if data.get("relation_type") else {
        "relation_type": "Missing data for required field."}


RELATED = identifier_schema(IDENTIFIER_SCHEMES, extra={
    "relation_type": Field(VOCABULARY), "resource_type": Field(VOCABULARY)})
RELATED.checks.append(_related)


def _award(data: dict[str, Any]) -> dict[str, Any] | None:
    if data.get("id") or data.get("number") or data.get("title"):
        return None
    return {"award": ["An existing id or either number or title must be present."]}


FUNDING = Schema({
    "funder": Field(relation("name", "funder"), required=True),
    "award": Field(Schema({"id": Field(text()), "number": Field(text()),
                           "title": Field(mapping), "acronym": Field(text()),
                           "program": Field(text()), "identifiers": Field(list_of(
                               identifier_schema({"url": IDENTIFIER_SCHEMES["url"]},
                                                 required=False)))}, checks=[_award])),
})
REFERENCE = identifier_schema(IDENTIFIER_SCHEMES, required=False,
                              extra={"reference": Field(text(), required=True)})


def _position(value: Any) -> str | None:
    if not isinstance(value, list) or len(value) not in (2, 3):
        return "a position must have exactly 2 or 3 values"
    return None


def _ring(ring: Any) -> str | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return "Each linear ring must contain at least 4 positions"
    if ring[0] != ring[-1]:
        return "Each linear ring must end where it started"
    return next((p for p in map(_position, ring) if p), None)


def geometry(value: Any) -> dict[str, Any]:
    """A GeoJSON Point, MultiPoint or Polygon (marshmallow-utils' GeometryObjectSchema)."""
    if not isinstance(value, dict):
        raise Invalid({"_schema": ["Invalid input type."]}, {})
    kind = value.get("type")
    if kind is None:
        raise Invalid({"type": ["Missing data for required field."]})
    depth = {"Point": 1, "MultiPoint": 2, "Polygon": 3}.get(kind)
    if depth is None:
        raise Invalid({"type": [f"Unsupported value: {kind}"]})
    unknown = {k: ["Unknown field."] for k in value if k not in ("type", "coordinates")}
    if "coordinates" not in value:
        raise Invalid({"coordinates": ["Missing data for required field."], **unknown})
    coords = _floats(value["coordinates"], depth)
    problem = (_position(coords) if kind == "Point" else
               next((p for p in map(_position, coords) if p), None) if kind == "MultiPoint"
               else next((p for p in map(_ring, coords) if p), None))
    if problem:
        raise Invalid({"coordinates": {"geojson": {"coordinates": problem}}, **unknown})
    if unknown:
        raise Invalid(unknown)
    return {"type": kind, "coordinates": coords}


def _floats(value: Any, depth: int) -> Any:
    if not isinstance(value, list):
        raise Invalid({"coordinates": ["Not a valid list."]})
    if depth == 1:
        try:
            return [number(v) for v in value]
        except Invalid as exc:
            raise Invalid({"coordinates": exc.messages}) from exc
    return [_floats(v, depth - 1) for v in value]


def _location(data: dict[str, Any]) -> dict[str, Any] | None:
    if any(data.get(k) for k in ("geometry", "place", "identifiers", "description")):
        return None
    return {"locations": LOCATION_MESSAGE}


LOCATION = Schema({
    "geometry": Field(geometry), "place": Field(text()),
    "identifiers": Field(list_of(identifier_schema(LOCATION_SCHEMES))),
    "description": Field(text())}, checks=[_location])

METADATA = Schema({
    "resource_type": Field(VOCABULARY, required=True),
    "creators": Field(list_of(creatibutor(False), lambda v: None if v else
                              "Missing data for required field."), required=True),
    "title": Field(text(min_len=3), required=True),
    "additional_titles": Field(list_of(Schema({
        "title": Field(text(min_len=3), required=True),
        "type": Field(VOCABULARY, required=True), "lang": Field(VOCABULARY)}))),
    "publisher": Field(text()),
    "publication_date": Field(EDTF_DATE, required=True),
    "subjects": Field(list_of(SUBJECT)),
    "contributors": Field(list_of(creatibutor(True))),
    "dates": Field(list_of(Schema({"date": Field(EDTF_DATETIME, required=True),
                                   "type": Field(VOCABULARY, required=True),
                                   "description": Field(text())}))),
    "languages": Field(list_of(VOCABULARY)),
    "identifiers": Field(list_of(identifier_schema(IDENTIFIER_SCHEMES), _no_duplicate)),
    "related_identifiers": Field(list_of(RELATED)),
    "sizes": Field(list_of(text(min_len=1, message="Size cannot be a blank string."))),
    "formats": Field(list_of(text(min_len=1, message="Format cannot be a blank string."))),
    "version": Field(text(max_len=191)),
    "rights": Field(list_of(RIGHTS)),
    "copyright": Field(text(min_len=1)),
    "description": Field(text(min_len=3)),
    "additional_descriptions": Field(list_of(Schema({
        "description": Field(text(min_len=3), required=True),
        "type": Field(VOCABULARY, required=True), "lang": Field(VOCABULARY)}))),
    "locations": Field(Schema({"features": Field(list_of(LOCATION))})),
    "funding": Field(list_of(FUNDING)),
    "references": Field(list_of(REFERENCE)),
})
