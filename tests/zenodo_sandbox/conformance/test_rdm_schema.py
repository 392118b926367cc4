"""The record schema of the sandbox's RDM API is zenodo.org's: what a draft's ``errors`` list
for each metadata field, and what is kept.

Sources: invenio-rdm-records ``services/schemas/metadata.py`` and its tests in
``tests/services/schemas/`` (named per test); invenio-vocabularies ``services/schema.py``
(relations by id or free text); marshmallow-utils ``schemas/identifier.py``,
``schemas/geojson.py``, ``fields/edtfdatestring.py``; zenodo-rdm ``custom_fields/`` and
``invenio.cfg`` (``RDM_CUSTOM_FIELDS``, only the ``en`` locale).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests

BASE: dict[str, Any] = {
    "access": {"record": "public", "files": "public"},
    "files": {"enabled": True},
    "metadata": {
        "creators": [{"person_or_org": {"family_name": "Brown", "given_name": "Troy",
                                        "type": "personal"}}],
        "publication_date": "2020-06-01", "publisher": "Acme Inc",
        "resource_type": {"id": "image-photo"}, "title": "A Romans story",
    },
}


def draft(api: requests.Session, url: str, custom: dict[str, Any] | None = None,
          **metadata: Any) -> dict[str, Any]:
    """Create a draft from the base record with ``metadata`` fields replaced."""
    data = copy.deepcopy(BASE)
    data["metadata"].update(metadata)
    if custom is not None:
        data["custom_fields"] = custom
    response = api.post(f"{url}/api/records", json=data)
    assert response.status_code == 201, response.text
    return response.json()


def errors(answer: dict[str, Any]) -> dict[str, list[str]]:
    return {e["field"]: e["messages"] for e in answer.get("errors", [])}


# test_creator_contributor.py::test_creator_person_invalid_no_family_name,
# ::test_creator_invalid_no_type, ::test_creator_invalid_type; test_publish_errors.py
def test_person_or_org_names_and_type(sandbox, api):
    found = errors(draft(api, sandbox.url, creators=[
        {"person_or_org": {"type": "personal", "given_name": "Julio"}},
        {"person_or_org": {"type": "organizational"}},
        {"person_or_org": {"name": "Julio Cesar"}},
        {"person_or_org": {"type": "Invalid", "name": "X"}}]))
    choose = ["Invalid value. Choose one of ['organizational', 'personal']."]
    assert found == {
        "metadata.creators.0.person_or_org.family_name": ["Family name cannot be blank."],
        "metadata.creators.1.person_or_org.name": ["Name cannot be blank."],
        "metadata.creators.2.person_or_org.type": choose,
        "metadata.creators.3.person_or_org.type": choose}


# test_creator_contributor.py::test_creator_person_valid_minimal (the name is filled from
# family and given names; an organisation's person names are dropped)
def test_person_names_are_filled_and_organisation_names_cleaned(sandbox, api):
    answer = draft(api, sandbox.url, creators=[
        {"person_or_org": {"type": "personal", "family_name": "Cesar", "given_name": "Julio"}},
        {"person_or_org": {"type": "organizational", "name": "Empire",
                           "family_name": "X", "given_name": "Y"}}])
    assert answer["metadata"]["creators"] == [
        {"person_or_org": {"type": "personal", "family_name": "Cesar", "given_name": "Julio",
                           "name": "Cesar, Julio"}},
        {"person_or_org": {"type": "organizational", "name": "Empire"}}]


# test_creator_contributor.py::test_creator_invalid_identifiers_orcid, ::..._scheme
def test_person_identifiers_are_checked(sandbox, api):
    found = errors(draft(api, sandbox.url, creators=[
        {"person_or_org": {"type": "personal", "family_name": "Doe", "identifiers": [
            {"scheme": "orcid", "identifier": "9999-9999-9999-9999"}]}},
        {"person_or_org": {"type": "personal", "family_name": "Roe", "identifiers": [
            {"scheme": "unapproved scheme", "identifier": "0000-0002-1825-0097"}]}}]))
    assert found == {
        "metadata.creators.0.person_or_org.identifiers.0.identifier":
            ["Invalid ORCID identifier."],
        "metadata.creators.1.person_or_org.identifiers.0.scheme": ["Invalid scheme."]}


# metadata.py ContributorSchema (role required), validate_affiliations_data;
# invenio-vocabularies ContribVocabularyRelationSchema
def test_contributors_need_a_role_and_affiliations_a_name_or_id(sandbox, api):
    person = {"type": "personal", "family_name": "Doe"}
    found = errors(draft(api, sandbox.url, contributors=[
        {"person_or_org": person},
        {"person_or_org": person, "role": {"id": "editor"}, "affiliations": [{}]},
        {"person_or_org": person, "role": {"id": "editor"},
         "affiliations": [{"name": "CERN"}, {"name": "CERN"}]}]))
    assert found == {
        "metadata.contributors.0.role": ["Missing data for required field."],
        "metadata.contributors.1.affiliations.0.affiliations": [
            "An existing id or a free text name must be present."],
        "metadata.contributors.2.affiliations": ["Duplicated affiliations: CERN"]}


# metadata.py MetadataSchema: required fields; test_metadata.py::test_additional_field_raises
def test_required_and_unknown_metadata_fields(sandbox, api):
    response = api.post(f"{sandbox.url}/api/records",
                        json={"metadata": {"foo": "FOO", "creators": []}})
    assert response.status_code == 201
    missing = ["Missing data for required field."]
    assert errors(response.json()) == {
        "metadata.resource_type": missing, "metadata.creators": missing,
        "metadata.title": missing, "metadata.publication_date": missing,
        "metadata.foo": ["Unknown field."],
        "metadata.publisher": ["Missing publisher field required for DOI registration."]}
    assert response.json()["metadata"] == {}


# test_publication_date.py (all cases)
@pytest.mark.parametrize(("value", "ok"), [
    ("2020-12-31", True), ("2020", True), ("2020-12", True), ("2020-01/2020-12", True),
    ("2020-01-01/2020-12", True), ("/2020-12", True), ("2020-12/", True),
    ("endoftheworld", False), ("2021-01/2020-12", False), ("2020-02-30", False),
    ("2020-12-31T10:00:00", False)])
def test_publication_date_is_edtf(sandbox, api, value, ok):
    found = errors(draft(api, sandbox.url, publication_date=value))
    expected = {} if ok else {"metadata.publication_date": [
        "Please provide a valid date or interval."]}
    assert found == expected


# test_dates.py::test_invalid_no_type, ::test_invalid_type, ::test_invalid_range
def test_dates_need_a_type_and_an_ordered_interval(sandbox, api):
    found = errors(draft(api, sandbox.url, dates=[
        {"date": "2020-12-31"}, {"date": "2020-12-31", "type": "other"},
        {"date": "2021-01/2020-12", "type": {"id": "other"}},
        {"date": "1876-05-12T10:00:00", "type": {"id": "collected"}}]))
    assert found == {
        "metadata.dates.0.type": ["Missing data for required field."],
        "metadata.dates.1.type._schema": ["Invalid input type."],
        "metadata.dates.2.date": ["Please provide a valid date or interval."]}


# test_rights.py::test_invalid_id_and_title, ::test_invalid_title, ::test_valid_rights
def test_rights_are_an_id_or_a_free_text_title(sandbox, api):
    free = {"title": {"en": "Custom license"}, "description": {"en": "Custom description"},
            "link": "https://custom.org/licenses/by/4.0/"}
    assert "errors" not in draft(api, sandbox.url, rights=[free, {"id": "cc-by-4.0"}])
    found = errors(draft(api, sandbox.url, rights=[
        {"id": "cc-by-4.0", "title": {"en": "CC BY"}}, {"title": {"ena": "X"}}, {},
        {"title": {"en": "X"}, "link": "creativecommons.org/licenses/by/4.0/"}]))
    assert found == {
        "metadata.rights.0.rights": ["Only an existing id or free text title/description/"
                                     "link is accepted, but not both cases at the same time"],
        "metadata.rights.1.title": ["Not a valid locale."],
        "metadata.rights.2.rights": ["An existing id or a free text title must be present"],
        "metadata.rights.3.link": ["Not a valid URL."]}


# test_identifier.py::test_valid_no_schema, ::test_invalid_duplicate_scheme_and_value;
# marshmallow-utils IdentifierSchema (scheme detection, normalisation)
def test_identifiers_get_a_detected_scheme_and_no_duplicates(sandbox, api):
    answer = draft(api, sandbox.url, identifiers=[
        {"identifier": "https://www.botanicalcollections.be/specimen/BR0000013456789"},
        {"identifier": "10.1234/rdm.9999999"}])
    assert "errors" not in answer
    assert [i["scheme"] for i in answer["metadata"]["identifiers"]] == ["url", "doi"]
    found = errors(draft(api, sandbox.url, identifiers=[
        {"identifier": "10.1234/rdm.9999999", "scheme": "doi"},
        {"identifier": "10.1234/rdm.9999999"}]))
    assert found == {"metadata.identifiers": ["Duplicated identifier entry is not allowed."]}
    found = errors(draft(api, sandbox.url, identifiers=[{"identifier": "BR0000013456789"}]))
    assert found == {"metadata.identifiers.0.scheme": [
        "No valid scheme recognized for identifier."]}


# test_related_identifier.py::test_invalid_no_type_related_identifiers,
# ::test_invalid_scheme_related_identifiers, ::test_valid_no_scheme_related_identifiers
def test_related_identifiers_need_a_relation_type(sandbox, api):
    found = errors(draft(api, sandbox.url, related_identifiers=[
        {"identifier": "10.1234/rdm.9999988", "scheme": "doi"},
        {"identifier": "10.1234/rdm.9999988", "scheme": "INVALID",
         "relation_type": {"id": "requires"}},
        {"identifier": "10.1234/zenodo.9999988", "relation_type": {"id": "requires"},
         "resource_type": {"id": "image-photo"}}]))
    assert found == {"metadata.related_identifiers.0.relation_type": [
        "Missing data for required field."],
        "metadata.related_identifiers.1.scheme": ["Invalid scheme."]}


# test_location.py::test_invalid_geometry_type, ::test_invalid_empty, ::test_valid_minimal;
# marshmallow-utils GeometryObjectSchema (Point, MultiPoint, Polygon; no range check)
def test_locations(sandbox, api):
    assert "errors" not in draft(api, sandbox.url, locations={"features": [
        {"geometry": {"type": "Point", "coordinates": [-32.94682, -60.63932]}},
        {"geometry": {"type": "Point", "coordinates": [200, 95]}}, {"place": "Meise"}]})
    found = errors(draft(api, sandbox.url, locations={"features": [
        {"geometry": {"type": "invalid", "coordinates": [1, 2]}}, {},
        {"geometry": {"type": "MultiPoint", "coordinates": [1.0, 2.0]}}]}))
    assert set(found) == {"metadata.locations.features.0.geometry.type",
                          "metadata.locations.features.1.locations",
                          "metadata.locations.features.2.geometry.coordinates"}


# test_version.py::test_invalid_version, ::test_invalid_version_too_long; test_sizes.py,
# test_formats.py; metadata.py (description min 3)
def test_version_sizes_formats_description(sandbox, api):
    found = errors(draft(api, sandbox.url, version="v" * 192, sizes=["", "1 page"],
                         formats=[" "], description="ab"))
    assert found == {"metadata.sizes.0": ["Size cannot be a blank string."],
                     "metadata.formats.0": ["Format cannot be a blank string."],
                     "metadata.version": ["Longer than maximum length 191."],
                     "metadata.description": ["Shorter than minimum length 3."]}
    assert draft(api, sandbox.url, version=1)["errors"] == [
        {"field": "metadata.version", "messages": ["Not a valid string."]}]


# test_languages.py::test_invalid_no_list_languages; invenio-vocabularies subjects
def test_languages_and_subjects(sandbox, api):
    found = errors(draft(api, sandbox.url, languages={"id": "eng"},
                         subjects=[{"subject": "Fagaceae"}, {"scheme": "x"}]))
    assert found == {"metadata.languages": ["Not a valid list."],
                     "metadata.subjects.1.subjects": [
                         "An existing id or a free text subject must be present."]}


# zenodo-rdm custom_fields/domain_fields.py (names and kinds); invenio-records-resources
# custom fields (ISODateStringCF = fields.Date, DoubleCF = Float, unknown names refused)
def test_custom_fields(sandbox, api):
    answer = draft(api, sandbox.url, custom={
        "dwc:catalogNumber": ["BR0000013456789"], "dwc:eventDate": ["1876-05-12", "1876"],
        "dwc:decimalLatitude": ["50.93"], "dwc:recordNumber": ["123"],
        "ac:digitizationDate": ["2019-03"], "dwc:kingdom": "Plantae"})
    assert errors(answer) == {"custom_fields.dwc:eventDate.1": ["Not a valid date."],
                              "custom_fields.dwc:kingdom": ["Not a valid list."],
                              "custom_fields.dwc:recordNumber": ["Unknown field."]}
    assert answer["custom_fields"] == {"dwc:catalogNumber": ["BR0000013456789"],
                                       "dwc:eventDate": ["1876-05-12"],
                                       "dwc:decimalLatitude": [50.93],
                                       "ac:digitizationDate": ["2019-03"]}
