"""The records API (``GET /api/records/{id}``) answers in zenodo.org's Zenodo JSON.

zenodo-rdm serves ``/api/records`` with ``ZenodoJSONSerializer`` (``site/zenodo_rdm/
resources.py``): ``legacy/serializers/schemas/zenodojson.py`` over ``common.py``, applied to
the InvenioRDM record its legacy deserializer made. Each test names the zenodo-rdm test or
source function whose behaviour it pins. Records are seeded with legacy metadata
(``/admin/seed``) unless the test is about the deposit-to-record path.
"""

from __future__ import annotations

from typing import Any

import requests

BASE = {
    "upload_type": "image", "image_type": "photo", "publication_date": "2024-03-01",
    "title": "Herbarium specimen BR0000013", "description": "<p>Digitised sheet.</p>",
    "creators": [{"name": "Meise, Botanic Garden", "affiliation": "Meise"},
                 {"name": "Doe, Jane", "orcid": "0000-0002-1825-0097"}],
    "access_right": "open", "license": "cc-by-4.0", "keywords": ["herbarium"],
    "related_identifiers": [
        {"identifier": "urn:catalog:BR:BR0000013", "relation": "isAlternateIdentifier"},
        {"identifier": "10.15468/abcd", "relation": "isPartOf", "resource_type": "dataset"}],
    "custom": {"dwc:catalogNumber": ["BR0000013"]},
}


