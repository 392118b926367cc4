"""Related identifiers and language of legacy deposit metadata, as Zenodo reads and echoes them.

Zenodo ignores a sent ``scheme``: it detects it with idutils among InvenioRDM's identifier
schemes and stores the normalised identifier (``https://doi.org/10.1/x`` becomes ``10.1/x``
with scheme ``doi``). ``isAlternateIdentifier`` entries become alternate identifiers and are
echoed after the other related identifiers.
"""

from __future__ import annotations

from typing import Any

import idutils

from zenodo_sandbox.legacy_errors import MetadataError, error
from zenodo_sandbox.vocabularies import RELATIONS, language_id

#: InvenioRDM's record identifier schemes (detection keeps idutils' order)
SCHEMES = frozenset({
    "ark", "arxiv", "ads", "crossreffunderid", "cstr", "doi", "ean13", "eissn", "grid",
    "handle", "igsn", "isbn", "isni", "issn", "istc", "lissn", "lsid", "pmid", "purl", "rrid",
    "upc", "url", "urn", "wikidata", "w3id", "other",
})
ALTERNATE = "isAlternateIdentifier"


def split_related(value: Any) -> tuple[list[dict], list[dict]]:
    """Return (related, alternate) entries; raise as Zenodo's ``split_identifiers`` does."""
    if not isinstance(value, list):
        raise MetadataError([error("metadata.related_identifiers",
                                   "related_identifiers must be a list")])
    related, alternate = [], []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise MetadataError([error(f"metadata.related_identifiers.{i}",
                                       "Each related identifier must be an object")])
        relation = item.get("relation")
        if relation is not None and not isinstance(relation, str):
            raise MetadataError([error(f"metadata.related_identifiers.{i}.relation",
                                       "relation must be a string")])
        (alternate if relation == ALTERNATE else related).append(item)
    return related, alternate


def detect(identifier: Any, field: str) -> tuple[str, str]:
    """Return (normalised identifier, scheme); MetadataError when no scheme is recognised."""
    text = identifier.strip() if isinstance(identifier, str) else ""
    if not text:
        raise MetadataError([error(f"{field}.identifier", "Missing data for required field.")])
    scheme = next((s for s in idutils.detect_identifier_schemes(text) if s in SCHEMES), None)
    if scheme is None:
        raise MetadataError([error(f"{field}.scheme",
                                   "No valid scheme recognized for identifier.")])
    return idutils.normalize_pid(text, scheme), scheme


def load_related(related: list[dict], alternate: list[dict]) -> list[dict[str, Any]]:
    """Return stored entries ``{identifier, scheme, relation_type, resource_type?}``."""
    stored = []
    for item in related:
        relation = item.get("relation")
        if not isinstance(relation, str):
            raise MetadataError([error("metadata.related_identifiers",
                                       "Missing data for required field.")])
        if relation == "isOrignialFormOf":
            relation = "isOriginalFormOf"
        identifier, scheme = detect(item.get("identifier"), "metadata.related_identifiers")
        entry = {"identifier": identifier, "scheme": scheme, "relation_type": relation.lower()}
        if item.get("resource_type"):
            entry["resource_type"] = item["resource_type"]
        stored.append(entry)
    for item in alternate:
        identifier, scheme = detect(item.get("identifier"), "metadata.alternate_identifiers")
        stored.append({"identifier": identifier, "scheme": scheme,
                       "relation_type": "isalternateidentifier"})
    return stored


def echo_related(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the legacy ``related_identifiers`` Zenodo answers for stored entries."""
    out, alternates = [], []
    for entry in stored:
        item = {"identifier": entry["identifier"], "scheme": entry["scheme"]}
        if entry["relation_type"] == "isalternateidentifier":
            alternates.append({**item, "relation": ALTERNATE})
            continue
        if entry["relation_type"] in RELATIONS:
            item["relation"] = RELATIONS[entry["relation_type"]]
        if entry.get("resource_type"):
            item["resource_type"] = entry["resource_type"]
        out.append(item)
    return out + alternates


def load_language(value: Any) -> str | None:
    """Return the stored language id (None: dropped from the draft, as Zenodo does)."""
    if not isinstance(value, str) or len(value) not in (2, 3):
        raise MetadataError([error("metadata.language",
                                   "Language must be either ISO-639-1 or 639-2 compatible.")])
    return language_id(value)
