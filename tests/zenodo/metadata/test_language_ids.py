"""Tests for the language a mapping sends: the ISO 639-3 id, in the legacy deposit body and in
the RDM body alike, checked against the sandbox's copy of zenodo.org's loaders (which pass
three letters unchanged and refuse any that is not an ISO 639-3 id)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.zenodo.data_helpers import BARLERIA, make_record
from zenodo.metadata.mapping import Mapper, MappingError, load_mapping
from zenodo.metadata.rdm_body import language_id
from zenodo_sandbox.rdm_validation import validate_rdm
from zenodo_sandbox.validation import InvalidValue, load_deposit_body, validate_for_publish

DAY = dt.date(2026, 3, 1)
LANGUAGES = [("en", "eng"), ("eng", "eng"), ("ger", "deu"), ("deu", "deu"), ("nl", "nld"),
             ("FRE", "fra")]
DEPOSIT_MAPPINGS = ("pilot1", "pilot2", "dwc-rich")


def _map(tmp_path: Path, mapping: str, **changes: str | None) -> dict[str, Any]:
    terms = {k: v for k, v in {**BARLERIA, **changes}.items() if v is not None}
    mapper = Mapper(load_mapping(mapping), cache_dir=tmp_path / "cache", today=DAY)
    mapped = mapper.map(make_record(tmp_path / "img", terms))
    return mapped.metadata


@pytest.mark.parametrize("mapping", DEPOSIT_MAPPINGS)
@pytest.mark.parametrize(("code", "expected"), LANGUAGES)
def test_deposit_body_sends_the_iso_639_3_id_zenodo_accepts(
    tmp_path: Path, mapping: str, code: str, expected: str
) -> None:
    md = _map(tmp_path, mapping, language=code)
    assert md["language"] == expected
    assert validate_for_publish(md, file_count=2) == []
    assert load_deposit_body({"metadata": md}, DAY.isoformat())["language"] == expected


@pytest.mark.parametrize(("code", "expected"), LANGUAGES)
def test_rdm_body_sends_the_iso_639_3_id(tmp_path: Path, code: str, expected: str) -> None:
    body = _map(tmp_path, "dwc-rich-rdm", language=code)
    assert body["metadata"]["languages"] == [{"id": expected}]
    assert validate_rdm(body) == []


def test_zenodo_refuses_the_raw_iso_639_2b_code_the_mapping_converts(tmp_path: Path) -> None:
    # why the deposit mappings call language_id: zenodo.org keeps three letters as given
    md = {**_map(tmp_path, "pilot1", language="ger"), "language": "ger"}
    with pytest.raises(InvalidValue, match="ger"):
        load_deposit_body({"metadata": md}, DAY.isoformat())


@pytest.mark.parametrize("mapping", DEPOSIT_MAPPINGS)
def test_no_language_sends_none(tmp_path: Path, mapping: str) -> None:
    assert "language" not in _map(tmp_path, mapping, language=None)
    assert "language" not in _map(tmp_path, mapping, language="")


def test_no_language_gives_no_rdm_languages(tmp_path: Path) -> None:
    assert "languages" not in _map(tmp_path, "dwc-rich-rdm", language=None)["metadata"]


@pytest.mark.parametrize("mapping", [*DEPOSIT_MAPPINGS, "dwc-rich-rdm"])
def test_an_unknown_code_fails_the_record_naming_field_and_value(
    tmp_path: Path, mapping: str
) -> None:
    # validation quarantines such a row first; a record mapped without it still fails
    with pytest.raises(MappingError, match="'xx' is not an ISO 639 code") as caught:
        _map(tmp_path, mapping, language="xx")
    assert caught.value.key == BARLERIA["occurrenceID"]
    assert caught.value.field.endswith("language" if mapping != "dwc-rich-rdm" else "languages")


def test_language_id_helper() -> None:
    assert [language_id(v) for v in ("en", " ger ", "NL", None, "", "  ")] == [
        "eng", "deu", "nld", "", "", ""]
    with pytest.raises(ValueError, match="language 'english' is not an ISO 639 code"):
        language_id("english")
