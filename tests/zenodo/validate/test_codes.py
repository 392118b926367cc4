"""Tests for the language and country codes (pycountry) and the rules that use them: an unknown
code quarantines the row with a reason naming the field and the value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.zenodo.data_helpers import BARLERIA, make_record
from zenodo.validate.codes import is_country_code, language_id
from zenodo.validate.validator import Validator, has_errors, quarantine_reasons


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "eng"),  # ISO 639-1
        ("eng", "eng"),  # ISO 639-2/T and 639-3
        ("ger", "deu"),  # ISO 639-2/B
        ("deu", "deu"),
        ("nl", "nld"),
        ("dut", "nld"),
        ("fre", "fra"),
        ("chi", "zho"),
        ("EN", "eng"),
        ("Fra", "fra"),
        ("lat", "lat"),
        ("nb", "nob"),
        ("haw", "haw"),  # ISO 639-3 only (no ISO 639-1 code)
        ("und", "und"),
    ],
)
def test_language_codes_give_their_iso_639_3_id(code: str, expected: str) -> None:
    assert language_id(code) == expected


@pytest.mark.parametrize(
    "code", ["xx", "xxx", "qaa", "afa", "iw", "french", "e", "", " en", "en-GB", "eng;fra"]
)
def test_unknown_language_codes_give_none(code: str) -> None:
    # qaa: ISO 639-2's local-use range; afa: a collective ISO 639-2 code, not ISO 639-3;
    # iw: Hebrew's withdrawn ISO 639-1 code (zenodo.org's pycountry does not map it either).
    assert language_id(code) is None


@pytest.mark.parametrize("code", ["NL", "BE", "CD", "GB", "AQ", "SS", "ZZ", "XZ"])
def test_iso_3166_alpha_2_and_darwin_core_country_codes_pass(code: str) -> None:
    assert is_country_code(code)


@pytest.mark.parametrize("code", ["XX", "UK", "ZR", "EU", "XK", "nl", "NLD", "N", "", " NL"])
def test_other_country_codes_fail(code: str) -> None:
    assert not is_country_code(code)


def _validate(tmp_path: Path, **changes: str) -> list[str]:
    validator = Validator(image_root=tmp_path, today=dt.date(2026, 1, 1))
    problems = validator.validate(make_record(tmp_path, {**BARLERIA, **changes}))
    assert has_errors(problems) == bool(quarantine_reasons(problems))
    return quarantine_reasons(problems)


def test_unknown_language_quarantines_the_row_naming_field_and_value(tmp_path: Path) -> None:
    assert _validate(tmp_path, language="xx") == [
        "language: 'xx' is not an ISO 639 language code (ISO 639-1, 639-2 or 639-3)"]


def test_unknown_country_quarantines_the_row_naming_field_and_value(tmp_path: Path) -> None:
    assert _validate(tmp_path, countryCode="XX") == [
        "countryCode: 'XX' is not an ISO 3166-1 alpha-2 country code"]


@pytest.mark.parametrize("language", ["en", "eng", "ger", "deu", "nl", "FRE"])
def test_known_languages_pass(tmp_path: Path, language: str) -> None:
    assert _validate(tmp_path, language=language) == []


@pytest.mark.parametrize("country", ["CD", "BE", "NL", "ZZ"])
def test_a_valid_country_passes(tmp_path: Path, country: str) -> None:
    # outside CD the row's Congo coordinates give a warning, which does not quarantine
    assert _validate(tmp_path, countryCode=country) == []
