"""Unit tests of the pure validators (what zenodo.org refuses on create and on publish)."""

from __future__ import annotations

import datetime as dt

import pytest

from zenodo_sandbox import licenses
from zenodo_sandbox.validation import MetadataError, load_deposit_body, validate_for_publish


def fields(errors):
    return {e["field"] for e in errors}


def test_complete_metadata_with_files_is_publishable(metadata):
    assert validate_for_publish(metadata, 1) == []


def test_license_is_case_insensitive_and_accepts_an_id_object(metadata):
    assert validate_for_publish(dict(metadata, license="CC-BY-4.0"), 1) == []
    assert validate_for_publish(dict(metadata, license={"id": "cc0-1.0"}), 1) == []
    assert fields(validate_for_publish(dict(metadata, license="cc-by-9.0"), 1)) == {
        "metadata.license"}


def test_each_vocabulary_and_format_is_checked(metadata):
    cases = {
        "metadata.resource_type.id": {"upload_type": "specimen"},
        "metadata.contributors.0.role.id": {"contributors": [{"name": "A", "type": "Boss"}]},
        "metadata.related_identifiers.0.relation_type.id": {"related_identifiers": [
            {"identifier": "10.1/x", "relation": "isSameAs"}]},
        "metadata.related_identifiers.scheme": {"related_identifiers": [
            {"identifier": "x", "relation": "cites"}]},
        "_schema": {"access_right": "public"},
        "metadata.language": {"language": "english"},
        "metadata.publication_date": {"publication_date": "01/02/2024"},
    }
    for field, change in cases.items():
        assert fields(validate_for_publish(dict(metadata, **change), 1)) == {field}, field


def test_image_type_is_part_of_the_resource_type(metadata):
    assert fields(validate_for_publish(dict(metadata, image_type="scan"), 1)) == {
        "metadata.resource_type.id"}


def test_a_publication_needs_no_publication_type(metadata):
    assert validate_for_publish(dict(metadata, upload_type="publication"), 1) == []


def test_missing_files_and_required_fields_are_all_reported():
    errors = validate_for_publish({}, 0)
    assert fields(errors) == {"metadata.resource_type", "metadata.title", "metadata.creators",
                              "files.enabled"}


def test_what_zenodo_drops_from_a_draft_is_reported_with_the_reason(metadata):
    errors = validate_for_publish(dict(metadata, title="ab"), 1)
    assert errors == [{"field": "metadata.title", "messages": ["Shorter than minimum length 3."]}]


def test_creator_without_name_names_the_index(metadata):
    errors = validate_for_publish(dict(metadata, creators=[{"name": "A"}, {"affiliation": "B"}]),
                                  1)
    assert fields(errors) == {"metadata.creators.1.person_or_org.family_name"}


def test_embargo_must_end_in_the_future(metadata):
    past = dict(metadata, access_right="embargoed", embargo_date="2020-01-01")
    assert fields(validate_for_publish(past, 1)) == {"access.embargo.until"}
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
    assert validate_for_publish(dict(past, embargo_date=future), 1) == []


def test_load_fills_defaults_and_drops_unknown_metadata_keys():
    assert load_deposit_body({"metadata": {"title": "Title", "foo": 1}}, "2024-02-03") == {
        "title": "Title", "publication_date": "2024-02-03", "access_right": "open",
        "license": "cc-by-4.0", "imprint_publisher": "Zenodo"}
    assert load_deposit_body({}, "2024-02-03") == {"access_right": "open"}


def test_load_refuses_unknown_top_level_keys():
    with pytest.raises(MetadataError) as caught:
        load_deposit_body({"metadata": {}, "extra": 1})
    assert caught.value.errors == [{"field": "extra", "messages": ["Unknown field."]}]


# zenodo-rdm legacy/tests/test_licenses_vocabulary.py (test_rdm_to_legacy, test_legacy_to_rdm)
def test_licence_vocabulary_maps_as_zenodo_legacy_does():
    assert licenses.legacy_id("cc0-1.0") == "cc-zero"
    assert licenses.legacy_id("oml") == "oml"
    assert licenses.rdm_id("cc-zero") == "cc0-1.0"
    assert licenses.rdm_id("CC0-1.0") == "cc0-1.0"
    assert licenses.rdm_id("test") is None and licenses.rdm_id(None) is None
    assert "oml" in licenses.RDM_IDS and "test" not in licenses.RDM_IDS
