"""Read a legacy deposit body the way zenodo.org does on create and update.

Zenodo turns the legacy body into an InvenioRDM draft (zenodo-rdm
``legacy/deserializers``), saves the draft even when InvenioRDM finds problems in it
(dropping the offending values), and answers with the legacy serialisation of what it kept
(``legacy/serializers/schemas/legacyjson.py``). :func:`load` does all three: it returns the
metadata Zenodo keeps, in legacy form (what the sandbox stores; :func:`echo` turns it into
what the deposit API shows), and the draft problems. It raises :class:`MetadataError` (400
with field errors) where Zenodo's deserialiser refuses, and :class:`InvalidValue` (400
``Invalid value <id>.``) where a vocabulary id is unknown.

Transforms it applies (each one Zenodo's): ``publication_date`` defaults to today,
``access_right`` to ``open`` and ``imprint_publisher`` to ``Zenodo``; a missing licence of an
open or embargoed record becomes CC-BY-4.0 (CC0-1.0 for datasets); licence ids are echoed
in their legacy form (``CC0-1.0`` as ``cc-zero``); ``closed`` is echoed as ``restricted``;
``language`` becomes ISO 639-3 (``en`` -> ``eng``); grant ``777483`` becomes
``10.13039/501100000780::777483``; related identifiers get a detected scheme and a
normalised value; creator names become ``Family, Given``; thesis supervisors become
contributors of type ``Supervisor``; ``publication_type: thesis`` becomes ``dissertation``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from zenodo_sandbox import legacy_ids, legacy_people, licenses
from zenodo_sandbox.custom_fields import load_custom
from zenodo_sandbox.legacy_errors import InvalidValue, MetadataError, error
from zenodo_sandbox.legacy_people import Draft
from zenodo_sandbox.vocabularies import (
    DATE_TYPES,
    RELATION_TYPES,
    RESOURCE_TYPES,
    ROLE_IDS,
    known_language,
    valid_edtf,
)

TOP_KEYS = frozenset({"metadata", "files"})
STRINGS = ("title", "description", "publication_date", "version", "imprint_publisher")
#: legacy keys Zenodo keeps as custom fields (journal, meeting, imprint, thesis)
PASSED = ("journal_title", "journal_volume", "journal_issue", "journal_pages",
          "conference_title", "conference_acronym", "conference_dates", "conference_place",
          "conference_url", "conference_session", "conference_session_part", "imprint_isbn",
          "imprint_place", "partof_pages", "partof_title", "thesis_university")
UNKNOWN_ACCESS = "Unknown access type."
NOT_FUTURE = "Embargo end date must be set to a future date."


@dataclass
class Loaded:
    """What Zenodo keeps of a body: the echoed metadata and the draft's problems."""

    metadata: dict[str, Any]
    draft_errors: list[dict[str, Any]]


def _string(md: dict[str, Any], key: str, errors: list[dict[str, Any]]) -> str | None:
    value = md[key]
    if value is None:
        errors.append(error(f"metadata.{key}", "Field may not be null."))
    elif not isinstance(value, str):
        errors.append(error(f"metadata.{key}", "Not a valid string."))
    else:
        return clean(value)
    return None


def clean(text: str) -> str:
    """Return ``text`` as Zenodo's ``SanitizedUnicode`` keeps it (trimmed, no control chars)."""
    kept = "".join(c for c in text.strip() if c in "\t\n\r" or ord(c) >= 32)
    return kept.replace("\u200b", "").replace("\ufffe", "").replace("\uffff", "")


def _default_license(md: dict[str, Any]) -> None:
    if md and "license" not in md and md.get("access_right", "open") in ("open", "embargoed"):
        md["license"] = "CC0-1.0" if md.get("upload_type") == "dataset" else "CC-BY-4.0"


def _license(value: Any) -> str | None:
    """Return the echoed licence id (None: kept by title only); raise when Zenodo refuses."""
    where = "metadata.license"
    if value is None:
        raise MetadataError([error(where, "Field may not be null.")])
    if not isinstance(value, dict | str):
        raise MetadataError([error(where, "Invalid license value provided (expected string, "
                                          f"or object with 'id' key): {value}")])
    rdm = licenses.rdm_id(value)
    if rdm:
        return licenses.legacy_id(rdm)
    if isinstance(value, dict) and "id" not in value:
        raise MetadataError([error(where, "Invalid license object provided (missing 'id' "
                                          f"key): {value}")])
    if licenses.title_only(value):
        return None
    shown = value.get("id") if isinstance(value, dict) else value
    raise MetadataError([error(where, f"Invalid license provided: {shown}")])


