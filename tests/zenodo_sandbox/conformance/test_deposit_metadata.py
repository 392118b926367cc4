"""zenodo-rdm ``site/tests/legacy/deposits/test_rest_api_metadata.py`` over HTTP.

The input and expected output of ``test_input_output`` are the ``test_data`` and
``expected_record_metadata`` fixtures of ``site/tests/legacy/deposits/conftest.py``, written
out here (custom fields shortened to a few keys of each kind).
"""

from __future__ import annotations

import datetime as dt

import pytest

TOMORROW = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
CUSTOM = {
    "dwc:basisOfRecord": ["foo", "bar"], "dwc:collectionCode": ["MUSM", "ZMPC"],
    "dwc:dateIdentified": ["2011-05-17", "2022-08-18"],
    "dwc:decimalLatitude": [45.90621, -33.85249], "dwc:decimalLongitude": [6.1267, 151.21046],
    "dwc:eventDate": ["2011-05-17", "2022-08-18"], "dwc:family": ["Cerambycidae"],
    "dwc:scientificNameAuthorship": ["Juárez-Noé & González-Coronado"],
    "dwc:verbatimEventDate": ["2011-05-17"],
    "openbiodiv:TaxonomicConceptLabel": ["Asynapteron andinum Juárez-Noé, 2023"],
    "ac:captureDevice": ["foo", "bar"], "dc:rightsHolder": ["foo", "bar"],
    "obo:RO_0002453": [{"subject": ["foo", "bar"], "object": ["foo", "bar"]}],
    "gbif-dwc:recordedByID": ["foo", "bar"],
}
SHARED = {
    "access_right": "embargoed", "communities": [{"identifier": "c1"}],
    "conference_acronym": "Some acronym", "conference_dates": "Some dates",
    "conference_place": "Some place", "conference_title": "Some title",
    "conference_url": "http://someurl.com", "conference_session": "VI",
    "conference_session_part": "1",
    "creators": [{"name": "Doe, John", "affiliation": "Atlantis",
                  "orcid": "0000-0002-1825-0097", "gnd": "170118215"},
                 {"name": "Smith, Jane", "affiliation": "Atlantis"}],
    "description": "Some description", "embargo_date": TOMORROW,
    "grants": [{"id": "10.13039/501100001665::755021"}],
    "imprint_isbn": "978-3-16-148410-0", "imprint_place": "Some place",
    "imprint_publisher": "Zenodo", "journal_issue": "Some issue", "journal_pages": "Some pages",
    "journal_title": "Some journal name", "journal_volume": "Some volume",
    "keywords": ["Keyword 1", "keyword 2"],
    "subjects": [{"scheme": "gnd", "identifier": "gnd:1234567899", "term": "Astronaut"},
                 {"scheme": "gnd", "identifier": "gnd:1234567898", "term": "Amish"}],
    "notes": "Some notes", "partof_pages": "SOme part of", "partof_title": "Some part of title",
    "publication_date": "2013-09-12", "publication_type": "book",
    "references": ["Reference 1", "Reference 2"],
    "related_identifiers": [
        {"identifier": "10.1234/foo.bar2", "relation": "isCitedBy", "scheme": "doi"},
        {"identifier": "10.1234/foo.bar3", "relation": "cites", "scheme": "doi",
         "resource_type": "dataset"},
        {"identifier": "2011ApJS..192...18K", "relation": "isAlternateIdentifier",
         "scheme": "ads"}],
    "thesis_university": "Some thesis_university",
    "locations": [{"place": "London", "description": "A nice location", "lat": 10.2, "lon": 5}],
    "title": "Test title", "upload_type": "publication", "custom": CUSTOM,
}
TEST_DATA = {"metadata": {
    **SHARED, "doi": "10.1234/foo.bar", "license": "CC0-1.0", "prereserve_doi": True,
    "thesis_supervisors": [{"name": "Doe, John", "affiliation": "Atlantis"},
                           {"name": "Smith, Jane", "affiliation": "Atlantis",
                            "orcid": "0000-0002-1825-0097", "gnd": "170118215"}],
    "contributors": [{"name": "Doe, Jochen", "affiliation": "Atlantis", "type": "Other"},
                     {"name": "Smith, Marco", "affiliation": "Atlantis",
                      "orcid": "0000-0002-1825-0097", "gnd": "170118215",
                      "type": "DataCurator"}],
}}
EXPECTED = {
    **SHARED, "license": "cc-zero",
    "contributors": [
        {"name": "Doe, John", "affiliation": "Atlantis", "type": "Supervisor"},
        {"name": "Smith, Jane", "affiliation": "Atlantis", "orcid": "0000-0002-1825-0097",
         "gnd": "170118215", "type": "Supervisor"},
        {"name": "Doe, Jochen", "affiliation": "Atlantis", "type": "Other"},
        {"name": "Smith, Marco", "affiliation": "Atlantis", "orcid": "0000-0002-1825-0097",
         "gnd": "170118215", "type": "DataCurator"}],
}
SMALL = {"title": "Test", "upload_type": "dataset", "description": "Test description",
         "creators": [{"name": "Test User"}]}


