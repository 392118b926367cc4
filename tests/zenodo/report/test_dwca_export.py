"""The run's Darwin Core Archive, read back with python-dwca-reader: its descriptor's terms,
one occurrence per published specimen and one Audubon Core row per published file."""

from __future__ import annotations

import pathlib

import pytest
from dwca.read import DwCAReader

from tests.zenodo.payload_factory import COLLECTION, publish_in_ledger, register_specimens
from zenodo.ledger.ledger import Ledger
from zenodo.report.dwca_export import write_dwca
from zenodo.report.dwca_meta import AC, DC, DCTERMS, DWC, MULTIMEDIA, OCCURRENCE

BASE = "https://zenodo.example"


@pytest.mark.parametrize("schema", ["deposit", "rdm"])
def test_archive_holds_the_published_specimens_and_their_files(
    ledger: Ledger, tmp_path: pathlib.Path, schema: str
) -> None:
    keys = register_specimens(ledger, tmp_path, 4, files_each=2, schema=schema)
    for number, key in enumerate(keys[:3], start=1):
        publish_in_ledger(ledger, COLLECTION, key, record_id=number * 10 + 1)
    export = write_dwca(ledger.engine, COLLECTION, tmp_path / "run", base_url=BASE + "/",
                        title="Test herbarium on Zenodo", description="Quercus\tand more",
                        page=2)
    assert (export.path, export.occurrences, export.media) == (
        tmp_path / "run" / "dwca.zip", 3, 6)
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["dwca.zip"], "no leftovers"

    with DwCAReader(str(export.path)) as archive:
        core = archive.descriptor.core
        assert core.type == OCCURRENCE
        assert core.fields[0]["term"] == DWC + "occurrenceID"
        assert {DWC + "basisOfRecord", DCTERMS + "references", DCTERMS + "license"} <= set(
            core.terms)
        (media,) = archive.descriptor.extensions
        assert media.type == MULTIMEDIA
        assert {DCTERMS + "identifier", AC + "accessURI", DC + "format", DCTERMS + "license",
                DCTERMS + "rightsHolder", DC + "creator", AC + "furtherInformationURL"} <= set(
            media.terms)
        eml = archive.metadata
        assert eml.find("dataset/title").text == "Test herbarium on Zenodo"
        assert eml.find("dataset/creator/organizationName").text == "Test Herbarium"
        assert eml.find("dataset/abstract/para").text == "Quercus\tand more"
        rows = {row.id: (row.data, [(e.rowtype, e.data) for e in row.extensions])
                for row in archive}

    assert sorted(rows) == sorted(keys[:3]), "published only, keyed by the specimen key"
    data, extensions = rows[keys[1]]
    assert data[DWC + "occurrenceID"] == keys[1]
    assert data[DCTERMS + "references"] == "https://doi.org/10.5072/zenodo.21"
    assert data[DWC + "basisOfRecord"] == "PreservedSpecimen"
    assert data[DCTERMS + "license"] == "http://creativecommons.org/licenses/by/4.0/legalcode"
    if schema == "rdm":  # the RDM body's Darwin Core custom fields reach the core
        assert data[DWC + "catalogNumber"] == "HERB00001"
    files = sorted(extensions, key=lambda e: e[1][DCTERMS + "title"])
    assert [rowtype for rowtype, _ in files] == [MULTIMEDIA, MULTIMEDIA]
    first = files[0][1]
    url = f"{BASE}/api/records/21/files/HERB00001_0.jpg/content"
    assert (first[DCTERMS + "identifier"], first[AC + "accessURI"]) == (url, url)
    assert first[DC + "format"] == "image/jpeg"
    assert first[DC + "type"] == "StillImage"
    assert first[DC + "creator"] == "Test Herbarium"
    assert first[AC + "furtherInformationURL"] == "https://doi.org/10.5072/zenodo.21"
    assert first[AC + "hashValue"] == ledger.get(COLLECTION, keys[1]).files[0].md5


def test_an_empty_collection_gives_a_valid_empty_archive(
    ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    export = write_dwca(ledger.engine, "nothing_yet", tmp_path, base_url=BASE, title="t",
                        description="d")
    assert (export.occurrences, export.media) == (0, 0)
    with DwCAReader(str(export.path)) as archive:
        assert list(archive) == []
        assert archive.metadata.find("dataset/creator/organizationName").text == "nothing_yet"
