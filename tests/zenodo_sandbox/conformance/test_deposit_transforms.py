"""Defaults, transforms and refusals of zenodo.org's deposit API on create and publish.

Each test names the zenodo-rdm (or InvenioRDM) source whose behaviour it pins.
"""

from __future__ import annotations

import datetime as dt

import pytest

MINIMAL = {"upload_type": "image", "image_type": "photo", "title": "Herbarium sheet",
           "creators": [{"name": "Doe, Jane"}], "description": "A sheet."}


def _url(sandbox) -> str:
    return f"{sandbox.url}/api/deposit/depositions"


def _create(sandbox, api, metadata: dict) -> dict:
    response = api.post(_url(sandbox), json={"metadata": metadata})
    assert response.status_code == 201, response.text
    return response.json()


# zenodo-rdm legacy/deserializers/metadata.py MetadataSchema.publication_date (load_default)
# and publisher (load_default "Zenodo"); deserializers/schemas.py load_access (no
# access_right is open) and load_default_license (CC-BY-4.0, CC0-1.0 for datasets);
# test_quickstart.py publishes such a deposition.
def test_missing_publication_date_access_right_and_license_are_filled(sandbox, api):
    dep = _create(sandbox, api, MINIMAL)
    md = dep["metadata"]
    assert md["publication_date"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert md["access_right"] == "open" and md["license"] == "cc-by-4.0"
    assert md["imprint_publisher"] == "Zenodo"
    dataset = _create(sandbox, api, {**MINIMAL, "upload_type": "dataset"})
    assert dataset["metadata"]["license"] == "cc-zero"
    closed = _create(sandbox, api, {**MINIMAL, "access_right": "closed"})
    assert "license" not in closed["metadata"]
    assert api.put(f"{dep['links']['bucket']}/sheet.jpg", data=b"jpeg").status_code == 201
    assert api.post(dep["links"]["publish"]).status_code == 202


# zenodo-rdm legacy/deserializers/schemas.py LegacySchema.load_access
# (embargoed without a date, or an unknown access right, is "Unknown access type.")
@pytest.mark.parametrize("access", [{"access_right": "embargoed"}, {"access_right": "public"}])
def test_embargo_without_date_and_unknown_access_are_refused(sandbox, api, access):
    response = api.post(_url(sandbox), json={"metadata": {**MINIMAL, **access}})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "_schema",
                                          "messages": ["Unknown access type."]}]


# zenodo-rdm legacy/serializers/schemas/common.py dump_access_right (closed -> restricted)
def test_closed_access_is_echoed_as_restricted(sandbox, api):
    assert _create(sandbox, api, {**MINIMAL, "access_right": "closed"})["metadata"][
        "access_right"] == "restricted"


# invenio-rdm-records services/schemas/metadata.py MetadataSchema.title (min length 3):
# the draft is saved without the title (InvenioRDM keeps drafts with errors), the publish
# fails on the missing title.
def test_a_title_under_three_characters_is_dropped_and_blocks_the_publish(sandbox, api):
    dep = _create(sandbox, api, {**MINIMAL, "title": "ab"})
    assert dep["title"] == "" and "title" not in dep["metadata"]
    api.put(f"{dep['links']['bucket']}/sheet.jpg", data=b"jpeg")
    response = api.post(dep["links"]["publish"])
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"metadata.title"}


# invenio-rdm-records MetadataSchema (resource_type, creators, title required) and
# invenio-drafts-resources publish; error fields are InvenioRDM's (metadata.resource_type)
def test_publish_errors_name_invenio_rdm_fields(sandbox, api):
    dep = api.post(_url(sandbox), json={"metadata": {"title": "Only a title"}}).json()
    response = api.post(dep["links"]["publish"])
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "A validation error occurred."
    assert {e["field"] for e in body["errors"]} == {
        "metadata.resource_type", "metadata.creators", "files.enabled"}


