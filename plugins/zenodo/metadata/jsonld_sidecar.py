"""The JSON-LD Darwin Core sidecar (pilot 1's ``<catalogNumber>.json``) and its subjects.

Its shape is described in docs/mappings.md; the same record always gives the same bytes, so
its md5 changes only when the data does.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from zenodo.source.specimen import SpecimenRecord, alternate_identifier, is_uri

CONTEXT = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "dwc": "http://rs.tdwg.org/dwc/terms/",
    "gbif": "http://rs.gbif.org/terms/1.0/",
}
#: Darwin Core text-archive column names that are Dublin Core terms, not dwc: terms.
DCTERMS_TERMS = frozenset({
    "type", "modified", "language", "license", "rightsHolder", "accessRights",
    "bibliographicCitation", "references", "identifier", "created", "title", "source",
})
NUMERIC_TERMS = frozenset({"year", "month", "day", "decimalLatitude", "decimalLongitude"})
_FORMATS = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".tif": "image/tiff",
            ".tiff": "image/tiff", ".png": "image/png", ".jp2": "image/jp2"}


def prefixed(term: str) -> str:
    """Return the prefixed name of a term (``family`` → ``dwc:family``)."""
    if ":" in term:
        return term
    return f"dcterms:{term}" if term in DCTERMS_TERMS else f"dwc:{term}"


def expand(name: str) -> str:
    """Return the full IRI of a prefixed name."""
    prefix, _, local = name.partition(":")
    return CONTEXT.get(prefix, prefix + ":") + local


def _json_value(term: str, value: Any) -> Any:
    if term in NUMERIC_TERMS and not isinstance(value, bool):
        try:
            number = float(str(value))
        except ValueError:
            return str(value)
        return int(number) if number.is_integer() and term in ("year", "month", "day") else number
    return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def build_document(record: SpecimenRecord, file_names: list[str],
                   exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Build the JSON-LD document of one record.

    :param record: the record
    :param file_names: upload names of the image files, in upload order
    :param exclude: terms (source names) to leave out
    """
    identifier = record.key if is_uri(record.key) else alternate_identifier(record)
    node: dict[str, Any] = {"@id": identifier, "@type": "dwc:Occurrence"}
    for term, value in record.terms.items():
        if term not in exclude:
            node[prefixed(term)] = _json_value(term, value)
    graph: list[dict[str, Any]] = [node]
    for name in file_names:
        graph.append({
            "@type": "gbif:Multimedia",
            "dcterms:type": "StillImage",
            "dcterms:identifier": name,
            "dcterms:format": _FORMATS.get(Path(name).suffix.lower(), "application/octet-stream"),
            "dcterms:references": {"@id": identifier},
        })
    return {"@context": dict(CONTEXT), "@graph": graph}


def subjects_from_document(document: dict[str, Any]) -> list[dict[str, str]]:
    """Turn the occurrence node into Zenodo subjects, as pilot 1 did.

    One subject per term, in document order: ``{"term": value, "identifier": term IRI,
    "scheme": "url"}`` for Darwin Core IRIs and ``"purl"`` for purl.org IRIs.
    """
    node = document["@graph"][0]
    subjects = []
    for name, value in node.items():
        if name.startswith("@"):
            continue
        iri = expand(name)
        scheme = "purl" if iri.startswith("http://purl.org/") else "url"
        subjects.append({"term": str(value), "identifier": iri, "scheme": scheme})
    return subjects


def serialise(document: dict[str, Any]) -> bytes:
    """Return the document's bytes (UTF-8, two-space indent, LF line ends)."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` unless it already holds exactly those bytes."""
    if path.is_file() and path.read_bytes() == content:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".sidecar-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