def seed_record(sandbox, files: dict[str, str] | None = None, owner: str | None = None,
                **metadata: Any) -> dict[str, Any]:
    """Seed one published record; return its records-API JSON as an anonymous caller sees it."""
    key, content = next(iter((files or {"sheet.jpg": "jpeg"}).items()))
    options: dict[str, Any] = {"metadata": {**BASE, **metadata},
                               "file": {"key": key, "content": content}}
    if owner:
        options["owner"] = owner
    (recid,) = sandbox.admin.seed(1, **options)["ids"]
    response = requests.get(f"{sandbox.url}/api/records/{recid}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


# zenodo-rdm tests/legacy/test_grant_serialization.py
# test_dump_grants_serializes_complete_funding; common.py MetadataSchema._grant
def test_grants_are_objects_with_code_internal_id_and_funder(sandbox):
    record = seed_record(sandbox, grants=[{"id": "10.13039/501100000780::755021"},
                                          {"id": "283595"}])
    grants = record["metadata"]["grants"]
    assert [g["code"] for g in grants] == ["755021", "283595"]
    assert grants[0] == {"code": "755021", "internal_id": "10.13039/501100000780::755021",
                         "funder": {"name": "European Commission",
                                    "doi": "10.13039/501100000780", "country": "BE",
                                    "acronym": "EC"}}
    # an award of the vocabulary also shows its title, acronym, programme and URL
    assert grants[1]["acronym"] == "OpenAIREplus"
    assert grants[1]["program"] == "FP7-INFRASTRUCTURES"
    assert grants[1]["url"] == "https://cordis.europa.eu/project/id/283595"


# zenodo-rdm tests/legacy/test_grant_serialization.py test_dump_grants_skips_incomplete_funding
# (a funding entry without an award is skipped; with nothing left, ``grants`` is missing)
def test_a_grant_without_award_is_left_out(sandbox):
    record = seed_record(sandbox, grants=[{"id": "10.13039/501100000780::"}])
    assert "grants" not in record["metadata"]


# zenodo-rdm tests/legacy/test_file_link_serialization.py
# test_serializers_generate_expected_file_links (ZenodoSchema.dump_files quotes the key)
def test_file_links_keep_slashes_and_encode_spaces(sandbox):
    record = seed_record(sandbox, files={"project/report draft.pdf": "1, 2, 3"})
    (entry,) = record["files"]
    assert entry["key"] == "project/report draft.pdf"
    assert entry["links"]["self"] == (
        f"{sandbox.url}/api/records/{record['id']}/files/project/report%20draft.pdf/content")
    assert entry["checksum"].startswith("md5:") and entry["size"] == 7
    assert requests.get(entry["links"]["self"], timeout=10).content == b"1, 2, 3"


# zenodo-rdm tests/legacy/test_communities.py test_autoaccept_owned_communities
# (communities of a published record read back as ``[{"id": slug}]``, no custom field left)
def test_published_communities_read_back_by_id(sandbox, deposit, metadata):
    dep = deposit({**metadata, "communities": [{"identifier": "herbaria"}]}, publish=True)
    record = requests.get(dep["links"]["self"].replace("/deposit/depositions/", "/records/"),
                          timeout=10).json()
    assert record["metadata"]["communities"] == [{"id": "herbaria"}]
    assert "legacy:communities" not in record.get("custom_fields", {})
    assert "communities" not in seed_record(sandbox)["metadata"]  # none: the key is left out


# zenodo-rdm zenodojson.py ResourceTypeSchema.dump_resource_type (subtype: the part after
# the dash; title: the resource type vocabulary's English title)
def test_resource_type_has_type_bare_subtype_and_title(sandbox):
    assert seed_record(sandbox)["metadata"]["resource_type"] == {
        "type": "image", "subtype": "photo", "title": "Photo"}
    dataset = seed_record(sandbox, upload_type="dataset")["metadata"]["resource_type"]
    assert dataset == {"type": "dataset", "title": "Dataset"}
    assert "upload_type" not in seed_record(sandbox)["metadata"]


# zenodo-rdm deserializers/metadata.py MetadataSchema.split_identifiers and zenodojson.py
# MetadataSchema.dump_alternate_identifiers; common.py RelatedIdentifierSchema
def test_alternate_identifiers_leave_related_identifiers(sandbox):
    md = seed_record(sandbox)["metadata"]
    assert md["alternate_identifiers"] == [{"identifier": "urn:catalog:BR:BR0000013"}]
    assert md["related_identifiers"] == [{"identifier": "10.15468/abcd", "relation": "isPartOf",
                                          "resource_type": "dataset", "scheme": "doi"}]


# zenodo-rdm common.py MetadataSchema.dump_access_right with deserializers/schemas.py
# LegacySchema.load_access (closed and restricted are restricted files; an embargo shows
# its date); invenio-rdm-records FilesSchema field_dump_permissions (``entries`` need
# ``read_files``)
def test_closed_shows_as_restricted_and_hides_its_files_from_others(sandbox):
    record = seed_record(sandbox, access_right="closed", owner=sandbox.user)
    assert record["metadata"]["access_right"] == "restricted" and record["files"] == []
    own = requests.get(f"{sandbox.url}/api/records/{record['id']}", headers=sandbox.headers(),
                       timeout=10).json()
    assert len(own["files"]) == 1
    download = own["files"][0]["links"]["self"]
    assert requests.get(download, timeout=10).status_code == 403
    assert requests.get(download, headers=sandbox.headers(), timeout=10).status_code == 200
    embargoed = seed_record(sandbox, access_right="embargoed", embargo_date="2999-01-01")
    assert embargoed["metadata"]["access_right"] == "embargoed"
    assert embargoed["metadata"]["embargo_date"] == "2999-01-01"


# zenodo-rdm common.py MetadataSchema.resolve_license with zenodo_legacy/licenses.py
# rdm_to_legacy (the legacy id of the RDM licence, as an object)
def test_license_is_an_object_with_the_legacy_id(sandbox):
    assert seed_record(sandbox)["metadata"]["license"] == {"id": "cc-by-4.0"}
    assert seed_record(sandbox, license="CC0-1.0")["metadata"]["license"] == {"id": "cc-zero"}
    assert seed_record(sandbox, license="mit")["metadata"]["license"] == {"id": "mit-license"}


# zenodo-rdm common.py CreatorSchema (affiliation always dumped, null when none; orcid) and
# deserializers/metadata.py PersonSchema.load_names (a single comma splits family, given)
def test_creators_carry_affiliation_null_and_orcid(sandbox):
    creators = seed_record(sandbox)["metadata"]["creators"]
    assert creators == [{"name": "Meise, Botanic Garden", "affiliation": "Meise"},
                        {"name": "Doe, Jane", "affiliation": None,
                         "orcid": "0000-0002-1825-0097"}]


# zenodo-rdm common.py DateSchema.dump_date (start/end for an interval only) and
# deserializers load_dates (type ids are lower-case)
def test_dates_keep_start_and_end_for_intervals_only(sandbox):
    md = seed_record(sandbox, dates=[
        {"start": "1901-05-01", "end": "1901-05-02", "type": "Collected"},
        {"start": "1901-05-01", "type": "Valid", "description": "label date"}])["metadata"]
    assert md["dates"] == [{"type": "collected", "start": "1901-05-01", "end": "1901-05-02"},
                           {"type": "valid", "description": "label date"}]


# zenodo-rdm zenodojson.py ZenodoSchema (recid, revision, owners, status, stats, files) and
# common.py LegacySchema (conceptrecid, doi_url, title, dump_state: done, submitted)
def test_top_level_shape(sandbox):
    record = seed_record(sandbox)
    assert record["recid"] == str(record["id"]) and isinstance(record["id"], int)
    assert record["doi_url"] == f"https://doi.org/{record['doi']}"
    assert record["metadata"]["doi"] == record["doi"]
    assert (record["status"], record["state"], record["submitted"]) == ("published", "done", True)
    assert isinstance(record["revision"], int) and record["title"] == BASE["title"]
    assert [set(o) for o in record["owners"]] == [{"id"}]
    assert isinstance(record["owners"][0]["id"], str)
    assert set(record["stats"]) == {
        "downloads", "unique_downloads", "views", "unique_views", "volume", "version_downloads",
        "version_unique_downloads", "version_unique_views", "version_views", "version_volume"}
    assert {"self", "self_html", "doi", "parent_doi", "files", "latest", "versions"} <= set(
        record["links"])
    assert "prereserve_doi" not in record["metadata"] and "owner" not in record


# zenodo-rdm zenodojson.py MetadataSchema.dump_relations (0-based index, is_last, parent)
def test_version_relations_follow_new_versions(sandbox, api, deposit):
    first = deposit(publish=True)
    new = api.post(first["links"]["newversion"]).json()
    assert api.post(new["links"]["publish"]).status_code == 202
    old = requests.get(f"{sandbox.url}/api/records/{first['id']}", timeout=10).json()
    latest = requests.get(f"{sandbox.url}/api/records/{new['id']}", timeout=10).json()
    parent = {"pid_type": "recid", "pid_value": first["conceptrecid"]}
    assert old["metadata"]["relations"] == {
        "version": [{"index": 0, "is_last": False, "parent": parent}]}
    assert latest["metadata"]["relations"] == {
        "version": [{"index": 1, "is_last": True, "parent": parent}]}


# zenodo-rdm common.py dump_custom_fields, zenodojson.py JournalSchema/ImprintSchema/
# ThesisSchema and deserializers/schemas.py load_custom_fields (partof_* land in the
# imprint custom field, which the imprint object does not show)
def test_custom_fields_and_publication_details(sandbox):
    md = seed_record(sandbox, journal_title="Taxon", journal_volume="7", imprint_place="Meise",
                     partof_title="Flora", thesis_university="Ghent")["metadata"]
    assert md["custom"] == {"dwc:catalogNumber": ["BR0000013"]}
    assert md["journal"] == {"title": "Taxon", "volume": "7"}
    assert md["imprint"] == {"place": "Meise"} and "part_of" not in md
    assert md["thesis"] == {"university": "Ghent"}


# zenodo-rdm common.py dump_languages, dump_keywords, ``subjects`` (legacy:subjects),
# dump_additional_descriptions (notes, method), dump_locations
def test_language_keywords_subjects_notes_and_locations(sandbox):
    md = seed_record(sandbox, language="en", notes="Some notes.", method="Scanned.",
                     subjects=[{"term": "Quercus", "identifier": "https://gbif.org/x",
                                "scheme": "url"}],
                     locations=[{"place": "Meise", "lat": 50.93, "lon": 4.33}])["metadata"]
    assert md["language"] == "eng" and md["keywords"] == ["herbarium"]
    assert md["subjects"] == [{"term": "Quercus", "identifier": "https://gbif.org/x",
                               "scheme": "url"}]
    assert (md["notes"], md["method"]) == ("Some notes.", "Scanned.")
    assert md["locations"] == [{"place": "Meise", "lon": 4.33, "lat": 50.93}]


# zenodo-rdm deserializers/schemas.py LegacySchema._pids (a DOI given at deposit that is not
# Zenodo's own is kept with the ``external`` provider: the record shows it)
def test_an_external_doi_is_the_records_doi(sandbox):
    record = seed_record(sandbox, doi="10.1234/external.5")
    assert record["doi"] == record["metadata"]["doi"] == "10.1234/external.5"
    assert record["doi_url"] == "https://doi.org/10.1234/external.5"
    own = seed_record(sandbox, doi="10.5281/zenodo.999")
    assert own["doi"] == f"10.5072/zenodo.{own['id']}"
