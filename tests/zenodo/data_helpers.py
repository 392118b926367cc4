"""Helpers shared by the extract/validate/map tests: records, real image files, mappings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from zenodo.source.specimen import FileSpec, SpecimenRecord, derive_key, normalise_terms

MAPPINGS = Path(__file__).resolve().parents[2] / "include" / "mappings"

BARLERIA = {
    "occurrenceID": "http://www.botanicalcollections.be/specimen/BR0000008525000",
    "catalogNumber": "BR0000008525000",
    "institutionCode": "BR",
    "basisOfRecord": "PRESERVED_SPECIMEN",
    "scientificName": "Barleria velutina Champl.",
    "family": "Acanthaceae",
    "genus": "Barleria",
    "recordedBy": "Malaisse F. & Goetghebeur P.",
    "eventDate": "1985-05-15",
    "year": 1985,
    "month": 5,
    "day": 15,
    "countryCode": "CD",
    "locality": "Shinkolobwe, terr[itoire] Kambove",
    "decimalLatitude": -11.0333,
    "decimalLongitude": 26.5667,
    "language": "fra",
}


def write_jpeg(path: Path, size: tuple[int, int] = (8, 8)) -> Path:
    """Write a small real JPEG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (120, 160, 90)).save(path, format="JPEG")
    return path


def write_kind(path: Path, kind: str) -> Path:
    """Write a small real image of ``kind`` (JPEG, PNG or TIFF) whatever the extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (10, 20, 30)).save(path, format=kind)
    return path


def make_record(
    root: Path,
    terms: dict[str, Any] | None = None,
    files: dict[str, str] | None = None,
    row_number: int = 1,
) -> SpecimenRecord:
    """Build a record with real image files under ``root`` (name -> Pillow format)."""
    normalised = normalise_terms(dict(BARLERIA if terms is None else terms))
    specs = []
    for name, kind in (files if files is not None else {"BR0000008525000.jpg": "JPEG"}).items():
        path = root / name
        if kind:
            write_kind(path, kind)
        specs.append(FileSpec(path, name))
    return SpecimenRecord(
        derive_key(normalised), normalised, "2013-09-23", tuple(specs), row_number
    )


def bumped_mapping(folder: Path) -> Path:
    """Write a copy of the ``pilot1`` mapping with a new version number and nothing else
    changed into ``folder``; return its path."""
    source = (MAPPINGS / "pilot1.yaml").read_text(encoding="utf-8")
    assert 'version: "1.0.0"' in source
    path = folder / "pilot1-v1.1.yaml"
    path.write_text(source.replace('version: "1.0.0"', 'version: "1.1.0"'), encoding="utf-8")
    return path
