"""Property test: any row either maps to metadata the sandbox would publish, or is quarantined
with a reason; nothing crashes validation or mapping."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from zenodo.config.collection_file import CollectionConfig, ImageTemplate
from zenodo.metadata.mapping import Mapper, MappingError, load_mapping
from zenodo.source.extract import row_to_record
from zenodo.source.specimen import FileSpec
from zenodo.validate.validator import has_errors, validate_record
from zenodo_sandbox.validation import validate_for_publish  # fails clearly if absent

WEIRD = st.text(alphabet=st.characters(exclude_categories=()), max_size=30)
MAYBE_WEIRD = st.one_of(st.none(), WEIRD)


def _pick(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)


CLEAN = st.fixed_dictionaries(
    {
        "occurrenceID": st.one_of(
            st.from_regex(r"https://h\.example\.org/s/[A-Z0-9]{1,8}", fullmatch=True), st.none()
        ),
        "catalogNumber": st.from_regex(r"[A-Z]{2}[0-9]{4,8}", fullmatch=True),
        "institutionCode": _pick("BR", "TU"),
        "collectionCode": _pick("BR", "V"),
        "scientificName": _pick(
            "Allium angulosum L.",
            "Acer x verhaegheanum Geerinck",
            "Mentha ×smithiana",
            "Soja\u0301k & <b>",
            "محمد الأحمد",
        ),
        "family": _pick("Aceraceae", "Compositae", None),
        "eventDate": _pick("1985-05-15", "1931-06", "1900/1909", "2007-11-13/15", None),
        "decimalLatitude": st.one_of(st.none(), st.floats(-90, 90)),
        "decimalLongitude": st.one_of(st.none(), st.floats(-180, 180)),
        "countryCode": _pick("BE", "CD", "ZZ", None),
        "locality": _pick("Meise", "Reval (=Tallinn) " * 40, "l[è]vre << &", None),
        "language": _pick("fra", "en", None),
        "license": _pick(
            "CC0-1.0", "cc-by", "cc-by-sa", "gpl-3.0",
            "http://creativecommons.org/licenses/by/4.0/legalcode", None,
        ),
        "modified": st.one_of(st.none(), st.datetimes()),
    }
)
HOSTILE: dict[str, st.SearchStrategy[Any]] = {
    "occurrenceID": MAYBE_WEIRD,
    "catalogNumber": st.one_of(_pick("../x", "a/b", ".h", "A\x07B", None), WEIRD),
    "institutionCode": MAYBE_WEIRD,
    "scientificName": st.one_of(_pick("", "A" * 600), MAYBE_WEIRD, st.integers()),
    "family": st.one_of(WEIRD, st.integers()),
    "eventDate": st.one_of(
        _pick("1931-06-00", "VI.1931", "1931-02-30", "2931-01-01", "1931-06-27T00:00:00+0000"),
        WEIRD,
    ),
    "year": st.integers(-5, 3000),
    "decimalLatitude": st.one_of(st.floats(), _pick("12,5", "0", "95")),
    "decimalLongitude": st.one_of(st.floats(), _pick("0", "200")),
    "countryCode": st.one_of(_pick("UK", "cd", ""), WEIRD),
    "locality": st.one_of(_pick("x" * 2500), WEIRD),
    "language": st.one_of(_pick("french"), WEIRD),
    "license": st.one_of(_pick("proprietary"), WEIRD),
    "modified": WEIRD,
}


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a clean row and spoil up to three of its fields with hostile values."""
    row = draw(CLEAN)
    for key in draw(st.lists(st.sampled_from(sorted(HOSTILE)), max_size=3, unique=True)):
        row[key] = draw(HOSTILE[key])
    return row


FILES = st.one_of(
    st.just(["jpg"]),
    st.lists(
        _pick("jpg", "tif", "png", "empty", "wrong", "truncated", "missing", "from-catalog"),
        max_size=4,
    ),
)
MAPPERS: dict[str, Mapper] = {}


def _write(folder: Path, index: int, kind: str) -> FileSpec:
    name = {"tif": f"f{index}.tif", "png": f"f{index}.png"}.get(kind, f"f{index}.jpg")
    path = folder / name
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "wrong":
        Image.new("RGB", (4, 4)).save(path, format="PNG")
    elif kind != "missing":
        fmt = {"tif": "TIFF", "png": "PNG"}.get(kind, "JPEG")
        Image.new("RGB", (4, 4), (1, 2, 3)).save(path, format=fmt)
        if kind == "truncated":
            path.write_bytes(path.read_bytes()[:-4])
    return FileSpec(path, name)


def test_any_row_maps_to_publishable_metadata_or_is_quarantined() -> None:
    outcomes = {"published": 0, "quarantined": 0, "mapping_failed": 0}
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        config = CollectionConfig(
            id="prop",
            db_url="sqlite://",
            db_conn_id=None,
            table="t",
            query=None,
            mapping="pilot1",
            image_root=root,
            image_templates=(ImageTemplate("{catalogNumber}.jpg"),),
        )
        for name in ("pilot1", "pilot2", "dwc-rich"):
            MAPPERS[name] = Mapper(
                load_mapping(name), cache_dir=root / "cache", today=dt.date(2026, 1, 1)
            )
        counter = iter(range(10**9))

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(row=rows(), files=FILES)
        def check(row: dict[str, Any], files: list[str]) -> None:
            folder = root / f"ex{next(counter)}"
            folder.mkdir()
            record = row_to_record(config, row, row_number=1)
            specs = [
                _write(folder, i, kind) for i, kind in enumerate(files) if kind != "from-catalog"
            ]
            keep = tuple(record.images) if "from-catalog" in files else ()
            record = dataclasses.replace(record, images=keep + tuple(specs))
            problems = validate_record(record, image_root=root, extra_files=1)
            if has_errors(problems):
                assert all(p.reason and p.field and p.key for p in problems)
                outcomes["quarantined"] += 1
                return
            for mapper in MAPPERS.values():
                try:
                    mapped = mapper.map(record)
                except MappingError as exc:
                    assert exc.field and exc.reason and exc.key == record.key
                    outcomes["mapping_failed"] += 1
                    continue
                errors = validate_for_publish(mapped.metadata, len(mapped.files))
                assert errors == [], (mapper.spec.name, errors, mapped.metadata)
                outcomes["published"] += 1

        check()
    # the property must have exercised both paths, not only the quarantine one
    assert outcomes["published"] > 0 and outcomes["quarantined"] > 0, outcomes
