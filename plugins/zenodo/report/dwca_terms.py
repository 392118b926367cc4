"""What a published specimen's stored payload says for its Darwin Core Archive rows: Darwin
Core terms, creators, licence.

Terms come from Zenodo's Darwin Core custom fields of the metadata (``custom`` of a deposit,
``custom_fields`` of an RDM body) and, when the specimen's JSON-LD sidecar is still on disk
with the md5 the ledger recorded, from its occurrence node (every term of the source row).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Licence ids (Zenodo's, SPDX's, any case) → the licence's URL, as GBIF prefers them.
LICENSE_URLS = {
    "cc0-1.0": "http://creativecommons.org/publicdomain/zero/1.0/legalcode",
    "cc-zero": "http://creativecommons.org/publicdomain/zero/1.0/legalcode",
    "cc-by-4.0": "http://creativecommons.org/licenses/by/4.0/legalcode",
    "cc-by-nc-4.0": "http://creativecommons.org/licenses/by-nc/4.0/legalcode",
    "cc-by-sa-4.0": "http://creativecommons.org/licenses/by-sa/4.0/legalcode",
}
_EXTRA_TYPES = {".jp2": "image/jp2", ".json": "application/ld+json"}
_SIDECAR_MAX = 1_000_000


def mime_type(name: str) -> str:
    """Return a file's MIME type from its name (``application/octet-stream`` when unknown)."""
    suffix = Path(name).suffix.lower()
    return _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or \
        "application/octet-stream"


def license_url(value: Any) -> str | None:
    """Return the licence of ``value`` (an id, ``{"id": …}`` or a URL) as a URL where known."""
    if isinstance(value, Mapping):
        value = value.get("link") or value.get("id")
    if not isinstance(value, str) or not value.strip():
        return None
    return LICENSE_URLS.get(value.strip().lower(), value.strip())


def _body(metadata: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """Return (descriptive metadata, Darwin Core custom fields) of a deposit or RDM payload."""
    if isinstance(metadata.get("metadata"), Mapping):  # an InvenioRDM record body
        return metadata["metadata"], metadata.get("custom_fields") or {}
    return metadata, metadata.get("custom") or {}


def creators(metadata: Mapping[str, Any]) -> list[str]:
    """Return the names of the record's creators, in order."""
    names = []
    for creator in _body(metadata)[0].get("creators") or ():
        who = creator.get("person_or_org", creator) if isinstance(creator, Mapping) else {}
        name = who.get("name") or ", ".join(
            part for part in (who.get("family_name"), who.get("given_name")) if part)
        if name:
            names.append(str(name))
    return names


def record_license(metadata: Mapping[str, Any]) -> str | None:
    """Return the record's licence URL (deposit ``license``, RDM ``rights[0]``)."""
    body = _body(metadata)[0]
    rights = body.get("rights")
    if isinstance(rights, Sequence) and rights and not isinstance(rights, str):
        return license_url(rights[0])
    return license_url(body.get("license"))


def _custom_terms(metadata: Mapping[str, Any]) -> dict[str, str]:
    terms = {}
    for name, value in _body(metadata)[1].items():
        prefix, _, term = str(name).partition(":")
        if prefix == "dwc" and term:
            first = value[0] if isinstance(value, list) and value else value
            if isinstance(first, str | int | float) and not isinstance(first, bool):
                terms[term] = str(first)
    return terms


def _sidecar_terms(files: Sequence[Mapping[str, Any]],
                   md5_by_name: Mapping[str, str]) -> dict[str, str]:
    """Terms of the occurrence node of a stored JSON-LD sidecar (none if gone or changed)."""
    for entry in files:
        name, path = entry.get("name"), Path(str(entry.get("path") or ""))
        if not str(name).endswith(".json") or not path.is_file():
            continue
        if path.stat().st_size > _SIDECAR_MAX:
            continue
        content = path.read_bytes()
        if hashlib.md5(content, usedforsecurity=False).hexdigest() != md5_by_name.get(name):
            continue
        try:
            graph = json.loads(content).get("@graph") or []
        except (ValueError, AttributeError):
            continue
        node = graph[0] if graph and isinstance(graph[0], dict) else {}
        if node.get("@type") != "dwc:Occurrence":
            continue
        return {name.partition(":")[2]: str(value) for name, value in node.items()
                if name.startswith(("dwc:", "dcterms:")) and not isinstance(value, dict | list)}
    return {}


def specimen_terms(metadata: Mapping[str, Any], files: Sequence[Mapping[str, Any]],
                   md5_by_name: Mapping[str, str]) -> dict[str, str]:
    """Return the specimen's Darwin Core terms (local names): custom fields, then sidecar.

    :param files: the payload's files (``name``, ``path``).
    :param md5_by_name: the md5 the ledger recorded per published file name.
    """
    return {**_custom_terms(metadata), **_sidecar_terms(files, md5_by_name)}
