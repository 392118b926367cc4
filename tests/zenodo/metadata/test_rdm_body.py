"""Tests for ``schema: rdm`` mappings: dwc-rich-rdm on the sample and on one known row, the
specimen key in RDM form (found by the RDM search, shown by the records API and the OAI-PMH
feed of the real sandbox), the hash and the schema check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.zenodo.data_helpers import BARLERIA, make_record
from zenodo.config.collection_file import load_collections
from zenodo.harvest.oai_page import parse_oai_page
from zenodo.harvest.records import parse_record
from zenodo.metadata.identity import rdm_matches_key, search_query_for
from zenodo.metadata.mapping import (
    MappedSpecimen,
    Mapper,
    MappingConfigError,
    MappingError,
    load_mapping,
    metadata_hash,
)
from zenodo.metadata.rdm_body import edtf, rdm_languages
from zenodo.source.extract import extract_records
from zenodo.validate.validator import Validator, has_errors
from zenodo_demo.sample import generate_sample
from zenodo_sandbox.rdm_validation import validate_rdm
from zenodo_sandbox.testing import SandboxProcess

ROOT = Path(__file__).resolve().parents[3]
DAY = dt.date(2026, 3, 1)
CETAF = BARLERIA["occurrenceID"]
OCTET = {"Content-Type": "application/octet-stream"}
RDM_JSON = {"Accept": "application/vnd.inveniordm.v1+json"}


def _mapper(tmp_path: Path, name: str = "dwc-rich-rdm", **kwargs: Any) -> Mapper:
    return Mapper(load_mapping(name), cache_dir=tmp_path / "cache", today=DAY, **kwargs)


def _write_mapping(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text("name: custom\nversion: '0.1'\n" + body, encoding="utf-8")
    return path


def test_every_valid_sample_row_maps_to_a_valid_rdm_body(tmp_path: Path) -> None:
    info = generate_sample(tmp_path / "sample", n=48, seed=11)
    config = load_collections(ROOT / "include" / "collections.yaml", env=info.env())[
        "herbarium_sample"
    ]
    mapper = _mapper(tmp_path, community=config.community, params=config.mapping_params,
                     compute_md5=False)
    validator = Validator.for_collection(config, extra_files=mapper.extra_files)
    mapped_keys, dates, without_point = [], set(), 0
    for record, problems in validator.validate_many(extract_records(config)):
        if has_errors(problems):
            continue
        body = mapper.map(record).metadata
        assert validate_rdm(body) == [], record.key
        assert set(body) == {"metadata", "custom_fields", "access", "files"}
        assert "communities" not in body["metadata"]
        assert rdm_matches_key(body, record.key)
        dates.add(body["metadata"]["dates"][0]["date"].count("-"))
        feature = body["metadata"]["locations"]["features"][0]
        without_point += "geometry" not in feature
        mapped_keys.append(record.key)
    assert len(mapped_keys) > 30 and mapped_keys == info.valid_keys
    assert dates == {0, 1, 2}  # year intervals, months and days: the odd rows are covered
    assert without_point >= 1  # the zero-coordinates row keeps its place, loses its point


def test_dwc_rich_rdm_maps_a_known_row_field_by_field(tmp_path: Path) -> None:
    terms = {
        **BARLERIA,
        "eventDate": "1985-05",
        "recordedBy": "Malaisse F. | Goetghebeur P.",
        "license": "http://creativecommons.org/publicdomain/zero/1.0/legalcode",
        "kingdom": "Plantae",
        "language": "en",
        "captureDevice": "Canon EOS 5DS R",
    }
    params = {"institution_names": {"BR": "Meise Botanic Garden"},
              "audubon": {"captureDevice": "Other camera", "subjectPart": "whole organism"}}
    mapped = _mapper(tmp_path, params=params).map(make_record(tmp_path / "img", terms))
    assert (mapped.schema, mapped.mapping_name) == ("rdm", "dwc-rich-rdm")
    assert [f.name for f in mapped.files] == ["BR0000008525000.jpg", "BR0000008525000.json"]
    body = mapped.metadata
    md = body["metadata"]
    assert md["resource_type"] == {"id": "image-photo"}
    assert md["title"] == ("Barleria velutina Champl. (BR0000008525000), herbarium specimen "
                           "of Meise Botanic Garden")
    assert md["publication_date"] == "2026-03-01"
    assert md["description"].startswith(
        "<p>Digitised herbarium specimen BR0000008525000 of <i>Barleria velutina Champl.</i> "
        "held by Meise Botanic Garden. Collected by Malaisse F. | Goetghebeur P. on 1985-05. "
        "Locality: Shinkolobwe, terr[itoire] Kambove.</p>")
    assert md["creators"] == [
        {"person_or_org": {"type": "organizational", "name": "Meise Botanic Garden"}}]
    assert md["rights"] == [{"id": "cc0-1.0"}]
    assert md["publisher"] == "Zenodo"  # as zenodo.org's deposit API fills it in
    assert md["subjects"] == [
        {"subject": s} for s in ("biodiversity", "herbarium sheet", "Plantae", "Acanthaceae",
                                 "Barleria", "Barleria velutina Champl.",
                                 f"specimen-key:{CETAF}")]
    assert md["languages"] == [{"id": "eng"}]
    assert md["identifiers"] == [{"identifier": CETAF, "scheme": "url"}]
    assert md["locations"] == {"features": [{
        "place": "Shinkolobwe, terr[itoire] Kambove",
        "geometry": {"type": "Point", "coordinates": [26.5667, -11.0333]}}]}
    assert md["dates"] == [{"date": "1985-05", "type": {"id": "collected"},
                            "description": "Specimen collected (dwc:eventDate 1985-05)"}]
    assert "related_identifiers" not in md and "keywords" not in md
    assert body["custom_fields"] == {
        "dwc:basisOfRecord": ["PRESERVED_SPECIMEN"],
        "dwc:catalogNumber": ["BR0000008525000"],
        "dwc:countryCode": ["CD"],
        "dwc:family": ["Acanthaceae"],
        "dwc:genus": ["Barleria"],
        "dwc:institutionCode": ["BR"],
        "dwc:kingdom": ["Plantae"],
        "dwc:locality": ["Shinkolobwe, terr[itoire] Kambove"],
        "dwc:occurrenceID": [CETAF],
        "dwc:recordedBy": ["Malaisse F.", "Goetghebeur P."],
        "dwc:scientificName": ["Barleria velutina Champl."],
        "dwc:verbatimEventDate": ["1985-05"],
        "dwc:decimalLatitude": [-11.0333],
        "dwc:decimalLongitude": [26.5667],
        "ac:associatedSpecimenReference": [CETAF],
        "ac:captureDevice": ["Canon EOS 5DS R"],
        "ac:subjectPart": ["whole organism"],
    }
    assert body["access"] == {"record": "public", "files": "public"}
    assert body["files"] == {"enabled": True}
    assert validate_rdm(body) == []


def test_rdm_helpers_write_edtf_dates_and_iso_639_3_languages() -> None:
    assert [edtf(v) for v in ("1985-05-15T10:00Z", "1980/1989", "2007-11-13/15", "VI.1931")] == [
        "1985-05-15", "1980/1989", "2007-11-13/2007-11-15", None]
    assert rdm_languages("FRE") == [{"id": "fra"}] and rdm_languages(None) == []
    assert rdm_languages(" nl ") == [{"id": "nld"}] and rdm_languages("") == []
    for code in ("xx", "xyz"):
        with pytest.raises(ValueError, match=f"'{code}' is not an ISO 639 code"):
            rdm_languages(code)


def test_bad_digitization_date_fails_the_record_naming_the_field(tmp_path: Path) -> None:
    record = make_record(tmp_path, {**BARLERIA, "digitizationDate": "III.2019"})
    with pytest.raises(MappingError, match=r"custom_fields.*ac:digitizationDate: 'III\.2019'"):
        _mapper(tmp_path).map(record)


def test_rdm_key_is_an_identifier_and_a_subject_added_once(tmp_path: Path) -> None:
    path = _write_mapping(tmp_path, (
        "schema: rdm\nmetadata:\n  metadata:\n    title: '{{ key }}'\n"
        "    subjects: [{subject: 'specimen-key:{{ key }}'}]\n"))
    terms = {k: v for k, v in BARLERIA.items() if k != "occurrenceID"}
    md = Mapper(load_mapping(path), cache_dir=tmp_path).map(
        make_record(tmp_path, {**terms, "occurrenceID": "K.1"})).metadata["metadata"]
    assert md["subjects"] == [{"subject": "specimen-key:K.1"}]
    assert md["identifiers"] == [{"identifier": "urn:specimen:K.1", "scheme": "urn"}]


def test_rdm_key_identifier_clashing_with_the_mappings_fails_the_record(tmp_path: Path) -> None:
    path = _write_mapping(tmp_path, (
        "schema: rdm\nmetadata:\n  metadata:\n"
        "    identifiers: [{identifier: 'https://example.org/other', scheme: url}]\n"))
    with pytest.raises(MappingError, match=r"metadata\.identifiers.*one per scheme"):
        Mapper(load_mapping(path), cache_dir=tmp_path).map(make_record(tmp_path))


@pytest.mark.parametrize(("body", "message"), [
    ("schema: legacy\nmetadata: {title: x}\n", r"field 'schema': must be one of deposit, rdm, "
                                               r"got 'legacy'"),
    ("schema: rdm\nmetadata: {title: x}\n", r"field 'metadata': .* got title"),
    ("schema: rdm\nmetadata: {access: {record: public}}\n", r"field 'metadata\.metadata'"),
])
def test_bad_schema_gives_a_clear_error_naming_the_file(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(MappingConfigError, match=r"custom\.yaml: " + message):
        load_mapping(_write_mapping(tmp_path, body))


def test_schema_defaults_to_deposit() -> None:
    assert load_mapping("dwc-rich").schema == "deposit"
    assert load_mapping("dwc-rich-rdm").schema == "rdm"


def test_rdm_hash_ignores_publication_date_but_nothing_else(tmp_path: Path) -> None:
    record = make_record(tmp_path)
    one = _mapper(tmp_path).map(record)
    other_day = Mapper(load_mapping("dwc-rich-rdm"), cache_dir=tmp_path / "c",
                       today=dt.date(2030, 1, 1)).map(record)
    assert one.metadata["metadata"]["publication_date"] != (
        other_day.metadata["metadata"]["publication_date"])
    assert one.metadata_hash == other_day.metadata_hash
    assert one.metadata_hash == metadata_hash(one.metadata, schema="rdm")
    assert metadata_hash(one.metadata) != metadata_hash(other_day.metadata)  # deposit rule
    changed = make_record(tmp_path, {**BARLERIA, "scientificName": "Barleria sp."})
    assert _mapper(tmp_path).map(changed).metadata_hash != one.metadata_hash


def test_rdm_search_query_escapes_and_the_key_check_is_exact() -> None:
    assert search_query_for("rdm", 'a"b\\c') == (
        'metadata.subjects.subject:"specimen-key:a\\"b\\\\c"')
    assert search_query_for("deposit", "K.1") == 'keywords:"specimen-key:K.1"'
    with pytest.raises(ValueError, match="unknown mapping schema 'oai'"):
        search_query_for("oai", "K.1")
    body = {"metadata": {"subjects": [{"subject": "specimen-key:K-1"}]}}
    assert rdm_matches_key(body, "K-1")
    assert not rdm_matches_key(body, "K.1")
    assert not rdm_matches_key({"metadata": {"keywords": ["specimen-key:K-1"]}}, "K-1")


def _session(sandbox: SandboxProcess) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sandbox.token}"
    return session


def _draft(session: requests.Session, url: str, mapped: MappedSpecimen) -> dict[str, Any]:
    created = session.post(f"{url}/api/records", json=mapped.metadata, timeout=30)
    assert created.status_code == 201, created.text
    draft = created.json()
    # invenio-records-resources services/records/results.py RecordItem.to_dict: "errors" is
    # there only when the draft has some
    assert draft.get("errors", []) == []
    return draft


def _keyed(tmp_path: Path, key: str) -> MappedSpecimen:
    terms = {**BARLERIA, "occurrenceID": key, "catalogNumber": f"CAT-{key}"}
    return _mapper(tmp_path).map(make_record(tmp_path / key, terms))


def test_rdm_draft_is_found_by_its_key_and_near_misses_are_told_apart(
    tmp_path: Path, sandbox: SandboxProcess
) -> None:
    session = _session(sandbox)
    url_draft = _draft(session, sandbox.url, _mapper(tmp_path).map(make_record(tmp_path)))
    dot = _draft(session, sandbox.url, _keyed(tmp_path, "K.1"))
    dash = _draft(session, sandbox.url, _keyed(tmp_path, "K-1"))

    def search(key: str) -> list[dict[str, Any]]:
        answer = session.get(f"{sandbox.url}/api/user/records",
                             params={"q": search_query_for("rdm", key)}, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()["hits"]["hits"]

    assert [hit["id"] for hit in search(CETAF)] == [url_draft["id"]]
    hits = search("K.1")
    assert dot["id"] in {hit["id"] for hit in hits} <= {dot["id"], dash["id"]}
    assert [hit["id"] for hit in hits if rdm_matches_key(hit, "K.1")] == [dot["id"]]
    assert not rdm_matches_key(dash, "K.1") and rdm_matches_key(dash, "K-1")


def test_published_rdm_record_shows_its_key_in_the_records_api_and_oai(
    tmp_path: Path, sandbox: SandboxProcess
) -> None:
    session = _session(sandbox)
    mapped = _mapper(tmp_path).map(make_record(tmp_path))
    draft = _draft(session, sandbox.url, mapped)
    files = draft["links"]["files"]
    declared = session.post(files, json=[{"key": f.name} for f in mapped.files], timeout=30)
    assert declared.status_code == 201, declared.text
    for spec in mapped.files:
        put = session.put(f"{files}/{spec.name}/content", data=spec.path.read_bytes(),
                          headers=OCTET, timeout=30)
        assert put.status_code == 200, put.text
        committed = session.post(f"{files}/{spec.name}/commit", timeout=30)
        assert committed.json()["checksum"] == f"md5:{spec.md5}"
    published = session.post(draft["links"]["publish"], timeout=30)
    assert published.status_code == 202, published.text
    recid = published.json()["id"]

    legacy = session.get(f"{sandbox.url}/api/records/{recid}", timeout=30).json()
    assert f"specimen-key:{CETAF}" in legacy["metadata"]["keywords"]
    rdm = session.get(f"{sandbox.url}/api/records/{recid}", headers=RDM_JSON, timeout=30).json()
    assert rdm_matches_key(rdm, mapped.key)
    for prefix in ("oai_datacite", "oai_dc"):
        answer = requests.get(f"{sandbox.url}/oai2d", params={
            "verb": "GetRecord", "metadataPrefix": prefix,
            "identifier": f"oai:zenodo.org:{recid}"}, timeout=30)
        page = parse_oai_page(answer.content)
        subjects = [e.text for e in page.records[0].iter() if e.tag.endswith("}subject")]
        assert f"specimen-key:{CETAF}" in subjects, prefix
        harvested = parse_record(page.records[0], where=prefix)
        assert (harvested.record_id, harvested.specimen_key) == (str(recid), mapped.key)