def _access(md: dict[str, Any]) -> dict[str, Any]:
    access, embargo = md.get("access_right"), md.get("embargo_date")
    if access in (None, "open"):
        return {"access_right": "open"}
    if access in ("restricted", "closed"):
        return {"access_right": "restricted"}
    if access == "embargoed" and embargo:
        return {"access_right": "embargoed", "embargo_date": embargo}
    raise MetadataError([error("_schema", UNKNOWN_ACCESS)])


def embargo_problem(date: Any, today: str) -> str | None:
    """Return InvenioRDM's complaint about an embargo end date (None: a future date)."""
    try:
        until = dt.date.fromisoformat(str(date)[:10])
    except ValueError:
        return "Not a valid date."
    return NOT_FUTURE if until.isoformat() <= today else None


def _communities(md: dict[str, Any]) -> list[dict[str, str]]:
    communities = md.get("communities")
    if not communities:
        return []
    if not isinstance(communities, list) or not all(
            isinstance(c, dict) and "identifier" in c for c in communities):
        raise MetadataError([error("communities", "Communities must be an array of objects "
                                                  "with an 'identifier' key.")])
    return [{"identifier": c["identifier"]} for c in communities]


def _resource_type(md: dict[str, Any]) -> str | None:
    kind = md.get("upload_type")
    if not kind:
        return None
    sub = md.get(f"{kind}_type")
    rtype = f"{kind}-{sub}" if sub else str(kind)
    return "publication-dissertation" if rtype == "publication-thesis" else rtype


def _fields(md: dict[str, Any], draft: Draft, out: dict[str, Any],
            facts: dict[str, Any]) -> list[dict[str, Any]]:
    """Load the metadata fields into ``out``; return the deserialiser's field errors."""
    errors: list[dict[str, Any]] = []
    related, alternate = legacy_ids.split_related(md.get("related_identifiers", []))
    for key in STRINGS:
        if key in md:
            value = _string(md, key, errors)
            if value is not None:
                out[key] = value
    out.setdefault("publication_date", facts["today"])
    out.setdefault("imprint_publisher", "Zenodo")
    loaders = {
        "creators": lambda v: legacy_people.load_creators(v, draft),
        "grants": lambda v: legacy_people.load_grants(v) if v else None,
        "license": _license,
        "locations": legacy_people.load_locations,
        "keywords": lambda v: legacy_people.load_keywords(v) if v else None,
        "dates": lambda v: legacy_people.load_dates(v, draft)[0],
        "references": legacy_people.load_references,
        "language": legacy_ids.load_language,
        "subjects": lambda v: legacy_people.load_subjects(v) if v else None,
    }
    for key, loader in loaders.items():
        if key not in md:
            continue
        if md[key] is None and key != "subjects":
            errors.append(error(f"metadata.{key}", "Field may not be null."))
            continue
        try:
            out[key] = loader(md[key])
        except MetadataError as exc:
            errors.extend(exc.errors)
    try:
        facts["related"] = legacy_ids.load_related(related, alternate)
    except MetadataError as exc:
        errors.extend(exc.errors)
    if not isinstance(md.get("custom", {}), dict):
        errors.append(error("metadata.custom", "Not a valid mapping."))
    try:
        out["contributors"], facts["roles"] = legacy_people.load_contributors(md, draft)
    except MetadataError as exc:
        errors.extend(exc.errors)
    return errors


def _check_draft(out: dict[str, Any], draft: Draft, today: str) -> None:
    """Drop what InvenioRDM refuses in a draft, recording why."""
    for key, minimum in (("title", 3), ("description", 3)):
        if key in out and len(out[key]) < minimum:
            draft.add(f"metadata.{key}", f"Shorter than minimum length {minimum}.")
            del out[key]
    if "publication_date" in out and not valid_edtf(out["publication_date"]):
        draft.add("metadata.publication_date", "Please provide a valid date or interval.")
        del out["publication_date"]
    if len(out.get("version", "")) > 191:
        draft.add("metadata.version", "Longer than maximum length 191.")
        del out["version"]
    if "language" in out and out["language"] is None:
        draft.add("metadata.languages.0.id", "Field may not be null.")
        del out["language"]
    if "embargo_date" in out and (problem := embargo_problem(out["embargo_date"], today)):
        draft.add("access.embargo.until", problem)


