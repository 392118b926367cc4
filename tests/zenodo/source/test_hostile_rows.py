"""Hostile rows in real source databases: numbers, invalid UTF-8, NFD file names, invisible
characters. Each row ends registered or quarantined with a reason naming its field; the others
go on."""

from __future__ import annotations

import decimal
import unicodedata
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.zenodo.data_helpers import write_jpeg
from tests.zenodo.source.hostile_sources import TABLE, collection, create_source, source_url
from zenodo.config.collection_file import ImageTemplate
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.prepare import prepare_collection
from zenodo.ledger.states import State
from zenodo.source.extract import extract_records
from zenodo.source.specimen import normalise_number

TRIPLET = ("institutionCode", "collectionCode")


def _images(root: Path, names: list[str]) -> Path:
    for name in names:
        write_jpeg(root / f"{name}.jpg")
    return root


# -- numeric catalogue numbers --


@pytest.mark.parametrize(
    ("source_kind", "column", "values", "expected"),
    [
        ("postgres", sa.Numeric(30, 2),
         [decimal.Decimal(1234), decimal.Decimal("12345678901234567890"),
          decimal.Decimal("12345678901234567891"), decimal.Decimal("12.5")],
         ["1234", "12345678901234567890", "12345678901234567891", "12.5"]),
        ("postgres", sa.Double(), [1234.0, 0.1], ["1234", "0.1"]),
        ("sqlite", sa.REAL(), [1234.0, 0.1, 2.5e-7], ["1234", "0.1", "0.00000025"]),
        ("sqlite", sa.Numeric(30, 2), [1234.0, 1.5], ["1234", "1.5"]),
    ],
)
def test_numeric_catalogue_numbers_keep_their_exact_text(
    source_kind: str, column: sa.types.TypeEngine, values: list, expected: list[str],
    tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    url = source_url(source_kind, tmp_path, request)
    columns = {"institutionCode": sa.Text, "collectionCode": sa.Text, "catalogNumber": column}
    rows = [{"institutionCode": "BR", "collectionCode": "BR", "catalogNumber": v} for v in values]
    create_source(url, columns, rows).dispose()
    config = collection(url, _images(tmp_path / "img", expected))
    records = list(extract_records(config))
    assert [r.term("catalogNumber") for r in records] == expected
    assert [r.key for r in records] == [f"urn:catalog:BR:BR:{e}" for e in expected]
    assert len({r.key for r in records}) == len(values), "no two numbers collide"
    assert all(r.images[0].path.is_file() for r in records), "1234.jpg is found"


def test_number_normalisation_is_exact() -> None:
    assert normalise_number(decimal.Decimal("1234.00")) == 1234
    assert normalise_number(decimal.Decimal("1E+3")) == 1000
    assert normalise_number(decimal.Decimal("0.1234567890123456789")) == "0.1234567890123456789"
    assert normalise_number(12.5) == 12.5 and normalise_number(-11.0333) == -11.0333
    assert normalise_number(float("nan")) == "nan"
    assert normalise_number(decimal.Decimal("Infinity")) == "Infinity"


# -- invalid UTF-8 in a SQLite source --


def test_invalid_utf8_in_one_sqlite_row_quarantines_that_row_only(
    sqlite_ledger: Ledger, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    columns = {"occurrenceID": sa.Text, "catalogNumber": sa.Text, "scientificName": sa.Text}
    engine = create_source(url, columns, [
        {"occurrenceID": "urn:example:1", "catalogNumber": "C1", "scientificName": "Acer L."},
    ])
    with engine.begin() as conn:  # bytes that are not UTF-8, stored as TEXT
        conn.execute(sa.text(
            "INSERT INTO source_rows VALUES"
            " ('urn:example:2', 'C2', CAST(X'416365720AFF' AS TEXT)),"
            " (CAST(X'75726E3AFE' AS TEXT), 'C3', 'Acer L.'),"
            " ('urn:example:4', 'C4', 'Acer L.')"))
    engine.dispose()
    assert TABLE == "source_rows"
    config = collection(url, _images(tmp_path / "img", ["C1", "C2", "C3", "C4"]))

    result = prepare_collection(config, ledger=sqlite_ledger, cache_dir=tmp_path / "cache")

    assert result.rows == 4
    assert sqlite_ledger.get(config.id, "urn:example:1").state == State.NEW
    assert sqlite_ledger.get(config.id, "urn:example:4").state == State.NEW
    reasons = dict(result.quarantined)
    assert set(reasons) == {"urn:example:2", "urn:\ufffd"}
    assert any(r.startswith("scientificName:") and "not valid UTF-8" in r
               for r in reasons["urn:example:2"])
    assert any(r.startswith("occurrenceID:") and "not valid UTF-8" in r
               for r in reasons["urn:\ufffd"])
    assert sqlite_ledger.get(config.id, "urn:example:2").quarantine_reasons


# -- NFD file names --


@pytest.mark.parametrize("form", ["NFD", "NFC"])
def test_an_image_named_in_either_normalisation_is_found(
    form: str, sqlite_ledger: Ledger, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    name = "Soják-ő"
    root = tmp_path / "img"
    write_jpeg(root / f"{unicodedata.normalize(form, name)}.jpg")
    write_jpeg(root / f"{unicodedata.normalize(form, name)}_label.jpg")
    columns = {"occurrenceID": sa.Text, "catalogNumber": sa.Text, "scientificName": sa.Text}
    create_source(url, columns, [{"occurrenceID": "urn:example:1", "catalogNumber": name,
                                  "scientificName": "Acer L."}]).dispose()
    templates = (ImageTemplate("{catalogNumber}.jpg"), ImageTemplate("{catalogNumber}_*.jpg"))
    config = collection(url, root, image_templates=templates)

    result = prepare_collection(config, ledger=sqlite_ledger, cache_dir=tmp_path / "cache")

    assert result.quarantined == []
    row = sqlite_ledger.get(config.id, "urn:example:1")
    assert row.state == State.NEW
    assert [f.name for f in row.files] == [f"{name}.jpg", f"{name}_label.jpg"], "NFC names"
    assert all(unicodedata.is_normalized("NFC", f.name) for f in row.files)


# -- invisible formatting characters --


@pytest.mark.parametrize("source_kind", ["sqlite", "postgres"])
def test_invisible_characters_quarantine_keys_and_are_removed_from_text(
    source_kind: str, ledger: Ledger, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = source_url(source_kind, tmp_path, request)
    columns = {name: sa.Text for name in (
        "occurrenceID", *TRIPLET, "catalogNumber", "scientificName")}
    rows = [
        {"occurrenceID": "urn:example:1", "catalogNumber": "C1",
         "scientificName": "\u202eAcer campestre L."},
        {"occurrenceID": "urn:example:1\u200b", "catalogNumber": "C2",
         "scientificName": "Acer campestre L."},
        {"institutionCode": "BR", "collectionCode": "BR", "catalogNumber": "C3\u200b",
         "scientificName": "Acer campestre L."},
        {"institutionCode": "BR", "collectionCode": "BR", "catalogNumber": "C4",
         "scientificName": "Acer\u00ad campestre\u200d L."},
    ]
    create_source(url, columns, rows).dispose()
    config = collection(url, _images(tmp_path / "img", ["C1", "C2", "C3", "C4"]))

    result = prepare_collection(config, ledger=ledger, cache_dir=tmp_path / "cache")

    assert ledger.get(config.id, "urn:example:1").state == State.NEW
    assert ledger.get(config.id, "urn:catalog:BR:BR:C4").state == State.NEW
    reasons = dict(result.quarantined)
    assert set(reasons) == {"urn:example:1\u200b", "urn:catalog:BR:BR:C3%E2%80%8B"}
    for found in reasons.values():
        assert any(r.startswith("occurrenceID: key contains invisible formatting characters "
                                "(U+200B ZERO WIDTH SPACE)") for r in found), found
    assert ledger.get(config.id, "urn:example:1\u200b").state == State.QUARANTINED
    warnings = dict(result.warnings)
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in warnings["urn:example:1"]
    records = {r.key: r for r in extract_records(config)}
    assert records["urn:example:1"].term("scientificName") == "Acer campestre L."
    assert records["urn:catalog:BR:BR:C4"].term("scientificName") == "Acer campestre\u200d L."
