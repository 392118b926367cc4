"""Tests for the mappings: pilot 1 (Table 1) and pilot 2 (Table 3) field by field, dwc-rich,
the template engine's errors, the metadata hash and the key lookup against the real sandbox."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.zenodo.data_helpers import BARLERIA, make_record
from zenodo.metadata import mapping
from zenodo.metadata.identity import (
    deposit_matches_key,
    search_query_for,
    specimen_search_query,
)
from zenodo.metadata.mapping import (
    Mapper,
    MappingConfigError,
    MappingError,
    load_mapping,
    metadata_hash,
)
from zenodo_sandbox.testing import SandboxProcess
from zenodo_sandbox.validation import validate_for_publish

CETAF = BARLERIA["occurrenceID"]
DAY = dt.date(2026, 3, 1)
TABLE1_INTRO = (
    "Part of a training dataset of scanned herbarium specimens. The data paper and a summary "
    "landing page will be published on Zenodo as it gets published. Content of the deposit: "
    "- A JSON-LD datafile listing the label data associated with this herbarium specimen. The "
    "Darwin and Dublin Core data standards are used for most values. - A JPEG image file of "
    "the scanned herbarium sheet."
)
TABLE1_TIFF = " - A lossless TIFF image from which the JPEG image has been derived."
TABLE1_PNG = (
    " - Two PNG files containing segmented image overlays of the scanned herbarium sheet. The "
    "_all extension indicates that all labels, color charts and pieces of text have received a "
    "different color against a black background color. The _sel extension indicates that "
    "these elements are white if they're barcode labels, yellow if they're color charts and "
    "red if they're anything else."
)


def _mapper(name: str, tmp_path: Path, **kwargs: object) -> Mapper:
    return Mapper(load_mapping(name), cache_dir=tmp_path / "cache", today=DAY, **kwargs)


def test_pilot1_matches_table_1_field_by_field(tmp_path: Path) -> None:
    record = make_record(tmp_path / "img", {**BARLERIA, "basisOfRecord": "PRESERVED_SPECIMEN"})
    mapped = _mapper("pilot1", tmp_path).map(record)
    md = mapped.metadata
    assert md["title"] == (
        "Herbarium specimen image of Barleria velutina Champl., part of the "
        "collection of Meise Botanic Garden"
    )
    assert (md["upload_type"], md["image_type"]) == ("image", "photo")
    assert md["description"] == TABLE1_INTRO
    assert md["creators"] == [{"name": "Meise Botanic Garden"}]
    assert md["grants"] == [{"id": "10.13039/501100000780::777483"}]
    assert md["language"] == "fra"
    assert md["related_identifiers"] == [
        {"identifier": CETAF, "relation": "isAlternateIdentifier", "scheme": "url"}
    ]
    assert md["keywords"] == ["biodiversity", "herbarium sheet", f"specimen-key:{CETAF}"]
    assert md["communities"] == [{"identifier": "icedigtest"}]
    assert (md["access_right"], md["license"], md["publication_date"]) == (
        "open",
        "CC0-1.0",
        "2026-03-01",
    )
    assert {
        "term": "PRESERVED_SPECIMEN",
        "identifier": "http://rs.tdwg.org/dwc/terms/basisOfRecord",
        "scheme": "url",
    } in md["subjects"]
    assert {
        "term": "1985",
        "identifier": "http://rs.tdwg.org/dwc/terms/year",
        "scheme": "url",
    } in md["subjects"]
    assert {
        "term": "fra",
        "identifier": "http://purl.org/dc/terms/language",
        "scheme": "purl",
    } in md["subjects"]
    assert len(md["subjects"]) == len(BARLERIA)
    assert (mapped.mapping_name, mapped.mapping_version) == ("pilot1", "1.0.0")


def test_pilot1_description_adds_tiff_and_png_paragraphs_only_when_present(tmp_path: Path) -> None:
    files = {
        "BR0000008525000.jpg": "JPEG",
        "BR0000008525000.tif": "TIFF",
        "BR0000008525000_all.png": "PNG",
        "BR0000008525000_sel.png": "PNG",
    }
    md = _mapper("pilot1", tmp_path).map(make_record(tmp_path, files=files)).metadata
    assert md["description"] == TABLE1_INTRO + TABLE1_TIFF + TABLE1_PNG
    tiff_only = {k: v for k, v in files.items() if not k.endswith(".png")}
    md = _mapper("pilot1", tmp_path).map(make_record(tmp_path, files=tiff_only)).metadata
    assert md["description"] == TABLE1_INTRO + TABLE1_TIFF


def test_pilot1_label_images_follow_figure_1(tmp_path: Path) -> None:
    terms = {
        **BARLERIA,
        "institutionCode": "TU",
        "scientificName": "Allium angulosum L.",
        "catalogNumber": "TU272285",
    }
    files = {
        "TU272285.jpg": "JPEG",
        "TU272285_lab.jpg": "JPEG",
        "TU272285.tif": "TIFF",
        "TU272285_lab.tif": "TIFF",
    }
    md = _mapper("pilot1", tmp_path).map(make_record(tmp_path, terms, files)).metadata
    assert md["title"] == (
        "Herbarium specimen image of Allium angulosum L., part of the "
        "collection of Natural History Museum, University of Tartu"
    )
    assert (
        "Two JPEG image files of the scanned herbarium sheet, one of the specimen itself "
        "and one of its label (indicated by_lab)." in md["description"]
    )
    assert (
        "Two lossless TIFF images from which the JPEG images have been derived."
        in md["description"]
    )


def test_pilot1_uploads_a_deterministic_json_ld_sidecar(tmp_path: Path) -> None:
    record = make_record(tmp_path)
    first = _mapper("pilot1", tmp_path).map(record)
    second = _mapper("pilot1", tmp_path).map(record)
    assert [f.name for f in first.files] == ["BR0000008525000.jpg", "BR0000008525000.json"]
    sidecar = first.files[1]
    content = sidecar.path.read_bytes()
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
    assert sidecar.md5 == digest == second.files[1].md5
    assert sidecar.size == len(content)
    document = json.loads(content)
    node = document["@graph"][0]
    assert document["@context"]["dwc"] == "http://rs.tdwg.org/dwc/terms/"
    assert document["@context"]["gbif"].endswith("/")
    assert (node["@id"], node["@type"]) == (CETAF, "dwc:Occurrence")
    assert node["dwc:year"] == 1985 and node["dwc:decimalLatitude"] == -11.0333
    assert node["dcterms:language"] == "fra"
    assert document["@graph"][1]["dcterms:identifier"] == "BR0000008525000.jpg"
    image = first.files[0]
    assert image.md5 == hashlib.md5(image.path.read_bytes(), usedforsecurity=False).hexdigest()


def test_pilot2_matches_table_3_field_by_field(tmp_path: Path) -> None:
    terms = {
        "catalogNumber": "BR0000010599976",
        "scientificName": "Acer platanoides L.",
        "family": "Aceraceae",
        "institutionCode": "BR",
        "collectionCode": "BR",
    }
    record = make_record(tmp_path, terms, {"BR0000010599976.jpg": "JPEG"})
    mapped = _mapper("pilot2", tmp_path).map(record)
    md = mapped.metadata
    assert md["title"] == "Acer platanoides L. (BR0000010599976)"
    assert (md["upload_type"], md["image_type"]) == ("image", "photo")
    assert md["description"] == (
        'Belgium Herbarium image of <a href="https://www.'
        'plantentuinmeise.be">Meise Botanic Garden</a>.'
    )
    assert md["creators"] == [{"name": "Meise Botanic Garden"}]
    assert (md["access_right"], md["license"]) == ("open", "CC-BY-SA-4.0")
    assert md["grants"] == [{"id": "777483"}]
    assert "language" not in md
    assert md["related_identifiers"] == [
        {
            "identifier": "http://www.botanicalcollections.be/specimen/BR0000010599976",
            "relation": "isAlternateIdentifier",
        },
        {
            "identifier": "urn:catalog:BR:BR:BR0000010599976",
            "relation": "isAlternateIdentifier",
            "scheme": "urn",
        },
    ]
    assert md["keywords"] == [
        "Biodiversity",
        "Taxonomy",
        "Terrestrial",
        "Herbarium",
        "Aceraceae",
        "specimen-key:urn:catalog:BR:BR:BR0000010599976",
    ]
    assert md["imprint_publisher"] == "Meise Botanic Garden Herbarium"
    assert md["communities"] == [{"identifier": "belgiumherbarium"}]
    assert [f.name for f in mapped.files] == ["BR0000010599976.jpg"]


def test_collection_community_and_params_override_the_mapping(tmp_path: Path) -> None:
    mapper = _mapper(
        "pilot2", tmp_path, community="my-herbarium", params={"creator": "Example Herbarium"}
    )
    md = mapper.map(make_record(tmp_path)).metadata
    assert md["communities"] == [{"identifier": "my-herbarium"}]
    assert md["creators"] == [{"name": "Example Herbarium"}]


def test_dwc_rich_fills_custom_fields_locations_dates_and_licence(tmp_path: Path) -> None:
    terms = {
        **BARLERIA,
        "eventDate": "1985-05",
        "recordedBy": "Malaisse F. | Goetghebeur P.",
        "license": "http://creativecommons.org/publicdomain/zero/1.0/legalcode",
        "kingdom": "Plantae",
    }
    md = _mapper("dwc-rich", tmp_path).map(make_record(tmp_path, terms)).metadata
    custom = md["custom"]
    assert custom["dwc:catalogNumber"] == ["BR0000008525000"]
    assert custom["dwc:recordedBy"] == ["Malaisse F.", "Goetghebeur P."]
    assert custom["dwc:decimalLatitude"] == [-11.0333]
    assert "dwc:eventDate" not in custom
    assert custom["dwc:verbatimEventDate"] == ["1985-05"]
    assert all(isinstance(value, list) for value in custom.values())
    assert md["locations"] == [
        {"place": "Shinkolobwe, terr[itoire] Kambove", "lat": -11.0333, "lon": 26.5667}
    ]
    assert md["dates"][0]["start"] == "1985-05-01" and md["dates"][0]["end"] == "1985-05-31"
    assert md["license"] == "CC0-1.0"
    assert {
        "term": "Plantae",
        "identifier": "http://rs.tdwg.org/dwc/terms/kingdom",
        "scheme": "url",
    } in md["subjects"]


def test_dwc_rich_drops_zero_coordinates_and_escapes_html(tmp_path: Path) -> None:
    terms = {
        **BARLERIA,
        "decimalLatitude": 0.0,
        "decimalLongitude": 0.0,
        "locality": "l[èvre] sup. << inf. & co",
    }
    md = _mapper("dwc-rich", tmp_path).map(make_record(tmp_path, terms)).metadata
    assert "lat" not in md["locations"][0]
    assert "dwc:decimalLatitude" not in md["custom"]
    assert "&lt;&lt; inf. &amp; co" in md["description"]
    assert md["custom"]["dwc:eventDate"] == ["1985-05-15"]


@pytest.mark.parametrize("name", ["pilot1", "pilot2", "dwc-rich"])
def test_every_mapping_output_passes_publish_validation(tmp_path: Path, name: str) -> None:
    mapped = _mapper(name, tmp_path).map(make_record(tmp_path))
    assert validate_for_publish(mapped.metadata, len(mapped.files)) == []


def _write_mapping(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text("name: custom\nversion: '0.1'\n" + body, encoding="utf-8")
    return path


def test_undefined_term_names_the_record_and_field_and_batch_goes_on(tmp_path: Path) -> None:
    path = _write_mapping(tmp_path, "metadata:\n  title: '{{ dwc.habitat }}'\n")
    mapper = Mapper(load_mapping(path), cache_dir=tmp_path)
    bad = make_record(tmp_path)
    good = make_record(tmp_path, {**BARLERIA, "habitat": "s.h."}, row_number=2)
    results = list(mapper.map_many([bad, good]))
    assert isinstance(results[0], MappingError)
    assert (results[0].key, results[0].field) == (CETAF, "metadata.title")
    assert "habitat" in str(results[0])
    assert results[0].as_problem().severity == "error"
    assert not isinstance(results[1], MappingError)
    assert results[1].metadata["title"] == "s.h."


def test_template_syntax_error_names_file_and_field(tmp_path: Path) -> None:
    path = _write_mapping(tmp_path, "metadata:\n  keywords: ['{{ dwc.family ']\n")
    with pytest.raises(MappingConfigError, match=r"custom\.yaml: field 'metadata\.keywords\[0\]'"):
        load_mapping(path)


def test_templates_run_in_a_sandbox(tmp_path: Path) -> None:
    path = _write_mapping(tmp_path, "metadata:\n  title: '{{ dwc.__class__.__mro__ }}'\n")
    with pytest.raises(MappingError, match=r"metadata\.title"):
        Mapper(load_mapping(path), cache_dir=tmp_path).map(make_record(tmp_path))


def test_metadata_hash_ignores_publication_date_but_nothing_else(tmp_path: Path) -> None:
    record = make_record(tmp_path)
    one = _mapper("pilot1", tmp_path).map(record)
    other_day = Mapper(
        load_mapping("pilot1"), cache_dir=tmp_path / "c", today=dt.date(2030, 1, 1)
    ).map(record)
    assert one.metadata["publication_date"] != other_day.metadata["publication_date"]
    assert one.metadata_hash == other_day.metadata_hash == metadata_hash(one.metadata)
    changed = make_record(tmp_path, {**BARLERIA, "scientificName": "Barleria sp."})
    assert _mapper("pilot1", tmp_path).map(changed).metadata_hash != one.metadata_hash


def test_deposit_hash_is_unchanged_so_existing_ledgers_do_not_turn_stale(tmp_path: Path) -> None:
    metadata = {
        "title": "Quercus robur L.",
        "publication_date": "2026-03-01",
        "keywords": ["Fagaceae", "specimen-key:K.1"],
        "custom": {"dwc:decimalLatitude": [50.93]},
    }
    expected = "21a3026703d0a693c1ef9d343e3584174dc7f54db0e30c3aadcd3b050ee2447f"
    assert metadata_hash(metadata) == metadata_hash(metadata, schema="deposit") == expected
    mapped = _mapper("pilot1", tmp_path).map(make_record(tmp_path))
    assert (mapped.schema, mapped.metadata_hash) == ("deposit", metadata_hash(mapped.metadata))


def test_output_strings_are_nfc(tmp_path: Path) -> None:
    path = _write_mapping(tmp_path, 'metadata:\n  title: "Soja\u0301k {{ key }}"\n')
    md = Mapper(load_mapping(path), cache_dir=tmp_path).map(make_record(tmp_path)).metadata
    assert md["title"].startswith("Soj\u00e1k ")


def test_search_query_escapes_quotes_and_matches_exactly() -> None:
    assert specimen_search_query('a"b\\c') == 'keywords:"specimen-key:a\\"b\\\\c"'
    assert search_query_for("deposit", 'a"b\\c') == specimen_search_query('a"b\\c')
    assert deposit_matches_key({"keywords": ["specimen-key:K-1"]}, "K-1")
    assert not deposit_matches_key({"keywords": ["specimen-key:K.1"]}, "K-1")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(limits_profile="none") as process:
        process.admin.set_delays(deposit=0, records=0, oai=0)
        yield process


def test_mapped_deposit_publishes_and_is_found_by_its_key(
    tmp_path: Path, sandbox: SandboxProcess
) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sandbox.token}"
    mapped = _mapper("pilot1", tmp_path).map(make_record(tmp_path))
    created = session.post(
        f"{sandbox.url}/api/deposit/depositions", json={"metadata": mapped.metadata}, timeout=30
    )
    assert created.status_code == 201, created.text
    deposition = created.json()
    for spec in mapped.files:
        with spec.path.open("rb") as handle:
            put = session.put(
                f"{deposition['links']['bucket']}/{spec.name}", data=handle, timeout=30
            )
        assert put.json()["checksum"] == f"md5:{spec.md5}"
    published = session.post(deposition["links"]["publish"], timeout=30)
    assert published.status_code == 202, published.text
    found = session.get(
        f"{sandbox.url}/api/deposit/depositions",
        params={"q": specimen_search_query(mapped.key)},
        timeout=30,
    ).json()
    assert [d["id"] for d in found] == [deposition["id"]]
    assert deposit_matches_key(found[0]["metadata"], mapped.key)


def test_templates_compile_once_however_many_records_are_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Compiling every template again for each record cost ~23 ms a specimen: close to two hours
    # of prepare for pilot 2's 281,372 specimens (bench P7).
    mapper = _mapper("pilot2", tmp_path)
    mapping._template.cache_clear()
    mapping._expression.cache_clear()
    compiled: list[str] = []
    for name in ("from_string", "compile_expression"):
        original = getattr(mapping._ENV, name)
        monkeypatch.setattr(mapping._ENV, name,
                            lambda source, *a, _o=original, **k: compiled.append(source)
                            or _o(source, *a, **k))
    for n in range(200):
        terms = {"catalogNumber": f"BR{n:013d}", "scientificName": f"Acer sp. {n}",
                 "family": "Aceraceae", "institutionCode": "BR", "collectionCode": "BR"}
        mapper.map(make_record(tmp_path, terms, {f"BR{n:013d}.jpg": "JPEG"}))
    assert compiled, "the mapping's templates were compiled"
    assert len(compiled) == len(set(compiled)), "a template was compiled twice"
    assert len(compiled) < 50
