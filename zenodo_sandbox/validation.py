"""Check legacy deposit metadata the way Zenodo does on create/update and on publish.

Two entry points:

* :func:`load_deposit_body` runs when a deposition is created or updated (Zenodo's
  deserialiser): unknown top-level keys, a bad license, malformed related identifiers,
  communities or custom fields, a bad language code are refused at once (400); unknown keys
  inside ``metadata`` are silently dropped.
* :func:`validate_for_publish` is a pure function that lists everything that stops a publish.
  Other parts of the project call it to check their mapped metadata before sending it.

Errors use Zenodo's current shape: ``{"field": "metadata.title", "messages": ["..."]}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

UPLOAD_TYPES = frozenset({
    "publication", "poster", "presentation", "dataset", "image", "video", "software", "lesson",
    "physicalobject", "other",
})
PUBLICATION_TYPES = frozenset({
    "annotationcollection", "book", "section", "conferencepaper", "datamanagementplan", "article",
    "patent", "preprint", "deliverable", "milestone", "proposal", "report",
    "softwaredocumentation", "taxonomictreatment", "technicalnote", "thesis", "workingpaper",
    "other",
})
IMAGE_TYPES = frozenset({"figure", "plot", "drawing", "diagram", "photo", "other"})
ACCESS_RIGHTS = frozenset({"open", "embargoed", "restricted", "closed"})
LICENSES = frozenset({
    "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nd-4.0", "cc-by-nc-4.0", "cc-by-nc-sa-4.0",
    "cc-by-nc-nd-4.0", "cc-by-3.0", "cc-by-sa-3.0", "cc-by-nc-3.0", "cc-by-2.0", "cc0-1.0",
    "cc-pdm-1.0", "mit", "apache-2.0", "bsd-2-clause", "bsd-3-clause", "gpl-2.0-or-later",
    "gpl-3.0-only", "gpl-3.0-or-later", "lgpl-3.0-or-later", "agpl-3.0-or-later", "mpl-2.0",
    "odc-by-1.0", "odbl-1.0", "pddl-1.0", "other-open", "other-at", "other-pd", "other-nc",
    "other-closed", "notspecified",
})
RELATIONS = frozenset({
    "isCitedBy", "cites", "isSupplementTo", "isSupplementedBy", "isContinuedBy", "continues",
    "isDescribedBy", "describes", "hasMetadata", "isMetadataFor", "isNewVersionOf",
    "isPreviousVersionOf", "isPartOf", "hasPart", "isReferencedBy", "references",
    "isDocumentedBy", "documents", "isCompiledBy", "compiles", "isVariantFormOf",
    "isOriginalFormOf", "isOrignialFormOf", "isIdenticalTo", "isAlternateIdentifier",
    "isReviewedBy", "reviews", "isDerivedFrom", "isSourceOf", "requires", "isRequiredBy",
    "isObsoletedBy", "obsoletes",
})
CONTRIBUTOR_TYPES = frozenset({
    "ContactPerson", "DataCollector", "DataCurator", "DataManager", "Distributor", "Editor",
    "HostingInstitution", "Producer", "ProjectLeader", "ProjectManager", "ProjectMember",
    "RegistrationAgency", "RegistrationAuthority", "RelatedPerson", "Researcher",
    "ResearchGroup", "RightsHolder", "Supervisor", "Sponsor", "WorkPackageLeader", "Other",
})
DATE_TYPES = frozenset({"Collected", "Valid", "Withdrawn"})
METADATA_KEYS = frozenset({
    "upload_type", "publication_type", "image_type", "publication_date", "title", "creators",
    "description", "access_right", "license", "embargo_date", "access_conditions", "doi",
    "prereserve_doi", "keywords", "subjects", "related_identifiers", "contributors",
    "references", "communities", "grants", "language", "version", "locations", "dates", "notes",
    "method", "imprint_publisher", "journal_title", "journal_volume", "journal_issue",
    "journal_pages", "conference_title", "conference_acronym", "conference_dates",
    "conference_place", "conference_url", "conference_session", "conference_session_part",
    "imprint_isbn", "imprint_place", "partof_title", "partof_pages", "thesis_supervisors",
    "thesis_university", "custom",
})
REQUIRED = ("upload_type", "publication_date", "title", "creators", "description",
            "access_right")
MISSING = "Missing data for required field."
NO_FILES = ("Missing uploaded files. To disable files for this record please mark it as "
            "metadata-only.")


class MetadataError(ValueError):
    """Deposit metadata refused; ``errors`` holds Zenodo-shaped error entries."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        """Keep the error entries."""
        super().__init__("; ".join(f"{e['field']}: {e['messages'][0]}" for e in errors))
        self.errors = errors


def _err(errors: list[dict[str, Any]], field: str, message: str) -> None:
    errors.append({"field": field, "messages": [message]})


def license_id(value: Any) -> str | None:
    """Return the lower-case license id of a ``license`` value (string or ``{"id": ...}``)."""
    if isinstance(value, dict):
        value = value.get("id")
    return value.lower() if isinstance(value, str) else None


def _check_shapes(md: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    """Append errors Zenodo's deserialiser raises already on create/update."""
    if "license" in md and license_id(md["license"]) not in LICENSES:
        _err(errors, "metadata.license", f"Invalid license provided: {md['license']}")
    related = md.get("related_identifiers", [])
    if not isinstance(related, list):
        _err(errors, "metadata.related_identifiers", "Not a valid list.")
    else:
        for i, rel in enumerate(related):
            where = f"metadata.related_identifiers.{i}"
            if not isinstance(rel, dict) or not str(rel.get("identifier") or "").strip():
                _err(errors, f"{where}.identifier", MISSING)
            elif rel.get("relation") not in RELATIONS:
                _err(errors, f"{where}.relation", f"Invalid relation type: {rel.get('relation')}")
    communities = md.get("communities", [])
    if not isinstance(communities, list) or not all(
        isinstance(c, dict) and isinstance(c.get("identifier"), str) and c["identifier"]
        for c in communities
    ):
        _err(errors, "metadata.communities", "Invalid communities: expected a list of "
             "objects with an 'identifier'.")
    language = md.get("language")
    if language is not None and (not isinstance(language, str) or len(language) not in (2, 3)):
        _err(errors, "metadata.language", f"Invalid language code: {language}")
    custom = md.get("custom", {})
    if not isinstance(custom, dict):
        _err(errors, "metadata.custom", "Not a valid mapping.")
    else:
        for key, value in custom.items():
            if not isinstance(value, list):
                _err(errors, f"metadata.custom.{key}", "Not a valid list.")


