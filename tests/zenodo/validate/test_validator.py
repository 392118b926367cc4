"""Tests for the validation rules: each problem class, its field and its severity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.zenodo.data_helpers import BARLERIA, make_record
from zenodo.source.specimen import FileSpec, SpecimenRecord
from zenodo.validate.dates import DateError, parse_iso_interval
from zenodo.validate.validator import (
    Problem,
    Validator,
    has_errors,
    quarantine_reasons,
    validate_record,
)

TODAY = dt.date(2026, 1, 1)


def _problems(tmp_path: Path, image_root: Path | None = None, **changes: Any) -> list[Problem]:
    terms = {k: v for k, v in {**BARLERIA, **changes}.items() if v is not None}
    record = make_record(tmp_path, terms)
    return validate_record(record, image_root=image_root or tmp_path, today=TODAY)


def _only(problems: list[Problem]) -> tuple[str, str]:
    assert len(problems) == 1, problems
    return problems[0].field, problems[0].severity


def test_clean_pilot_record_has_no_problems(tmp_path: Path) -> None:
    assert _problems(tmp_path) == []


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("1985-05-15", "1985-05-15", "1985-05-15"),
        ("1931-06", "1931-06-01", "1931-06-30"),
        ("1931", "1931-01-01", "1931-12-31"),
        ("1900/1909", "1900-01-01", "1909-12-31"),
        ("2007-11-13/15", "2007-11-13", "2007-11-15"),
        ("1931-06/07", "1931-06-01", "1931-07-31"),
        ("1931-06-27T00:00:00+0000", "1931-06-27", "1931-06-27"),
        ("1931-06-27T10:30Z", "1931-06-27", "1931-06-27"),
        ("2000-02-29", "2000-02-29", "2000-02-29"),
    ],
)
def test_iso_dates_and_intervals_parse(value: str, start: str, end: str) -> None:
    assert parse_iso_interval(value) == (dt.date.fromisoformat(start), dt.date.fromisoformat(end))


@pytest.mark.parametrize(
    "value",
    [
        "1931-06-00",
        "1931-00-00",
        "VI.1931",
        "17IV1934",
        "27.vi.1931",
        "1931-02-30",
        "1931-13-01",
        "1931/",
        "1931-07/1931-06",
        "1900-02-29",
        "spring 1910",
    ],
)
def test_bad_event_dates_are_errors(tmp_path: Path, value: str) -> None:
    with pytest.raises(DateError):
        parse_iso_interval(value)
    problems = _problems(tmp_path, eventDate=value, year=None, month=None, day=None)
    assert _only(problems) == ("eventDate", "error")
    assert value in problems[0].reason


@pytest.mark.parametrize(("value", "words"), [("2931-06-27", "future"), ("1031-06-27", "1600")])
def test_unlikely_dates_are_warnings(tmp_path: Path, value: str, words: str) -> None:
    problems = _problems(tmp_path, eventDate=value, year=None, month=None, day=None)
    assert _only(problems) == ("eventDate", "warning")
    assert words in problems[0].reason


def test_year_month_day_disagreeing_with_event_date_warns(tmp_path: Path) -> None:
    assert _only(_problems(tmp_path, month=6)) == ("month", "warning")


def test_bad_date_identified_and_modified_are_warnings(tmp_path: Path) -> None:
    problems = _problems(tmp_path, dateIdentified="1931-06-00", modified="yesterday")
    assert {(p.field, p.severity) for p in problems} == {
        ("dateIdentified", "warning"),
        ("modified", "warning"),
    }


def test_missing_scientific_name_is_an_error(tmp_path: Path) -> None:
    assert _only(_problems(tmp_path, scientificName=None)) == ("scientificName", "error")


def test_missing_key_is_an_error(tmp_path: Path) -> None:
    problems = _problems(tmp_path, occurrenceID=None, institutionCode=None)
    assert _only(problems) == ("occurrenceID", "error")
    assert "missing key" in problems[0].reason
    assert problems[0].key.startswith("nokey:")


@pytest.mark.parametrize(
    ("changes", "field", "severity"),
    [
        ({"decimalLatitude": 95.0}, "decimalLatitude", "error"),
        ({"decimalLongitude": -200.0}, "decimalLongitude", "error"),
        ({"decimalLatitude": "12,5"}, "decimalLatitude", "error"),
        ({"decimalLongitude": "11°02'S"}, "decimalLongitude", "error"),
        ({"decimalLatitude": "nan"}, "decimalLatitude", "error"),
        ({"decimalLongitude": None}, "decimalLongitude", "error"),
        ({"decimalLatitude": 0.0, "decimalLongitude": 0.0}, "decimalLatitude", "warning"),
        ({"decimalLatitude": 26.5667, "decimalLongitude": -11.0333}, "decimalLatitude", "warning"),
        ({"decimalLatitude": 11.0333}, "decimalLatitude", "warning"),
        ({"countryCode": "UK"}, "countryCode", "error"),
        ({"countryCode": "ZR"}, "countryCode", "error"),
        ({"countryCode": "cd"}, "countryCode", "error"),
        ({"countryCode": "XX"}, "countryCode", "error"),
    ],
)
def test_coordinate_and_country_rules(
    tmp_path: Path, changes: dict[str, Any], field: str, severity: str
) -> None:
    assert _only(_problems(tmp_path, **changes)) == (field, severity)


def test_swapped_coordinates_are_named_in_the_reason(tmp_path: Path) -> None:
    problems = _problems(tmp_path, decimalLatitude=26.5667, decimalLongitude=-11.0333)
    assert "presumed swapped" in problems[0].reason
    problems = _problems(tmp_path, decimalLatitude=120.0, decimalLongitude=45.0)
    assert "presumed swapped" in problems[0].reason


def test_zz_country_code_and_unchecked_countries_pass(tmp_path: Path) -> None:
    assert _problems(tmp_path, countryCode="ZZ") == []
    assert _problems(tmp_path, countryCode="NZ") == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"locality": "x" * 2001}, "locality"),
        ({"scientificName": "Allium " + "a" * 500}, "scientificName"),
        ({"catalogNumber": "B" * 256}, "catalogNumber"),
        ({"recordedBy": "J. Rubel\x00"}, "recordedBy"),
        ({"locality": "l\ufffdvre"}, "locality"),
        ({"habitat": "bad \ud800 surrogate"}, "habitat"),
        ({"language": "french"}, "language"),
        ({"language": "xx"}, "language"),
        ({"language": "xyz"}, "language"),
        ({"license": "all rights reserved"}, "license"),
    ],
)
def test_text_errors(tmp_path: Path, changes: dict[str, Any], field: str) -> None:
    assert _only(_problems(tmp_path, **changes)) == (field, "error")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"scientificName": "Acer x verhaegheanum Geerinck"}, "scientificName"),
        ({"locationRemarks": "l\u00c3\u00a8vre"}, "locationRemarks"),
    ],
)
def test_text_warnings(tmp_path: Path, changes: dict[str, Any], field: str) -> None:
    assert _only(_problems(tmp_path, **changes)) == (field, "warning")


def test_long_but_allowed_values_and_odd_unicode_pass(tmp_path: Path) -> None:
    assert (
        _problems(
            tmp_path,
            locality="Reval (=Tallinn) " * 100,
            recordedBy="محمد الأحمد",
            scientificName="Mentha ×smithiana R. A. Graham",
            habitat="in prato\tsatis copiose\n",
            license="CC-BY-4.0",
        )
        == []
    )


def _file_problems(
    tmp_path: Path, files: dict[str, str], root: Path | None = None, extra: int = 0
) -> list[Problem]:
    record = make_record(tmp_path, files=files)
    return validate_record(record, image_root=root or tmp_path, extra_files=extra, today=TODAY)


def test_missing_image_is_an_error(tmp_path: Path) -> None:
    problems = _file_problems(tmp_path, {"BR1.jpg": ""})
    assert _only(problems) == ("BR1.jpg", "error")
    assert "missing" in problems[0].reason


def test_record_without_images_is_an_error(tmp_path: Path) -> None:
    assert _only(_file_problems(tmp_path, {})) == ("images", "error")


# zenodo-rdm invenio.cfg: RECORDS_RESOURCES_ALLOW_EMPTY_FILES = False (invenio-records-resources
# services/files/components/metadata.py: "Empty files are not accepted.").
def test_zero_byte_image_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "BR1.jpg").write_bytes(b"")
    record = SpecimenRecord(
        "k", {"scientificName": "x"}, images=(FileSpec(tmp_path / "BR1.jpg", "BR1.jpg"),)
    )
    problems = [p for p in validate_record(record, image_root=tmp_path) if p.field == "BR1.jpg"]
    assert "0 bytes" in problems[0].reason


@pytest.mark.parametrize(
    ("name", "kind", "words"),
    [
        ("BR1.jpg", "PNG", "content is png"),
        ("BR1.tif", "JPEG", "content is jpeg"),
        ("BR1.png", "TIFF", "content is tiff"),
    ],
)
def test_content_not_matching_the_extension_is_an_error(
    tmp_path: Path, name: str, kind: str, words: str
) -> None:
    problems = _file_problems(tmp_path, {name: kind})
    assert _only(problems) == (name, "error")
    assert words in problems[0].reason


def test_truncated_jpeg_is_an_error(tmp_path: Path) -> None:
    record = make_record(tmp_path, files={"BR1.jpg": "JPEG"})
    path = record.images[0].path
    path.write_bytes(path.read_bytes()[:-10])
    problems = validate_record(record, image_root=tmp_path)
    assert "truncated" in problems[0].reason


def test_unreadable_image_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = make_record(tmp_path, files={"BR1.jpg": "JPEG"})
    target = record.images[0].path
    real_open = Path.open

    def deny(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == target:  # chmod 000 does not stop root, so refuse this one file here
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    assert "not readable" in validate_record(record, image_root=tmp_path)[0].reason


@pytest.mark.parametrize(
    "name",
    ["../BR1.jpg", "BR\x071.jpg", ".hidden.jpg", "a/b.jpg", "x" * 252 + ".jpg", "BR\u202e1.jpg"],
)
def test_unsafe_names_are_errors(tmp_path: Path, name: str) -> None:
    spec = FileSpec(tmp_path / "ok.jpg", name)
    record = SpecimenRecord("k", {"scientificName": "x"}, images=(spec,))
    problems = validate_record(record, image_root=tmp_path)
    assert any("unsafe file name" in p.reason and p.severity == "error" for p in problems)


def test_path_leaving_the_image_root_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "images"
    root.mkdir()
    make_record(tmp_path, files={"escape.jpg": "JPEG"})
    spec = FileSpec(root / ".." / "escape.jpg", "escape.jpg")
    record = SpecimenRecord("k", {"scientificName": "x"}, images=(spec,))
    problems = validate_record(record, image_root=root)
    assert "leaves the image root" in problems[0].reason


# invenio-rdm-records config.py: RDM_RECORDS_MAX_FILES_COUNT = 100 (zenodo-rdm invenio.cfg keeps
# it; its deposit form quota says maxFiles 100 too).
def test_more_than_100_files_is_an_error(tmp_path: Path) -> None:
    files = {f"BR{i}.png": "PNG" for i in range(100)}
    assert _file_problems(tmp_path, files) == []
    problems = _file_problems(tmp_path, files, extra=1)
    assert _only(problems) == ("images", "error")
    assert "101 files" in problems[0].reason


# zenodo-rdm invenio.cfg: RDM_FILES_DEFAULT_QUOTA_SIZE = 50 * 10**9.
def test_more_than_50_gb_is_an_error(tmp_path: Path) -> None:
    record = make_record(tmp_path, files={"BR1.tif": "TIFF"})
    with record.images[0].path.open("r+b") as handle:  # sparse: no real disk use
        handle.truncate(50 * 10**9 + 1)
    problems = validate_record(record, image_root=tmp_path)
    assert any("50000000000 per record" in p.reason for p in problems)


def test_duplicate_keys_in_a_collection_quarantine_the_later_rows(tmp_path: Path) -> None:
    validator = Validator(image_root=tmp_path, today=TODAY)
    first = make_record(tmp_path, row_number=1)
    second = make_record(tmp_path, row_number=2)
    assert validator.validate(first) == []
    problems = validator.validate(second)
    assert _only(problems) == ("occurrenceID", "error")
    assert "first seen at row 1" in problems[0].reason
    assert quarantine_reasons(problems) == ["occurrenceID: duplicate key: first seen at row 1"]


def test_same_catalog_number_under_another_key_is_a_warning(tmp_path: Path) -> None:
    validator = Validator(image_root=tmp_path, today=TODAY)
    validator.validate(make_record(tmp_path, row_number=1))
    other = make_record(tmp_path, {**BARLERIA, "occurrenceID": "http://x.org/2"}, row_number=2)
    problems = validator.validate(other)
    assert _only(problems) == ("catalogNumber", "warning")
    assert not has_errors(problems)


def test_problems_name_the_record_key(tmp_path: Path) -> None:
    problems = _problems(tmp_path, scientificName=None, countryCode="UK")
    assert {p.key for p in problems} == {BARLERIA["occurrenceID"]}
    assert problems[0].as_dict()["key"] == BARLERIA["occurrenceID"]
    assert has_errors(problems)


def test_duplicates_are_found_even_without_row_numbers(tmp_path: Path) -> None:
    validator = Validator(image_root=tmp_path, today=TODAY)
    record = make_record(tmp_path, row_number=0)
    assert validator.validate(record) == []
    assert _only(validator.validate(record)) == ("occurrenceID", "error")