def _check_vocabularies(out: dict[str, Any], facts: dict[str, Any]) -> None:
    """Raise :class:`InvalidValue` for the first unknown vocabulary id, in Zenodo's order."""
    language = out.get("language")
    if language is not None and not (language == language.lower() and known_language(language)):
        raise InvalidValue(language, "metadata.languages.0.id")
    if facts["rtype"] is not None and facts["rtype"] not in RESOURCE_TYPES:
        raise InvalidValue(facts["rtype"], "metadata.resource_type.id")
    related = facts.get("related", [])
    for i, entry in enumerate(related):
        if entry.get("resource_type") and entry["resource_type"] not in RESOURCE_TYPES:
            raise InvalidValue(entry["resource_type"],
                               f"metadata.related_identifiers.{i}.resource_type.id")
    for i, role in enumerate(facts.get("roles", [])):
        if role not in ROLE_IDS:
            raise InvalidValue(role, f"metadata.contributors.{i}.role.id")
    for i, date in enumerate(out.get("dates", [])):
        if date["type"] not in DATE_TYPES:
            raise InvalidValue(date["type"], f"metadata.dates.{i}.type.id")
    for i, entry in enumerate(related):
        kind = entry["relation_type"]
        if kind != "isalternateidentifier" and kind not in RELATION_TYPES:
            raise InvalidValue(kind, f"metadata.related_identifiers.{i}.relation_type.id")


def _extras(md: dict[str, Any], out: dict[str, Any], draft: Draft) -> None:
    """Notes, method, journal/meeting/imprint/thesis keys, custom fields, external DOI."""
    for key in ("notes", "method", *PASSED):
        value = md.get(key)
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()
    for key in ("notes", "method"):
        if key in out and len(out[key]) < 3:
            draft.add("metadata.additional_descriptions", "Shorter than minimum length 3.")
            del out[key]
    custom, dropped = load_custom(md.get("custom") or {})
    for name in dropped:
        draft.add(f"custom_fields.{name}", "Unknown field or invalid value.")
    if custom:
        out["custom"] = custom
    if isinstance(md.get("doi"), str) and md["doi"].strip():
        out["doi"] = md["doi"].strip()


def load(body: Any, today: str) -> Loaded:
    """Return what Zenodo keeps of a create/update ``body`` (see the module docstring).

    :param today: the server's date (``YYYY-MM-DD``), the default publication date
    """
    if not isinstance(body, dict):
        raise MetadataError([error("_schema", "Invalid input type.")])
    unknown = sorted(set(body) - TOP_KEYS)
    if unknown:
        raise MetadataError([error(key, "Unknown field.") for key in unknown])
    if "metadata" not in body:
        return Loaded({"access_right": "open"}, [])
    md = body["metadata"]
    if not isinstance(md, dict):
        message = "Field may not be null." if md is None else "Invalid input type."
        raise MetadataError([error("metadata", message)])
    md = dict(md)
    _default_license(md)
    draft, out = Draft(), {}
    facts: dict[str, Any] = {"today": today, "rtype": _resource_type(md)}
    errors = _fields(md, draft, out, facts)
    if errors:
        raise MetadataError(errors)
    out.update(_access(md))
    communities = _communities(md)
    _extras(md, out, draft)
    _check_draft(out, draft, today)
    _check_vocabularies(out, facts)
    return Loaded(_echo(out, facts, communities), draft.errors)


def echo(metadata: dict[str, Any]) -> dict[str, Any]:
    """Return stored metadata as the deposit API shows it (changes ``metadata`` in place).

    A date that is not an interval loses ``start``/``end`` (Zenodo's ``DateSchema`` dumps
    them for intervals only); licence ids show in their legacy form.
    """
    for date in metadata.get("dates") or []:
        if isinstance(date, dict) and not (date.get("start") and date.get("end")):
            date.pop("start", None)
            date.pop("end", None)
    rdm = licenses.rdm_id(metadata.get("license"))
    if rdm:
        metadata["license"] = licenses.legacy_id(rdm)
    return metadata


_ORDER = ("title", "doi", "publication_date", "description", "access_right", "embargo_date",
          "creators", "contributors", "keywords", "subjects", "related_identifiers",
          "locations", "dates", "version", "references", "language", "custom", "notes",
          "method", "grants", "license", *PASSED[:11], "imprint_publisher", *PASSED[11:],
          "communities")


def _echo(out: dict[str, Any], facts: dict[str, Any], communities: list) -> dict[str, Any]:
    """Return the legacy metadata Zenodo answers with (empty values left out)."""
    out["related_identifiers"] = legacy_ids.echo_related(facts.get("related", []))
    out["communities"] = communities
    echo = {key: out[key] for key in _ORDER if out.get(key) not in (None, [], {})}
    rtype = facts["rtype"]
    if rtype:
        kind = rtype.split("-")[0]
        echo["upload_type"] = kind
        if "-" in rtype:
            echo[f"{kind}_type"] = rtype.split("-")[-1]
    return echo
