"""The JSON-LD sidecar is linked data: a JSON-LD processor (pyld), with no network, expands and
frames the file pilot 1 uploads so that every image node points at the occurrence node."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from tests.zenodo.data_helpers import BARLERIA, make_record
from zenodo.metadata.mapping import Mapper, load_mapping
from zenodo.source.specimen import alternate_identifier

DCTERMS = "http://purl.org/dc/terms/"
OCCURRENCE = "http://rs.tdwg.org/dwc/terms/Occurrence"
IMAGES = {"BR0000008525000.jpg": "JPEG", "BR0000008525000.tif": "TIFF"}


class NetworkRefused(Exception):
    """A JSON-LD processor asked for a remote document."""


def refuse_network(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that loads nothing: the sidecar's context must be inline."""
    raise NetworkRefused(f"document loader: refused to fetch {url!r}")


OPTIONS = {"documentLoader": refuse_network}


def pilot1_sidecar(tmp_path: Path, terms: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Map a real record with two real images through pilot 1; return its occurrence id and
    the sidecar document read back from the file that would be uploaded."""
    record = make_record(tmp_path / "img", terms, IMAGES)
    mapper = Mapper(load_mapping("pilot1"), cache_dir=tmp_path / "cache",
                    today=dt.date(2026, 3, 1))
    sidecar = mapper.map(record).files[-1]
    assert sidecar.name == "BR0000008525000.json"
    return alternate_identifier(record), json.loads(sidecar.path.read_bytes())


@pytest.mark.parametrize("terms", [
    BARLERIA,
    {term: value for term, value in BARLERIA.items() if term != "occurrenceID"},
], ids=["occurrenceID-url", "no-occurrenceID-urn"])
def test_each_image_node_expands_to_a_reference_to_the_occurrence(
        tmp_path: Path, terms: dict[str, Any]) -> None:
    occurrence_id, document = pilot1_sidecar(tmp_path, terms)
    expanded = jsonld.expand(document, OPTIONS)
    occurrences = [n for n in expanded if n.get("@type") == [OCCURRENCE]]
    assert [n["@id"] for n in occurrences] == [occurrence_id]
    images = [n for n in expanded if n is not occurrences[0]]
    assert sorted(n[DCTERMS + "identifier"][0]["@value"] for n in images) == sorted(IMAGES)
    for image in images:
        assert image[DCTERMS + "references"] == [{"@id": occurrence_id}], image


def test_framing_the_occurrence_gathers_every_image_node_that_references_it(
        tmp_path: Path) -> None:
    occurrence_id, document = pilot1_sidecar(tmp_path, BARLERIA)
    frame = {"@context": document["@context"], "@type": "dwc:Occurrence",
             "@reverse": {"dcterms:references": {}}}
    framed = jsonld.frame(document, frame, OPTIONS)
    assert framed["@id"] == occurrence_id
    assert framed["dwc:catalogNumber"] == "BR0000008525000"
    linked = framed["@reverse"]["dcterms:references"]
    assert sorted(image["dcterms:identifier"] for image in linked) == sorted(IMAGES)
    for image in linked:
        assert image["@type"] == "gbif:Multimedia"
        assert image["dcterms:references"] == {"@id": occurrence_id}


def test_the_processor_in_these_tests_cannot_reach_the_network() -> None:
    remote = {"@context": "https://w3id.org/example/context.jsonld", "name": "x"}
    with pytest.raises(jsonld.JsonLdError) as raised:
        jsonld.expand(remote, OPTIONS)
    assert isinstance(raised.value.__cause__, NetworkRefused)