# zenodo-rdm legacy/deserializers/metadata.py load_rights and legacy/zenodo_legacy/licenses.py
# (legacy_to_rdm / rdm_to_legacy, LEGACY_ALIASES); legacy/tests/test_licenses_vocabulary.py
@pytest.mark.parametrize(("sent", "echoed"), [
    ("cc-zero", "cc-zero"), ("CC0-1.0", "cc-zero"), ("cc-by", "cc-by-4.0"),
    ("CC-BY-4.0", "cc-by-4.0"), ("cc-by-sa", "cc-by-sa-4.0"), ("gpl-3.0", "gpl-3.0"),
    ("GPL-3.0-only", "gpl-3.0"), ("mit", "mit-license"), ({"id": "odc-by"}, "odc-by"),
    ("other-open", "other-open"),
])
def test_legacy_licence_ids_are_accepted_and_echoed_in_legacy_form(sandbox, api, sent, echoed):
    assert _create(sandbox, api, {**MINIMAL, "license": sent})["metadata"]["license"] == echoed


# zenodo-rdm legacy/deserializers/metadata.py load_rights: an id outside the legacy map and
# the legacy licences is "Invalid license provided" (cc-pdm-1.0 is not in Zenodo's map)
@pytest.mark.parametrize("licence", ["cc-pdm-1.0", "made-up", {"id": "cc-by-9.0"}])
def test_unknown_licences_are_refused(sandbox, api, licence):
    response = api.post(_url(sandbox), json={"metadata": {**MINIMAL, "license": licence}})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "metadata.license"
    assert error["messages"][0].startswith("Invalid license provided")


# zenodo-rdm legacy/deserializers/metadata.py load_funding (no "::" -> EC funder) and
# legacyjson.py dump_grants (funder DOI :: award)
def test_a_bare_grant_id_becomes_an_ec_grant(sandbox, api):
    md = _create(sandbox, api, {**MINIMAL, "grants": [{"id": "777483"}]})["metadata"]
    assert md["grants"] == [{"id": "10.13039/501100000780::777483"}]


