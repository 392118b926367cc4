"""Rows whose keys the ledger cannot store are quarantined under a key it can; the rest go on.

Real source databases (SQLite, PostgreSQL) and real ledgers (SQLite, PostgreSQL): PostgreSQL
refuses a 501-character ``VARCHAR(500)`` and any NUL, where SQLite stores both.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.zenodo.data_helpers import write_jpeg
from tests.zenodo.source.hostile_sources import collection, create_source, source_url
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.prepare import prepare_collection
from zenodo.ledger.registration import storable_key, storable_text
from zenodo.ledger.states import State

COLUMNS = {name: sa.Text for name in (
    "occurrenceID", "institutionCode", "collectionCode", "catalogNumber", "scientificName")}
LONG = "http://example.org/specimen/" + "a" * 572          # 600 characters
NEAR = "http://example.org/specimen/" + "b" * 467          # 495: valid, its duplicate is not
CYRILLIC = "Ж" * 120                                       # 120 characters, 240 bytes
NUL = "urn:example:bad\x00key"


def _rows(with_nul: bool) -> list[dict[str, str]]:
    rows = [
        {"occurrenceID": "urn:example:ok-1", "catalogNumber": "OK1"},
        {"occurrenceID": LONG, "catalogNumber": "LONG1"},
        {"institutionCode": "BR", "collectionCode": "BR", "catalogNumber": CYRILLIC},
        {"occurrenceID": NEAR, "catalogNumber": "NEAR1"},
        {"occurrenceID": NEAR, "catalogNumber": "NEAR2"},
        {"occurrenceID": "urn:example:ok-2", "catalogNumber": "OK2"},
    ]
    if with_nul:  # PostgreSQL text cannot hold a NUL: only a SQLite source can have one
        rows.insert(2, {"occurrenceID": NUL, "catalogNumber": "NUL1"})
    return [{**row, "scientificName": "Acer campestre L."} for row in rows]


@pytest.mark.parametrize("source_kind", ["sqlite", "postgres"])
def test_unstorable_keys_are_quarantined_under_storable_ones_and_the_rest_goes_on(
    source_kind: str, ledger: Ledger, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    rows = _rows(with_nul=source_kind == "sqlite")
    for row in rows:
        write_jpeg(tmp_path / "images" / f"{row['catalogNumber']}.jpg")
    url = source_url(source_kind, tmp_path, request)
    create_source(url, COLUMNS, rows).dispose()
    config = collection(url, tmp_path / "images")

    result = prepare_collection(config, ledger=ledger, cache_dir=tmp_path / "cache")

    assert result.rows == len(rows)
    for key in ("urn:example:ok-1", "urn:example:ok-2", NEAR):
        assert ledger.get(config.id, key).state == State.NEW, key
    quarantined = list(ledger.rows(config.id, states=[State.QUARANTINED]))
    assert len(quarantined) == len(rows) - 3 == len(result.quarantined)
    assert {row.key for row in quarantined} == {key for key, _ in result.quarantined}
    originals = [LONG, f"urn:catalog:BR:BR:{'%D0%96' * 120}", NEAR]
    originals += [NUL] if source_kind == "sqlite" else []
    for row in quarantined:
        assert len(row.key) <= 500 and "\x00" not in row.key
        assert "#sha256:" in row.key
        assert any("the original key is" in reason for reason in row.quarantine_reasons)
    reasons = " ".join(r for row in quarantined for r in row.quarantine_reasons)
    for original in originals:
        assert repr(original) in reasons, original
    events = len(ledger.events(config.id))
    again = prepare_collection(config, ledger=ledger, cache_dir=tmp_path / "cache")
    assert len(ledger.events(config.id)) == events, "the same storable keys the next time"
    assert again.states[str(State.QUARANTINED)] == len(quarantined)


def test_a_dry_run_previews_unstorable_keys_without_failing(
    ledger: Ledger, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    rows = _rows(with_nul=True)
    for row in rows:
        write_jpeg(tmp_path / "images" / f"{row['catalogNumber']}.jpg")
    url = source_url("sqlite", tmp_path, request)
    create_source(url, COLUMNS, rows).dispose()
    lines: list = []
    result = prepare_collection(collection(url, tmp_path / "images"), ledger=ledger,
                                cache_dir=tmp_path / "cache", preview=lines.append)
    assert result.states[str(State.QUARANTINED)] == 4 and len(lines) == len(rows)
    assert all(len(line.key) <= 500 and "\x00" not in line.key for line in lines)


@pytest.mark.parametrize("key", ["urn:example:\ud800", "x" * 501, "a\x00b", "ok" * 250])
def test_storable_key_is_stable_storable_and_keeps_the_original_in_the_reason(
    key: str, ledger: Ledger
) -> None:
    stored, note = storable_key(key)
    if len(key) <= 500 and unicodedata.is_normalized("NFC", key) and key.isprintable():
        assert (stored, note) == (key, None)
        return
    assert storable_key(key) == (stored, note) and len(stored) <= 500
    assert note is not None and storable_text(repr(key)) in note
    ledger.quarantine("c", stored, [note, storable_text(f"x: {key}")], source_modified=None)
    assert ledger.get("c", stored).quarantine_reasons[0] == note