def _url(sandbox) -> str:
    return f"{sandbox.url}/api/deposit/depositions"


# test_rest_api_metadata.py::test_invalid_create
def test_invalid_create(sandbox, api):
    response = api.post(_url(sandbox), json={"unknownkey": "data", "metadata": {}})
    assert response.status_code == 400
    assert api.get(_url(sandbox)).json() == []


# test_rest_api_metadata.py::test_input_output
def test_input_output(sandbox, api):
    created = api.post(_url(sandbox), json=TEST_DATA)
    assert created.status_code == 201
    data = api.get(created.json()["links"]["self"]).json()
    recid = data["id"]
    expected = {**EXPECTED, "prereserve_doi": {"doi": f"10.5281/zenodo.{recid}",
                                               "recid": recid}}
    got = {k: v for k, v in data["metadata"].items() if k != "doi"}
    assert {k for k in got.keys() ^ expected.keys()} == set()
    for key in expected:
        assert got[key] == expected[key], key


# test_rest_api_metadata.py::test_malformed_related_identifiers (each parametrised case)
@pytest.mark.parametrize(("related", "field", "message"), [
    ("not-a-list", "metadata.related_identifiers", "related_identifiers must be a list"),
    (["not-a-dict"], "metadata.related_identifiers.0",
     "Each related identifier must be an object"),
    ([{"identifier": "10.1234/foo", "relation": 123}],
     "metadata.related_identifiers.0.relation", "relation must be a string"),
])
def test_malformed_related_identifiers(sandbox, api, related, field, message):
    response = api.post(_url(sandbox), json={"metadata": {**SMALL,
                                                          "related_identifiers": related}})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["field"] == field and message in errors[0]["messages"][0]


# test_rest_api_metadata.py::test_malformed_license (each parametrised case)
@pytest.mark.parametrize("value", [123, ["cc-by-4.0"]])
def test_malformed_license(sandbox, api, value):
    response = api.post(_url(sandbox), json={"metadata": {**SMALL, "license": value}})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0]["field"] == "metadata.license"
    assert "Invalid license value provided" in errors[0]["messages"][0]


# test_rest_api_metadata.py::test_malformed_communities (each parametrised case)
@pytest.mark.parametrize("communities", [
    {"identifier": "my-community"}, [{"id": "my-community"}], ["my-community"]])
def test_malformed_communities(sandbox, api, communities):
    response = api.post(_url(sandbox), json={"metadata": {**SMALL,
                                                          "communities": communities}})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["field"] == "communities" and "identifier" in errors[0]["messages"][0]


# test_rest_api_metadata.py::test_valid_communities (each parametrised case)
@pytest.mark.parametrize("communities", [
    [{"identifier": "c1"}], [{"identifier": "c1"}, {"identifier": "c2"}]])
def test_valid_communities(sandbox, api, communities):
    response = api.post(_url(sandbox), json={"metadata": {**SMALL,
                                                          "communities": communities}})
    assert response.status_code == 201
    returned = {c["identifier"] for c in response.json()["metadata"]["communities"]}
    assert returned == {c["identifier"] for c in communities}


# test_rest_api_metadata.py::test_valid_license (each parametrised case)
@pytest.mark.parametrize("value", ["cc-by-4.0", {"id": "cc-by-4.0"}])
def test_valid_license(sandbox, api, value):
    response = api.post(_url(sandbox), json={"metadata": {**SMALL, "license": value}})
    assert response.status_code == 201
