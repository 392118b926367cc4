"""Record identity: how a Zenodo record carries the key of its specimen, the search query that
finds it by that key, and the check that a search hit really is the specimen's record.
"""

from __future__ import annotations

from typing import Any

from zenodo.metadata.rdm_body import identifier_scheme
from zenodo.source.specimen import SpecimenRecord, alternate_identifier

KEY_KEYWORD_PREFIX = "specimen-key:"
DEPOSIT = "deposit"
RDM = "rdm"
#: What a mapping's ``schema:`` may say: the form of the metadata it produces.
SCHEMAS = (DEPOSIT, RDM)


class IdentifierClash(ValueError):
    """Raised when a mapped RDM body gives another identifier of the specimen's scheme."""


def key_keyword(key: str) -> str:
    """Return the keyword that marks a deposit as the one of specimen ``key``."""
    return KEY_KEYWORD_PREFIX + key


def _quoted_keyword(key: str) -> str:
    escaped = key_keyword(key).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def specimen_search_query(key: str) -> str:
    """Return the deposit-search ``q`` that finds the deposit of specimen ``key``."""
    return f"keywords:{_quoted_keyword(key)}"


def search_query_for(schema: str, key: str) -> str:
    """Return the search ``q`` that finds the record of specimen ``key``.

    ``deposit``: for ``GET /api/deposit/depositions`` (:func:`specimen_search_query`);
    ``rdm``: for ``GET /api/user/records``, on the key subject. Check every hit with
    :func:`deposit_matches_key` or :func:`rdm_matches_key`.

    :raises ValueError: for an unknown schema
    """
    if schema == DEPOSIT:
        return specimen_search_query(key)
    if schema == RDM:
        return f"metadata.subjects.subject:{_quoted_keyword(key)}"
    raise ValueError(f"unknown mapping schema {schema!r}; expected one of {SCHEMAS}")


def deposit_matches_key(metadata: dict[str, Any], key: str) -> bool:
    """Tell whether a deposition's metadata carries exactly the keyword of specimen ``key``.

    Search engines match phrases, not exact strings: check every hit of
    :func:`specimen_search_query` with this before trusting it.
    """
    keywords = metadata.get("keywords") or []
    return isinstance(keywords, list) and key_keyword(key) in keywords


def rdm_matches_key(body: dict[str, Any], key: str) -> bool:
    """Tell whether an RDM record or draft carries exactly the key subject of specimen ``key``.

    :param body: the record as ``GET /api/user/records`` or ``/api/records/{id}`` shows it
        (or a mapped body); the subject is looked for in ``metadata.subjects``
    """
    metadata = body.get("metadata") if isinstance(body, dict) else None
    subjects = metadata.get("subjects") if isinstance(metadata, dict) else None
    wanted = key_keyword(key)
    return isinstance(subjects, list) and any(
        isinstance(s, dict) and s.get("subject") == wanted for s in subjects)


def add_key(schema: str, record: SpecimenRecord, metadata: dict[str, Any]) -> None:
    """Put the specimen's key into its mapped metadata, where :func:`search_query_for` finds it.

    ``deposit``: the key keyword and the alternate identifier as ``isAlternateIdentifier``;
    ``rdm``: the key subject and the alternate identifier in ``metadata.identifiers``.

    :raises IdentifierClash: when an RDM body gives another identifier of the same scheme
        (InvenioRDM allows one identifier per scheme)
    """
    if schema == RDM:
        _add_rdm_key(record, metadata)
        return
    identifier = alternate_identifier(record)
    related = metadata.setdefault("related_identifiers", [])
    if not any(r.get("identifier") == identifier and r.get("relation") ==
               "isAlternateIdentifier" for r in related):
        scheme = "url" if identifier.lower().startswith("http") else "urn"
        related.append({"identifier": identifier, "relation": "isAlternateIdentifier",
                        "scheme": scheme})
    keywords = metadata.setdefault("keywords", [])
    if key_keyword(record.key) not in keywords:
        keywords.append(key_keyword(record.key))


def _add_rdm_key(record: SpecimenRecord, body: dict[str, Any]) -> None:
    metadata = body.setdefault("metadata", {})
    identifier = alternate_identifier(record)
    scheme = identifier_scheme(identifier)
    identifiers = metadata.setdefault("identifiers", [])
    if not any(i.get("identifier") == identifier for i in identifiers):
        clash = next((i for i in identifiers if i.get("scheme") == scheme), None)
        if clash is not None:
            raise IdentifierClash(
                f"the mapping gives the {scheme} identifier {clash.get('identifier')!r}, but "
                f"the specimen's is {identifier!r} (InvenioRDM allows one per scheme)")
        identifiers.append({"identifier": identifier, "scheme": scheme})
    subjects = metadata.setdefault("subjects", [])
    if not any(s.get("subject") == key_keyword(record.key) for s in subjects):
        subjects.append({"subject": key_keyword(record.key)})
