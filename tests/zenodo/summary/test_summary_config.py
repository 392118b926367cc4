"""The ``summary`` key of a collection, the key it reserves, and the report's summary line."""

from __future__ import annotations

import datetime as dt
import pathlib
from typing import Any

import pytest

from tests.zenodo.data_helpers import BARLERIA, make_record
from zenodo.config.collection_file import CollectionConfigError, parse_collections
from zenodo.report.run_report import summary_line
from zenodo.summary.key import SUMMARY_KEY
from zenodo.summary.metadata import SummaryRefused
from zenodo.summary.publish import check_summary_settings
from zenodo.validate.text import check_key

SOURCE = "include/collections.yaml"
SUMMARY = {"title": "Our herbarium", "description": "All of it.",
           "creators": [{"name": "Doe, Jane", "orcid": "0000-0002-1825-0097"}]}


def entry(**summary: Any) -> dict[str, Any]:
    """A collections document whose one entry has ``summary`` (none when empty)."""
    return {"collections": [{
        "id": "herbarium_sample", "database": {"url": "sqlite:///h.db"}, "table": "specimens",
        "images": {"root": "/data", "files": ["{catalogNumber}.jpg"]}, "mapping": "pilot1",
        **({"summary": summary} if summary else {}),
    }]}


def test_a_summary_is_loaded_with_its_defaults_and_can_be_turned_off() -> None:
    config = parse_collections(entry(**SUMMARY), SOURCE, env={})["herbarium_sample"]
    assert config.summary is not None
    assert (config.summary.title, config.summary.license) == ("Our herbarium", "CC0-1.0")
    assert config.summary.creators[0].orcid == "0000-0002-1825-0097"
    off = parse_collections(entry(**SUMMARY, enabled=False), SOURCE, env={})
    assert off["herbarium_sample"].summary is None
    assert parse_collections(entry(), SOURCE, env={})["herbarium_sample"].summary is None


@pytest.mark.parametrize(("change", "key"), [
    ({"creators": []}, "summary.creators"),
    ({"creators": [{"name": "X", "orcid": "12"}]}, "summary.creators[0].orcid"),
    ({"title": " "}, "summary.title"),
    ({"colour": "red"}, "summary.colour"),
])
def test_a_wrong_summary_is_refused_naming_file_collection_and_key(
    change: dict[str, Any], key: str
) -> None:
    with pytest.raises(CollectionConfigError) as caught:
        parse_collections(entry(**{**SUMMARY, **change}), SOURCE, env={})
    assert (f"include/collections.yaml: collection 'herbarium_sample': key '{key}'"
            in str(caught.value))


@pytest.mark.parametrize("schema", ["deposit", "rdm"])
def test_what_zenodo_would_refuse_fails_before_anything_is_extracted(schema: str) -> None:
    # The prepare task runs this check (operators/prepare.py), as it checks write-back.
    config = parse_collections(entry(**{**SUMMARY, "title": "ab"}), SOURCE,
                               env={})["herbarium_sample"]
    with pytest.raises(SummaryRefused) as caught:
        check_summary_settings(config, schema, today=dt.date(2026, 12, 6))
    assert str(caught.value).startswith(
        "include/collections.yaml: collection 'herbarium_sample': key 'summary': ")
    assert "title" in str(caught.value)
    good = parse_collections(entry(**SUMMARY), SOURCE, env={})["herbarium_sample"]
    check_summary_settings(good, schema, today=dt.date(2026, 12, 6))


def test_no_specimen_can_take_the_summary_key(tmp_path: pathlib.Path) -> None:
    record = make_record(tmp_path, {**BARLERIA, "occurrenceID": SUMMARY_KEY})
    assert record.key == SUMMARY_KEY
    reasons = [p.reason for p in check_key(record)]
    assert reasons == ["key is reserved for the collection's summary record"]


def test_the_report_line_tells_doi_concept_version_and_what_happened() -> None:
    done = {"state": "PUBLISHED", "changed": True, "doi": "10.5072/zenodo.9",
            "concept_doi": "10.5072/zenodo.8", "version": 2, "specimens": 5}
    assert summary_line(done) == ("summary record: DOI 10.5072/zenodo.9, concept DOI "
                                  "10.5072/zenodo.8, version 2 (new version published; "
                                  "5 specimens)")
    assert "(unchanged;" in summary_line({**done, "changed": False})
    assert summary_line({"state": "FAILED", "doi": None, "reason": "500"}) == (
        "summary record: FAILED: 500")
