"""Check legacy deposit metadata the way zenodo.org does on create/update and on publish.

Three entry points:

* :func:`load_deposit_body` runs when a deposition is created or updated: it returns the
  metadata as Zenodo keeps and echoes it (defaults and transforms applied, see
  :mod:`zenodo_sandbox.legacy_in`), or raises :class:`MetadataError` (400 with field errors)
  or :class:`InvalidValue` (400 ``Invalid value <id>.``).
* :func:`publish_errors` lists what stops a publish of stored metadata: InvenioRDM's
  required fields (``metadata.resource_type``, ``metadata.creators``, ``metadata.title``,
  ``metadata.publication_date``), contributor roles, a past embargo date, missing files.
* :func:`validate_for_publish` is a pure function for callers that prepare metadata: every
  reason Zenodo would refuse ``metadata`` on create or publish, including the draft problems
  Zenodo silently drops on create (a title under 3 characters is dropped, then the publish
  fails on the missing title).

Errors use Zenodo's shape ``{"field": "metadata.title", "messages": ["..."]}`` with the field
names Zenodo answers (InvenioRDM's: ``metadata.resource_type``, not ``metadata.upload_type``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from zenodo_sandbox import licenses
from zenodo_sandbox.legacy_errors import MISSING, InvalidValue, MetadataError, error
from zenodo_sandbox.legacy_in import embargo_problem, load
from zenodo_sandbox.vocabularies import RELATIONS as _RELATIONS
from zenodo_sandbox.vocabularies import RESOURCE_TYPES, ROLES

__all__ = ["MISSING", "NO_FILES", "InvalidValue", "MetadataError", "license_id",
           "load_deposit_body", "publish_errors", "validate_for_publish"]

UPLOAD_TYPES = frozenset(t for t in RESOURCE_TYPES if "-" not in t)
PUBLICATION_TYPES = frozenset(t.split("-", 1)[1] for t in RESOURCE_TYPES
                              if t.startswith("publication-")) | {"thesis"}
IMAGE_TYPES = frozenset(t.split("-", 1)[1] for t in RESOURCE_TYPES if t.startswith("image-"))
ACCESS_RIGHTS = frozenset({"open", "embargoed", "restricted", "closed"})
#: InvenioRDM licence ids Zenodo accepts (legacy ids map onto them, see :mod:`licenses`)
LICENSES = licenses.RDM_IDS
RELATIONS = frozenset(_RELATIONS.values()) | {"isAlternateIdentifier"}
CONTRIBUTOR_TYPES = frozenset(ROLES.values())
NO_FILES = ("Missing uploaded files. To disable files for this record please mark it as "
            "metadata-only.")


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def license_id(value: Any) -> str | None:
    """Return the InvenioRDM licence id of a legacy ``license`` value (None if unknown)."""
    return licenses.rdm_id(value)


def load_deposit_body(body: Any, today: str | None = None) -> dict[str, Any]:
    """Return the metadata Zenodo keeps from a create/update body (raises on refusal).

    :param body: the parsed JSON body (``{}`` or ``{"metadata": {...}}``)
    :param today: the default ``publication_date`` (``YYYY-MM-DD``; default: today, UTC)
    """
    return load(body, today or _today()).metadata


def publish_errors(metadata: dict[str, Any], file_count: int,
                   today: str | None = None) -> list[dict[str, Any]]:
    """List what stops Zenodo publishing stored (already loaded) ``metadata``."""
    errors: list[dict[str, Any]] = []
    if metadata.get("access_right") == "embargoed":
        problem = embargo_problem(metadata.get("embargo_date"), today or _today())
        if problem:
            errors.append(error("access.embargo.until", problem))
    if not metadata.get("upload_type"):
        errors.append(error("metadata.resource_type", MISSING))
    creators = metadata.get("creators") or []
    if not creators:
        errors.append(error("metadata.creators", MISSING))
    for key, people in (("creators", creators), ("contributors", metadata.get("contributors"))):
        for i, person in enumerate(people or []):
            if not person.get("name"):
                errors.append(error(f"metadata.{key}.{i}.person_or_org.family_name",
                                    "Family name cannot be blank."))
            if key == "contributors" and person.get("type") is None:
                errors.append(error(f"metadata.contributors.{i}.role", MISSING))
    for key in ("title", "publication_date"):
        if not metadata.get(key):
            errors.append(error(f"metadata.{key}", MISSING))
    if file_count <= 0:
        errors.append(error("files.enabled", NO_FILES))
    return errors


def validate_for_publish(metadata: Any, file_count: int) -> list[dict[str, Any]]:
    """List every reason Zenodo would refuse ``metadata`` (empty list = publishable).

    :param metadata: legacy deposit metadata (the ``metadata`` object) as a client sends it
    :param file_count: number of files in the deposition (Zenodo refuses records without)
    """
    if not isinstance(metadata, dict):
        return [error("metadata", "Invalid input type.")]
    try:
        loaded = load({"metadata": metadata}, _today())
    except MetadataError as exc:
        return exc.errors
    except InvalidValue as exc:
        return [error(exc.field, str(exc))]
    found = list(loaded.draft_errors)
    seen = {e["field"] for e in found}
    found += [e for e in publish_errors(loaded.metadata, file_count) if e["field"] not in seen]
    return found
