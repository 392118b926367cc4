"""What zenodo.org's legacy deserializer makes of deposit metadata: the InvenioRDM view the
records API (:mod:`zenodo_sandbox.zenodojson`) and the OAI-PMH formats serialise.

Follows zenodo-rdm ``legacy/deserializers/metadata.py`` and ``schemas.py``: names split at a
single comma (``Doe, Jane``; anything else is a family name), ``isAlternateIdentifier``
related identifiers become ``identifiers``, schemes are detected with idutils (as
marshmallow-utils' ``IdentifierSchema`` does), keywords become subjects while legacy
``subjects`` go to the ``legacy:subjects`` custom field, two-letter languages become ISO 639-3,
``closed`` access is ``restricted`` files, journal/conference/imprint/thesis fields become
custom fields (``partof_*`` lands in ``imprint:imprint``), grants become funding.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import idutils
import pycountry

from zenodo_sandbox.rdm_vocabularies import IDENTIFIER_SCHEMES
from zenodo_sandbox.record_vocab import FP7_FUNDER, FUNDERS


@dataclass
class Person:
    """A creator or contributor as InvenioRDM holds it."""

    name: str
    family: str
    given: str | None = None
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (scheme, value)
    affiliation: str | None = None
    role: str | None = None  # contributors only: a roles vocabulary id


@dataclass
class RecordView:
    """The RDM record Zenodo builds from legacy metadata (only what serialisers read)."""

    resource_type: str | None
    title: str | None
    description: str | None
    publication_date: str | None
    publisher: str
    version: str | None
    creators: list[Person]
    contributors: list[Person]
    keywords: list[str]
    legacy_subjects: list[dict[str, Any]]
    identifiers: list[dict[str, str]]  # alternate identifiers: identifier, scheme
    related: list[dict[str, Any]]  # identifier, scheme, relation (RDM id), resource_type
    dates: list[dict[str, str]]  # date (EDTF), type (RDM id), description
    locations: list[dict[str, Any]]  # place, description, lon, lat
    languages: list[str]
    references: list[str]
    notes: str | None
    method: str | None
    licence: Any  # the legacy licence value (string or ``{"id": ...}``), None when unset
    funding: list[tuple[str, str]]  # (funder DOI, award number)
    custom_fields: dict[str, Any]
    files_public: bool
    embargo_until: str | None

    def access_status(self, today: dt.date | None = None) -> str:
        """Return InvenioRDM's ``access.status``: open, embargoed or restricted."""
        if self.files_public:
            return "open"
        if self.embargo_until and self.embargo_until > (today or dt.date.today()).isoformat():
            return "embargoed"
        return "restricted"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _person(raw: dict[str, Any], role: str | None = None) -> Person:
    """Split ``name`` as Zenodo does; RDM then shows ``family, given``."""
    name = str(raw.get("name") or "")
    if name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
    else:
        family, given = name, None
    identifiers = []
    for scheme, normalise in (("orcid", idutils.normalize_orcid), ("gnd", idutils.normalize_gnd)):
        value = raw.get(scheme)
        if isinstance(value, str) and value:
            try:
                identifiers.append((scheme, normalise(value)))
            except (ValueError, IndexError, AttributeError):
                identifiers.append((scheme, value))
    return Person(name=", ".join(p for p in (family, given) if p), family=family,
                  given=given or None, identifiers=identifiers,
                  affiliation=_text(raw.get("affiliation")), role=role)


def scheme_of(identifier: str) -> str:
    """Return the first scheme idutils detects that InvenioRDM allows (``other`` if none)."""
    for scheme in idutils.detect_identifier_schemes(identifier):
        if scheme in IDENTIFIER_SCHEMES:
            return scheme
    return "other"


def _identifier(raw: dict[str, Any]) -> dict[str, str]:
    """Return ``{identifier, scheme}``: the scheme detected from the value (a ``scheme``
    given with it is ignored, as Zenodo ignores it) and the value normalised for it."""
    value = str(raw.get("identifier") or "").strip()
    scheme = scheme_of(value)
    with contextlib.suppress(ValueError, AttributeError):
        value = idutils.normalize_pid(value, scheme) if scheme != "other" else value
    return {"identifier": value, "scheme": scheme}


def _date(raw: dict[str, Any]) -> dict[str, str] | None:
    start, end = raw.get("start"), raw.get("end")
    value = (start if start == end else f"{start}/{end}") if start and end else start or end
    if not value:
        return None
    out = {"date": str(value), "type": str(raw.get("type") or "other").lower()}
    if raw.get("description"):
        out["description"] = str(raw["description"])
    return out


