"""Check InvenioRDM record bodies the way zenodo.org does.

Three steps, as InvenioRDM runs them (invenio-drafts-resources' ``RecordService``):

* :func:`load_body` loads a body sent to create or update a draft with the record schema
  (:mod:`zenodo_sandbox.rdm_schema`): the loaded part is saved, the problems are listed in
  the draft's ``errors``. Unknown top-level keys are dropped silently; unknown keys inside
  ``metadata``, ``access``, ``files`` and ``custom_fields`` are errors.
* :func:`check_vocabularies` refuses (400 ``Invalid value X.``) ids missing from a vocabulary
  (resource types, languages, licences, roles, date/relation/title/description types), as
  the record's relations do when a draft is saved: nothing is saved.
* :func:`validate_rdm` lists what stops a publish: the schema's errors on the saved body,
  vocabulary problems, and the publisher DataCite needs. The sandbox adds its file checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from zenodo_sandbox.core import ApiError
from zenodo_sandbox.rdm_fields import (
    Field,
    Invalid,
    Schema,
    boolean,
    integer,
    iso_date,
    list_of,
    load,
    mapping,
    number,
    text,
)
from zenodo_sandbox.rdm_schema import EDTF_DATETIME, METADATA, VOCABULARY
from zenodo_sandbox.rdm_vocabularies import (
    CUSTOM_FIELDS,
    DATE_TYPES,
    DEPOSITABLE_TYPES,
    DESCRIPTION_TYPES,
    LINKABLE_TYPES,
    RELATION_TYPES,
    ROLES,
    TITLE_TYPES,
    known_language,
    known_licence,
    vocabulary_error,
)

Errors = list[dict[str, Any]]
NO_PUBLISHER = "Missing publisher field required for DOI registration."
NOT_A_VALID_VALUE = "Not a valid value."
RESTRICTED = "You don't have permissions to manage record access."
FILES_OPTIONS = "You don't have permissions to manage files options."


def _nullable(loader: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else loader(value)


_KINDS: dict[str, Callable[[Any], Any]] = {
    "keyword": list_of(text()), "text": list_of(text()), "double": list_of(number),
    "integer": list_of(integer), "isodate": list_of(iso_date),
    "edtf": list_of(EDTF_DATETIME), "keyword1": text(), "vocabulary": VOCABULARY,
    "vocabularies": list_of(VOCABULARY), "object": mapping,
    "relationships": list_of(Schema({"subject": Field(list_of(text())),
                                     "object": Field(list_of(text()))})),
    "subjects": list_of(Schema({"term": Field(text()), "identifier": Field(text()),
                                "scheme": Field(text())})),
}
CUSTOM = Schema({name: Field(_KINDS[kind]) for name, kind in CUSTOM_FIELDS.items()})


def _protection(name: str) -> Callable[[Any], Any]:
    return text(choices=["public", "restricted"],
                choice_message=f"'{name}' must be either 'public' or 'restricted'")


def _embargo(data: dict[str, Any]) -> dict[str, Any] | None:
    until = data.get("until")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    if data.get("active") and (until is None or until < today):
        return {"until": ["Embargo end date must be set to a future date."]}
    if data.get("active") is False and until is not None and until > today:
        return {"until": ["Embargo end date must be unset or in the past."]}
    return None


ACCESS = Schema({
    "record": Field(_protection("record"), required=True),
    "files": Field(_protection("files"), required=True),
    "embargo": Field(Schema({"active": Field(_nullable(boolean)),
                             "until": Field(_nullable(iso_date)),
                             "reason": Field(_nullable(text()))}, checks=[_embargo])),
    "status": Field(text()),
})
FILES = Schema({"enabled": Field(boolean), "default_preview": Field(_nullable(text())),
                "order": Field(list_of(text()))},
               before=lambda d: {k: v for k, v in d.items()
                                 if k not in ("count", "total_bytes", "entries")})


def _pids(value: Any) -> dict[str, Any]:
    value = mapping(value)
    bad = {k: ["Invalid persistent identifier scheme."] for k in value
           if k not in ("doi", "oai")}
    if bad:
        raise Invalid(bad)
    return value


BODY = Schema({
    "metadata": Field(METADATA), "custom_fields": Field(CUSTOM), "access": Field(ACCESS),
    "files": Field(FILES), "media_files": Field(FILES), "pids": Field(_pids),
    "parent": Field(Schema({"review": Field(mapping)}, unknown="exclude")),
}, unknown="exclude")


def load_body(body: Any) -> tuple[dict[str, Any], Errors]:
    """Load a draft body; return what is kept and the problems (``errors``)."""
    kept, errors = load(BODY, body)
    return kept, errors


def _ids(items: Any, key: str | None = None) -> list[Any]:
    entries = items if isinstance(items, list) else []
    found = []
    for entry in entries:
        value = entry.get(key) if key and isinstance(entry, dict) else entry
        if isinstance(value, dict) and "id" in value:
            found.append(value["id"])
    return found


def vocabulary_problems(body: dict[str, Any]) -> Errors:
    """List ids of the body missing from their vocabularies (``field``: where, in order of
    InvenioRDM's record relations; ``messages``: ``Invalid value X.``)."""
    md = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    rtype = md.get("resource_type")
    checks: list[tuple[str, list[Any], Callable[[Any], bool]]] = [
        ("metadata.languages", _ids(md.get("languages")), known_language),
        ("metadata.resource_type", _ids([rtype]), LINKABLE_TYPES.__contains__),
        ("metadata.rights", _ids(md.get("rights")), known_licence),
        ("metadata.related_identifiers",
         _ids(md.get("related_identifiers"), "resource_type"), LINKABLE_TYPES.__contains__),
        ("metadata.additional_titles", _ids(md.get("additional_titles"), "type"),
         TITLE_TYPES.__contains__),
        ("metadata.additional_titles", _ids(md.get("additional_titles"), "lang"),
         known_language),
        ("metadata.creators", _ids(md.get("creators"), "role"), ROLES.__contains__),
        ("metadata.contributors", _ids(md.get("contributors"), "role"), ROLES.__contains__),
        ("metadata.additional_descriptions",
         _ids(md.get("additional_descriptions"), "type"), DESCRIPTION_TYPES.__contains__),
        ("metadata.additional_descriptions",
         _ids(md.get("additional_descriptions"), "lang"), known_language),
        ("metadata.dates", _ids(md.get("dates"), "type"), DATE_TYPES.__contains__),
        ("metadata.related_identifiers",
         _ids(md.get("related_identifiers"), "relation_type"), RELATION_TYPES.__contains__),
    ]
    problems = [{"field": where, "messages": [vocabulary_error(value)]}
                for where, values, known in checks for value in values
                if not (isinstance(value, str) and known(value))]
    if isinstance(rtype, dict) and rtype.get("id") in LINKABLE_TYPES - DEPOSITABLE_TYPES:
        problems.append({"field": "metadata.resource_type", "messages": [NOT_A_VALID_VALUE]})
    return problems


def check_vocabularies(body: dict[str, Any]) -> None:
    """Refuse a body naming an unknown vocabulary id (400, nothing saved), as InvenioRDM's
    record relations do when a draft is committed."""
    problems = vocabulary_problems(body)
    if problems:
        raise ApiError(400, problems[0]["messages"][0])


def publisher_problems(body: dict[str, Any]) -> Errors:
    """Zenodo registers DataCite DOIs: a record without ``metadata.publisher`` gets none."""
    md = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    return [] if md.get("publisher") else [{"field": "metadata.publisher",
                                            "messages": [NO_PUBLISHER]}]


def schema_errors(body: dict[str, Any]) -> Errors:
    """The record schema's errors on a saved draft body (what publish checks first)."""
    full = {"metadata": {}, **{k: v for k, v in body.items() if k != "parent"}}
    return load(BODY, full)[1]


def validate_rdm(body: Any) -> Errors:
    """List every problem zenodo.org finds in a record body before publishing it (empty list
    = publishable, files aside).

    :param body: ``{"metadata": {...}, "custom_fields": {...}, "access": {...},
        "files": {"enabled": true}}``
    """
    if not isinstance(body, dict):
        return [{"field": "_schema", "messages": ["Invalid input type."]}]
    errors = schema_errors(body)
    errors += vocabulary_problems(body)
    if (body.get("access") or {}).get("record") == "restricted":
        errors.append({"field": "access", "messages": [RESTRICTED]})
    if (body.get("files") or {}).get("enabled") is False:
        errors.append({"field": "files.enabled", "messages": [FILES_OPTIONS]})
    return errors + publisher_problems(body)