# zenodo-rdm legacy/deserializers/metadata.py load_language (pycountry 639-1 -> 639-3)
# and common.py dump_languages
def test_language_is_echoed_as_iso_639_3(sandbox, api):
    assert _create(sandbox, api, {**MINIMAL, "language": "en"})["metadata"]["language"] == "eng"
    assert _create(sandbox, api, {**MINIMAL, "language": "lat"})["metadata"]["language"] == "lat"
    response = api.post(_url(sandbox), json={"metadata": {**MINIMAL, "language": "english"}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "metadata.language"


# zenodo-rdm legacy/deserializers/metadata.py load_related_identifiers and
# split_identifiers (scheme detected by marshmallow-utils IdentifierSchema, value
# normalised; alternate identifiers echoed last, legacyjson.py hook_alternate_identifiers;
# the isOrignialFormOf typo is repaired)
def test_related_identifiers_get_a_detected_scheme_and_a_normalised_value(sandbox, api):
    related = [
        {"identifier": "urn:catalog:BR:BR0000013", "relation": "isAlternateIdentifier"},
        {"identifier": "https://doi.org/10.1234/Foo", "relation": "isDerivedFrom",
         "scheme": "url"},
        {"identifier": "https://www.gbif.org/occurrence/1", "relation": "isOrignialFormOf"},
    ]
    md = _create(sandbox, api, {**MINIMAL, "related_identifiers": related})["metadata"]
    assert md["related_identifiers"] == [
        {"identifier": "10.1234/Foo", "scheme": "doi", "relation": "isDerivedFrom"},
        {"identifier": "https://www.gbif.org/occurrence/1", "scheme": "url",
         "relation": "isOriginalFormOf"},
        {"identifier": "urn:catalog:BR:BR0000013", "scheme": "urn",
         "relation": "isAlternateIdentifier"},
    ]
    bare = api.post(_url(sandbox), json={"metadata": {**MINIMAL, "related_identifiers": [
        {"identifier": "BR0000013", "relation": "isAlternateIdentifier"}]}})
    assert bare.status_code == 400


# zenodo-rdm legacy/deserializers/metadata.py PersonSchema.load_names, CreatorSchema,
# load_contributors (thesis supervisors first, type lower-cased to a role) and
# common.py CreatorSchema/ContributorSchema (affiliation always dumped)
def test_people_are_echoed_as_zenodo_rebuilds_them(sandbox, api):
    md = _create(sandbox, api, {
        **MINIMAL, "creators": [{"name": "Doe ,Jane"}, {"name": "Meise Botanic Garden",
                                                         "orcid": "https://orcid.org/0000-0002-1825-0097"}],
        "thesis_supervisors": [{"name": "Smith, Ann"}],
        "contributors": [{"name": "Roe, Rick", "type": "DataCollector"}],
    })["metadata"]
    assert md["creators"] == [
        {"name": "Doe, Jane", "affiliation": None},
        {"name": "Meise Botanic Garden", "affiliation": None, "orcid": "0000-0002-1825-0097"}]
    assert md["contributors"] == [
        {"name": "Smith, Ann", "affiliation": None, "type": "Supervisor"},
        {"name": "Roe, Rick", "affiliation": None, "type": "DataCollector"}]


# zenodo_rdm/components.py CustomMetadataComponent (thesis -> dissertation) and
# legacyjson.py dump_resource_type
def test_thesis_becomes_dissertation(sandbox, api):
    md = _create(sandbox, api, {**MINIMAL, "upload_type": "publication",
                                "publication_type": "thesis"})["metadata"]
    assert (md["upload_type"], md["publication_type"]) == ("publication", "dissertation")


# invenio-records systemfields/relations (pre_commit validate) and invenio-rdm-records
# resources/config.py InvalidRelationValue handler: an unknown vocabulary id is a 400
@pytest.mark.parametrize(("change", "value"), [
    ({"upload_type": "specimen"}, "specimen"), ({"image_type": "scan"}, "image-scan"),
    ({"language": "xyz"}, "xyz"),
    ({"contributors": [{"name": "A, B", "type": "Boss"}]}, "boss"),
    ({"related_identifiers": [{"identifier": "10.1/x", "relation": "isSameAs"}]}, "issameas"),
])
def test_unknown_vocabulary_ids_are_refused(sandbox, api, change, value):
    response = api.post(_url(sandbox), json={"metadata": {**MINIMAL, **change}})
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": f"Invalid value {value}."}


# common.py DateSchema.dump_date: start/end are dumped for intervals only
def test_a_single_date_is_echoed_without_its_value(sandbox, api):
    md = _create(sandbox, api, {**MINIMAL, "dates": [
        {"start": "2020-01-01", "type": "Collected"},
        {"start": "2020-01-01", "end": "2020-02-01", "type": "Valid", "description": "d"}],
    })["metadata"]
    assert md["dates"] == [{"type": "collected"},
                           {"type": "valid", "start": "2020-01-01", "end": "2020-02-01",
                            "description": "d"}]


# zenodo-rdm legacy/deserializers/schemas.py (unknown top-level keys raise, unknown
# metadata keys are excluded) and custom_fields/domain_fields.py (undefined custom fields
# and badly typed values leave the draft)
def test_unknown_keys_and_custom_fields_zenodo_does_not_define_are_dropped(sandbox, api):
    md = _create(sandbox, api, {**MINIMAL, "not_a_field": 1, "custom": {
        "dwc:catalogNumber": ["BR0000013"], "dwc:recordNumber": ["12"],
        "dwc:eventDate": ["2011-05-17", "2011-05"], "dwc:kingdom": "Plantae"}})["metadata"]
    assert "not_a_field" not in md
    assert md["custom"] == {"dwc:catalogNumber": ["BR0000013"], "dwc:eventDate": ["2011-05-17"]}
    response = api.post(_url(sandbox), json={"metadata": MINIMAL, "links": {}})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "links", "messages": ["Unknown field."]}]
