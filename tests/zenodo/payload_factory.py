"""Build registered specimens (ledger row + payload + small real files) for engine tests."""

from __future__ import annotations

import hashlib
import pathlib
from typing import Any

from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore, SpecimenPayload
from zenodo.metadata.identity import key_keyword, search_query_for
from zenodo.source.specimen import FileSpec

COLLECTION = "herbarium_test"


def specimen_key(index: int) -> str:
    """The stable key of test specimen ``index``."""
    return f"urn:catalog:TEST:HERB:{index:05d}"


def metadata_for(key: str, index: int, *, title_suffix: str = "") -> dict[str, Any]:
    """Publishable deposit metadata that carries the key as the mapping would."""
    return {
        "upload_type": "image",
        "image_type": "photo",
        "publication_date": "2026-11-24",
        "title": f"Quercus robur L. (HERB{index:05d}){title_suffix}",
        "creators": [{"name": "Test Herbarium"}],
        "description": f"<p>Herbarium specimen HERB{index:05d}.</p>",
        "access_right": "open",
        "license": "cc-by-4.0",
        "keywords": ["Fagaceae", key_keyword(key)],
        "related_identifiers": [
            {"identifier": key, "relation": "isAlternateIdentifier", "scheme": "urn"}
        ],
    }


def rdm_body_for(key: str, index: int, *, title_suffix: str = "") -> dict[str, Any]:
    """A publishable InvenioRDM record body that carries the key as an RDM mapping would."""
    return {
        "metadata": {
            "resource_type": {"id": "image-photo"},
            "publication_date": "2026-11-24",
            "title": f"Quercus robur L. (HERB{index:05d}){title_suffix}",
            "creators": [{"person_or_org": {"type": "organizational",
                                            "name": "Test Herbarium"}}],
            "description": f"<p>Herbarium specimen HERB{index:05d}.</p>",
            "rights": [{"id": "cc-by-4.0"}],
            "publisher": "Zenodo",  # zenodo.org's RDM API refuses to publish without one
            "subjects": [{"subject": "Fagaceae"}, {"subject": key_keyword(key)}],
            "identifiers": [{"identifier": key, "scheme": "urn"}],
        },
        "custom_fields": {"dwc:family": ["Fagaceae"], "dwc:catalogNumber": [f"HERB{index:05d}"]},
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
    }


def register_specimens(
    ledger: Ledger, tmp_path: pathlib.Path, count: int, *, start: int = 0, files_each: int = 1,
    schema: str = "deposit",
) -> list[str]:
    """Write files, register ``count`` specimens as NEW and store their payloads.

    :param schema: ``deposit`` metadata, or an ``rdm`` record body.
    """
    store = PayloadStore(ledger)
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)
    payloads = []
    for index in range(start, start + count):
        key = specimen_key(index)
        specs = []
        for part in range(files_each):
            path = folder / f"HERB{index:05d}_{part}.jpg"
            content = f"specimen {index} image {part} ".encode() * (50 + index % 7)
            path.write_bytes(content)
            md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
            specs.append(FileSpec(path, path.name, len(content), md5))
        metadata = rdm_body_for(key, index) if schema == "rdm" else metadata_for(key, index)
        ledger.register(
            COLLECTION,
            key,
            metadata_hash=hashlib.sha256(repr(metadata).encode()).hexdigest(),
            files=[{"name": s.name, "size": s.size, "md5": s.md5} for s in specs],
            mapping_name="test",
            mapping_version="1",
            source_modified=None,
        )
        payloads.append(SpecimenPayload(key, metadata, tuple(specs), search_query_for(schema, key)))
    store.put_many(COLLECTION, payloads)
    return [p.key for p in payloads]


def publish_in_ledger(ledger: Ledger, collection: str, key: str, *, record_id: int) -> None:
    """Take a registered specimen through draft, files and publish in the ledger alone, as the
    engine records them."""
    owner = "test-owner"
    ledger.claim(collection, [key], owner=owner, ttl_s=60)
    row = ledger.get(collection, key)
    ledger.record_draft(collection, key, owner=owner, deposition_id=record_id, bucket_url="b")
    for entry in row.files:
        ledger.record_file(collection, key, owner=owner, name=entry.name, size=entry.size,
                           md5=entry.md5)
    ledger.record_uploaded(collection, key, owner=owner)
    ledger.record_published(collection, key, owner=owner, record_id=record_id,
                            doi=f"10.5072/zenodo.{record_id}",
                            concept_doi=f"10.5072/zenodo.{record_id - 1}")
    ledger.release(collection, [key], owner=owner)


def published_by_key(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Group the sandbox's published records by the specimen key they carry."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        for rel in record.get("metadata", {}).get("related_identifiers", []):
            if rel.get("relation") == "isAlternateIdentifier":
                grouped.setdefault(rel["identifier"], []).append(record)
    return grouped