def _language(code: Any) -> list[str]:
    if not isinstance(code, str) or len(code) not in (2, 3):
        return []
    if len(code) == 3:
        return [code]
    found = pycountry.languages.get(alpha_2=code)
    return [found.alpha_3] if found else []


def _funding(grants: Any) -> list[tuple[str, str]]:
    out = []
    for grant in _dicts(grants):
        grant_id = str(grant.get("id") or "")
        funder, sep, award = grant_id.partition("::")
        if not sep:  # FP7 grants are given by number only
            funder, award = FP7_FUNDER, grant_id
        if award:
            out.append((funder, award))
    return out


def _custom_fields(md: dict[str, Any]) -> dict[str, Any]:
    groups = {
        "journal:journal": {"title": "journal_title", "volume": "journal_volume",
                            "issue": "journal_issue", "pages": "journal_pages"},
        "meeting:meeting": {k: f"conference_{k}" for k in (
            "title", "acronym", "dates", "place", "url", "session", "session_part")},
        "imprint:imprint": {"title": "partof_title", "pages": "partof_pages",
                            "isbn": "imprint_isbn", "place": "imprint_place"},
        "thesis:thesis": {"university": "thesis_university"},
    }
    out: dict[str, Any] = {}
    for name, keys in groups.items():
        value = {k: md[src] for k, src in keys.items() if md.get(src) not in (None, "")}
        if value:
            out[name] = value
    custom = md.get("custom")
    if isinstance(custom, dict):
        out.update(custom)
    return out


def view_of(md: dict[str, Any]) -> RecordView:
    """Return the RDM view of legacy deposit metadata ``md`` (as stored at publish)."""
    upload_type = md.get("upload_type")
    subtype = md.get(f"{upload_type}_type") if upload_type else None
    resource_type = (f"{upload_type}-{subtype}" if subtype else upload_type) \
        if isinstance(upload_type, str) else None
    related = _dicts(md.get("related_identifiers"))
    others = []
    for raw in related:
        if raw.get("relation") == "isAlternateIdentifier":
            continue
        relation = "isOriginalFormOf" if raw.get("relation") == "isOrignialFormOf" \
            else str(raw.get("relation") or "")
        item: dict[str, Any] = {**_identifier(raw), "relation": relation.lower()}
        if raw.get("resource_type"):
            item["resource_type"] = str(raw["resource_type"])
        others.append(item)
    supervisors = [_person(p, "supervisor") for p in _dicts(md.get("thesis_supervisors"))]
    contributors = [_person(p, str(p["type"]).lower() if p.get("type") else None)
                    for p in _dicts(md.get("contributors"))]
    access = md.get("access_right")
    keywords = md.get("keywords")
    references = md.get("references")
    return RecordView(
        resource_type=resource_type, title=_text(md.get("title")),
        description=_text(md.get("description")),
        publication_date=_text(md.get("publication_date")),
        publisher=_text(md.get("imprint_publisher")) or "Zenodo",
        version=_text(md.get("version")),
        creators=[_person(p) for p in _dicts(md.get("creators"))],
        contributors=supervisors + contributors,
        keywords=[k for k in keywords if isinstance(k, str) and k]
        if isinstance(keywords, list) else [],
        legacy_subjects=[{"term": s.get("term"), "identifier": s.get("identifier"),
                          "scheme": s.get("scheme")} for s in _dicts(md.get("subjects"))],
        identifiers=[_identifier(r) for r in related
                     if r.get("relation") == "isAlternateIdentifier"],
        related=others,
        dates=[d for d in (_date(raw) for raw in _dicts(md.get("dates"))) if d],
        locations=[{"place": loc.get("place"), "description": loc.get("description"),
                    "lat": loc.get("lat"), "lon": loc.get("lon")}
                   for loc in _dicts(md.get("locations"))],
        languages=_language(md.get("language")),
        references=[r for r in references if isinstance(r, str)]
        if isinstance(references, list) else [],
        notes=_text(md.get("notes")), method=_text(md.get("method")),
        licence=md.get("license"), funding=_funding(md.get("grants")),
        custom_fields=_custom_fields(md),
        files_public=access in (None, "open"),
        embargo_until=_text(md.get("embargo_date")) if access == "embargoed" else None,
    )


def funder_ids(funder_doi: str) -> tuple[str, str | None]:
    """Return (the funder id Zenodo stores: its ROR when known, acronym or None)."""
    ror, acronym = FUNDERS.get(funder_doi, (funder_doi, None))
    return ror, acronym