def load_deposit_body(body: Any) -> dict[str, Any]:
    """Return the metadata to store from a create/update body, or raise :class:`MetadataError`.

    :param body: the parsed JSON body (``{}`` or ``{"metadata": {...}}``)
    """
    if not isinstance(body, dict):
        raise MetadataError([{"field": "_schema", "messages": ["Invalid input type."]}])
    unknown = sorted(set(body) - {"metadata"})
    if unknown:
        raise MetadataError([{"field": key, "messages": ["Unknown field."]} for key in unknown])
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise MetadataError([{"field": "metadata", "messages": ["Invalid input type."]}])
    kept = {k: v for k, v in metadata.items() if k in METADATA_KEYS}
    errors: list[dict[str, Any]] = []
    _check_shapes(kept, errors)
    if errors:
        raise MetadataError(errors)
    return kept


def _check_people(md: dict[str, Any], key: str, errors: list[dict[str, Any]]) -> None:
    people = md.get(key)
    if people is None:
        return
    if not isinstance(people, list):
        _err(errors, f"metadata.{key}", "Not a valid list.")
        return
    for i, person in enumerate(people):
        if not isinstance(person, dict) or not str(person.get("name") or "").strip():
            _err(errors, f"metadata.{key}.{i}.name", "Name is required.")
        elif key == "contributors" and person.get("type") not in CONTRIBUTOR_TYPES:
            _err(errors, f"metadata.{key}.{i}.type",
                 f"Invalid contributor type: {person.get('type')}")


def _check_vocabularies(md: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    upload_type = md.get("upload_type")
    if upload_type is not None and upload_type not in UPLOAD_TYPES:
        _err(errors, "metadata.upload_type", f"Invalid upload type: {upload_type}")
    for kind, key, vocab in (("publication", "publication_type", PUBLICATION_TYPES),
                             ("image", "image_type", IMAGE_TYPES)):
        if upload_type == kind and not md.get(key):
            _err(errors, f"metadata.{key}", MISSING)
        elif key in md and md[key] not in vocab:
            _err(errors, f"metadata.{key}", f"Invalid {key.replace('_', ' ')}: {md[key]}")
    access = md.get("access_right")
    if access is not None and access not in ACCESS_RIGHTS:
        _err(errors, "metadata.access_right", f"Invalid access right: {access}")
    if access == "embargoed" and not md.get("embargo_date"):
        _err(errors, "metadata.embargo_date", MISSING)


def _check_dates(md: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    for key in ("publication_date", "embargo_date"):
        value = md.get(key)
        if value in (None, ""):
            continue
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            _err(errors, f"metadata.{key}", f"Not a valid date (YYYY-MM-DD): {value}")
    dates = md.get("dates", [])
    for i, item in enumerate(dates if isinstance(dates, list) else []):
        if not isinstance(item, dict) or not (item.get("start") or item.get("end")):
            _err(errors, f"metadata.dates.{i}", "Start date or end date is required.")
        elif item.get("type") not in DATE_TYPES:
            _err(errors, f"metadata.dates.{i}.type", f"Invalid date type: {item.get('type')}")
    locations = md.get("locations", [])
    for i, loc in enumerate(locations if isinstance(locations, list) else []):
        if not isinstance(loc, dict) or not loc.get("place"):
            _err(errors, f"metadata.locations.{i}.place", MISSING)


def validate_for_publish(metadata: dict[str, Any], file_count: int) -> list[dict[str, Any]]:
    """List every reason Zenodo would refuse to publish ``metadata`` (empty list = publishable).

    :param metadata: legacy deposit metadata (the ``metadata`` object)
    :param file_count: number of files in the deposition (Zenodo refuses records without files)
    """
    errors: list[dict[str, Any]] = []
    if not isinstance(metadata, dict):
        return [{"field": "metadata", "messages": ["Invalid input type."]}]
    for key in REQUIRED:
        value = metadata.get(key)
        if value is None or (isinstance(value, str | list) and not value):
            _err(errors, f"metadata.{key}", MISSING)
    if "title" in metadata and not isinstance(metadata["title"], str):
        _err(errors, "metadata.title", "Not a valid string.")
    _check_people(metadata, "creators", errors)
    _check_people(metadata, "contributors", errors)
    _check_vocabularies(metadata, errors)
    _check_dates(metadata, errors)
    keywords = metadata.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        _err(errors, "metadata.keywords", "Not a valid list of strings.")
    _check_shapes(metadata, errors)
    if file_count <= 0:
        _err(errors, "files.enabled", NO_FILES)
    return errors
