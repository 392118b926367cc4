"""Unit tests of the pure publish validator."""

from __future__ import annotations

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


def test_each_vocabulary_is_checked(metadata):
    cases = {
        "metadata.upload_type": {"upload_type": "specimen"},
        "metadata.image_type": {"image_type": "scan"},
        "metadata.access_right": {"access_right": "public"},
        "metadata.related_identifiers.0.relation": {"related_identifiers": [
            {"identifier": "x", "relation": "isSameAs"}]},
        "metadata.contributors.0.type": {"contributors": [{"name": "A", "type": "Boss"}]},
        "metadata.language": {"language": "english"},
        "metadata.publication_date": {"publication_date": "01/02/2024"},
    }
    for field, change in cases.items():
        assert fields(validate_for_publish(dict(metadata, **change), 1)) == {field}, field


def test_publication_needs_a_publication_type(metadata):
    errors = validate_for_publish(dict(metadata, upload_type="publication"), 1)
    assert fields(errors) == {"metadata.publication_type"}


def test_missing_files_and_required_fields_are_all_reported():
    errors = validate_for_publish({}, 0)
    assert fields(errors) == {"metadata.upload_type", "metadata.publication_date",
                              "metadata.title", "metadata.creators", "metadata.description",
                              "metadata.access_right", "files.enabled"}


def test_creator_without_name_names_the_index(metadata):
    errors = validate_for_publish(dict(metadata, creators=[{"name": "A"}, {"affiliation": "B"}]),
                                  1)
    assert fields(errors) == {"metadata.creators.1.name"}


def test_load_refuses_unknown_top_level_keys_and_drops_unknown_metadata_keys():
    assert load_deposit_body({"metadata": {"title": "t", "foo": 1}}) == {"title": "t"}
    try:
        load_deposit_body({"metadata": {}, "extra": 1})
    except MetadataError as exc:
        assert exc.errors == [{"field": "extra", "messages": ["Unknown field."]}]
    else:
        raise AssertionError("unknown key accepted")
