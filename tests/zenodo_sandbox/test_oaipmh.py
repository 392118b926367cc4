"""Tests for the OAI-PMH endpoint logic (``zenodo_sandbox.oaipmh`` and its metadata formats)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import defusedxml.ElementTree
import oaipmh_scythe
import oaipmh_scythe.exceptions
import pytest
import requests
import sickle
from lxml import etree

from zenodo_sandbox.oai_record import OaiRecord
from zenodo_sandbox.oaipmh import OaiPmhEndpoint

NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dcite": "http://datacite.org/schema/kernel-4",
    "odc": "http://schema.datacite.org/oai/oai-1.1/",
}
BASE_URL = "http://sandbox.test/oai2d"
T0 = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
NOW = 1_750_000_000.0  # 2025-06-15T15:06:40Z
TRICKY = 'Quercus × robur & <Fagaceae> "x" \'y\' عربي עברית 😀\x0b!'


class MemorySource:
    """An in-memory OaiRecordSource that counts list queries."""

    def __init__(self, records: list[OaiRecord]) -> None:
        self.records = sorted(records, key=lambda r: r.recid)
        self.list_calls = 0

    def oai_records(self, *, set_spec, from_, until, offset, limit):
        self.list_calls += 1
        hits = [
            r for r in self.records
            if (set_spec is None or set_spec in r.sets)
            and (from_ is None or r.updated >= from_)
            and (until is None or r.updated <= until)
        ]
        return hits[offset:offset + limit], len(hits)

    def oai_record(self, recid):
        return next((r for r in self.records if r.recid == recid), None)

    def oai_sets(self):
        specs = sorted({spec for r in self.records for spec in r.sets})
        return [(spec, f"Community {spec}") for spec in specs]

    def earliest_datestamp(self):
        return min((r.updated for r in self.records), default=None)


class Clock:
    """A settable clock."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_record(recid: int, *, updated: datetime = T0, sets: tuple[str, ...] = ("user-herbarium",),
                **metadata: Any) -> OaiRecord:
    """Build a specimen-like record; keyword arguments override metadata fields."""
    base = {
        "title": f"Quercus robur L. (BR{recid:010d})",
        "creators": [{"name": "Meise Botanic Garden"},
                     {"name": "Doe, Jane", "affiliation": "Meise", "orcid": "0000-0002-1825-0097"}],
        "description": f"Herbarium specimen BR{recid:010d}",
        "publication_date": "2025-06-01", "upload_type": "image", "image_type": "photo",
        "keywords": ["Fagaceae"], "license": "cc-by-sa-4.0", "access_right": "open",
        "subjects": [{"term": "Quercus robur", "identifier": "https://www.gbif.org/species/2878688",
                      "scheme": "url"}],
        "related_identifiers": [
            {"identifier": f"https://www.botanicalcollections.be/specimen/BR{recid:010d}",
             "relation": "isAlternateIdentifier", "resource_type": "image-photo"},
            {"identifier": "10.15468/abcd", "relation": "isPartOf", "resource_type": "dataset"},
        ],
        "locations": [{"lat": 50.93, "lon": 4.33, "place": "Meise"}],
        "dates": [{"start": "1901-05-01", "end": "1901-05-02", "type": "Collected"}],
        "grants": [{"id": "10.13039/501100000780::283595"}],
        "custom": {"dwc:catalogNumber": [f"BR{recid:010d}"]},
    }
    base.update(metadata)
    return OaiRecord(recid=recid, doi=f"10.5072/zenodo.{recid}", conceptdoi="10.5072/zenodo.1",
                     conceptrecid="1", updated=updated, sets=sets, metadata=base)


def make_endpoint(records: list[OaiRecord], clock: Clock | None = None, **kwargs: Any):
    source = MemorySource(records)
    settings = {"base_url": BASE_URL, "secret": "test-secret", **kwargs}
    endpoint = OaiPmhEndpoint(source, clock=clock or Clock(), **settings)
    return endpoint, source


def call(endpoint: OaiPmhEndpoint, **params: str | list[str]) -> tuple[int, etree._Element]:
    """Send one request; params named ``from_`` become ``from``."""
    query = {k.rstrip("_"): v if isinstance(v, list) else [v] for k, v in params.items()}
    status, body = endpoint.handle(query)
    defusedxml.ElementTree.fromstring(body)  # must also parse with entity expansion off
    return status, etree.fromstring(body)


def error_code(endpoint: OaiPmhEndpoint, **params: str | list[str]) -> str:
    status, root = call(endpoint, **params)
    assert status == 422
    request = root.find("oai:request", NS)
    assert request.attrib == {} and request.text == BASE_URL
    return root.find("oai:error", NS).get("code")


def xp(node: etree._Element, path: str) -> list[Any]:
    """Evaluate an XPath with the test namespaces."""
    return node.xpath(path, namespaces=NS)


def oai_ids(numbers: Any) -> list[str]:
    return [f"oai:zenodo.org:{i}" for i in numbers]


def get_record(endpoint: OaiPmhEndpoint, recid: int, prefix: str) -> etree._Element:
    status, root = call(endpoint, verb="GetRecord", identifier=f"oai:zenodo.org:{recid}",
                        metadataPrefix=prefix)
    assert status == 200
    return root


def harvest(endpoint: OaiPmhEndpoint, verb: str = "ListRecords", **params: str):
    """Follow resumption tokens; return (identifiers, token elements, request count)."""
    ids, tokens, requests_made = [], [], 0
    query: dict[str, str] = {"verb": verb, "metadataPrefix": "oai_dc", **params}
    while True:
        status, root = call(endpoint, **query)
        requests_made += 1
        assert status == 200
        ids += [e.text for e in root.iterfind(".//oai:header/oai:identifier", NS)]
        token = root.find(f"oai:{verb}/oai:resumptionToken", NS)
        tokens += [] if token is None else [token]
        if token is None or not token.text:
            return ids, tokens, requests_made
        query = {"verb": verb, "resumptionToken": token.text}


def test_identify_reports_zenodo_settings_and_earliest_datestamp():
    endpoint, _ = make_endpoint([make_record(5, updated=T0 + timedelta(days=1)),
                                 make_record(7, updated=T0.replace(microsecond=450))])
    status, root = call(endpoint, verb="Identify")
    assert status == 200
    assert root.find("oai:request", NS).attrib == {"verb": "Identify"}
    got = {child.tag.split("}")[1]: child.text for child in root.find("oai:Identify", NS)}
    assert got == {
        "repositoryName": "Zenodo", "baseURL": BASE_URL, "protocolVersion": "2.0",
        "adminEmail": "info@zenodo.org", "earliestDatestamp": "2025-06-01T12:00:00Z",
        "deletedRecord": "no", "granularity": "YYYY-MM-DDThh:mm:ssZ",
    }


def test_identify_on_an_empty_repository_uses_year_one():
    _, root = call(make_endpoint([])[0], verb="Identify")
    assert xp(root, "//oai:earliestDatestamp/text()") == ["0001-01-01T00:00:00Z"]


def test_success_envelope_has_declaration_stylesheet_and_response_date():
    status, body = make_endpoint([make_record(2)])[0].handle({"verb": ["Identify"]})
    assert status == 200
    assert body.startswith(
        b"<?xml version='1.0' encoding='UTF-8'?>\n"
        b'<?xml-stylesheet type="text/xsl" href="/static/oai2.xsl"?>\n<OAI-PMH'
    )
    root = etree.fromstring(body)
    assert xp(root, "oai:responseDate/text()") == ["2025-06-15T15:06:40Z"]
    assert root.nsmap == {None: NS["oai"], "xsi": "http://www.w3.org/2001/XMLSchema-instance"}


def test_error_envelope_keeps_stylesheet_and_request_without_attributes():
    status, body = make_endpoint([])[0].handle({"verb": ["Nope"]})
    assert status == 422
    assert body.startswith(b'<?xml-stylesheet type="text/xsl" href="/static/oai2.xsl"?>')
    assert b'<error code="badVerb">This is not a valid OAI-PMH verb:Nope</error>' in body


def test_list_metadata_formats_offers_oai_dc_and_datacite_variants():
    endpoint, _ = make_endpoint([make_record(2)])
    for extra in ({}, {"identifier": "oai:zenodo.org:2"}):
        status, root = call(endpoint, verb="ListMetadataFormats", **extra)
        assert status == 200
        assert xp(root, "//oai:metadataPrefix/text()") == ["oai_dc", "datacite", "oai_datacite"]
    missing = {"verb": "ListMetadataFormats", "identifier": "oai:zenodo.org:3"}
    assert error_code(endpoint, **missing) == "idDoesNotExist"


def test_list_sets_pages_with_tokens_and_no_extra_page():
    records = [make_record(i, sets=(f"user-c{i}",)) for i in range(1, 5)]
    endpoint, _ = make_endpoint(records, page_size=2)
    _, root = call(endpoint, verb="ListSets")
    assert xp(root, "//oai:setSpec/text()") == ["user-c1", "user-c2"]
    assert xp(root, "//oai:setName/text()")[0] == "Community user-c1"
    token = root.find(".//oai:resumptionToken", NS)
    _, root = call(endpoint, verb="ListSets", resumptionToken=token.text)
    assert xp(root, "//oai:setSpec/text()") == ["user-c3", "user-c4"]
    last = root.find(".//oai:resumptionToken", NS)
    assert last.text is None and last.get("cursor") == "2" and last.get("completeListSize") == "4"


def test_get_record_oai_dc_carries_what_a_harvester_needs():
    endpoint, _ = make_endpoint([make_record(42, sets=("user-herbarium", "user-meisebg"))])
    root = get_record(endpoint, 42, "oai_dc")
    assert root.find("oai:request", NS).attrib == {
        "verb": "GetRecord", "identifier": "oai:zenodo.org:42", "metadataPrefix": "oai_dc"}
    assert xp(root, "//oai:header/oai:datestamp/text()") == ["2025-06-01T12:00:00Z"]
    assert xp(root, "//oai:header/oai:setSpec/text()") == ["user-herbarium", "user-meisebg"]
    dc = {name: xp(root, f"//oai_dc:dc/dc:{name}/text()") for name in (
        "identifier", "relation", "rights", "creator", "title", "subject", "date", "type",
        "publisher", "description", "coverage")}
    assert dc == {
        "identifier": ["https://doi.org/10.5072/zenodo.42", "oai:zenodo.org:42"],
        "relation": ["https://www.botanicalcollections.be/specimen/BR0000000042",
                     "https://doi.org/10.15468/abcd", "http://sandbox.test/communities/herbarium",
                     "http://sandbox.test/communities/meisebg", "https://doi.org/10.5072/zenodo.1"],
        "rights": ["info:eu-repo/semantics/openAccess",
                   "Creative Commons Attribution Share Alike 4.0 International",
                   "https://creativecommons.org/licenses/by-sa/4.0/legalcode"],
        "creator": ["Meise Botanic Garden", "Doe, Jane"],
        "title": ["Quercus robur L. (BR0000000042)"],
        "subject": ["Fagaceae", "Quercus robur"],
        "date": ["2025-06-01", "1901-05-01/1901-05-02"],
        "type": ["info:eu-repo/semantics/other"],
        "publisher": ["Zenodo"],
        "description": ["Herbarium specimen BR0000000042"],
        "coverage": ["Meise"],
    }


@pytest.mark.parametrize("prefix", ["datacite", "oai_datacite"])
def test_get_record_datacite_carries_dois_alternates_and_rights(prefix):
    root = get_record(make_endpoint([make_record(42)])[0], 42, prefix)
    if prefix == "oai_datacite":
        assert xp(root, "//odc:oai_datacite/odc:schemaVersion/text()") == ["4.3"]
        assert xp(root, "//odc:oai_datacite/odc:datacentreSymbol/text()") == ["CERN.ZENODO"]
        (resource,) = xp(root, "//oai:metadata/odc:oai_datacite/odc:payload/dcite:resource")
    else:
        (resource,) = xp(root, "//oai:metadata/dcite:resource")
    assert xp(resource, "dcite:identifier[@identifierType='DOI']/text()") == ["10.5072/zenodo.42"]
    alternates = [(a.get("alternateIdentifierType"), a.text)
                  for a in xp(resource, "dcite:alternateIdentifiers/*")]
    assert alternates == [("url", "http://sandbox.test/records/42"),
                          ("url", "https://www.botanicalcollections.be/specimen/BR0000000042")]
    related = [(r.get("relationType"), r.get("relatedIdentifierType"), r.text)
               for r in xp(resource, "dcite:relatedIdentifiers/*")]
    assert related == [("IsVersionOf", "DOI", "10.5072/zenodo.1"),
                       ("IsPartOf", "DOI", "10.15468/abcd"),
                       ("IsPartOf", "URL", "http://sandbox.test/communities/herbarium")]
    assert xp(resource, "dcite:creators/dcite:creator[2]/*/text()") == [
        "Doe, Jane", "Jane", "Doe", "0000-0002-1825-0097", "Meise"]
    assert xp(resource, "dcite:titles/dcite:title/text()") == ["Quercus robur L. (BR0000000042)"]
    assert xp(resource, "dcite:resourceType[@resourceTypeGeneral='Image']/text()") == ["Photo"]
    assert xp(resource, "dcite:rightsList/dcite:rights/@rightsIdentifier") == ["cc-by-sa-4.0"]
    assert xp(resource, "dcite:subjects/dcite:subject/text()") == ["Fagaceae", "Quercus robur"]
    assert xp(resource, "dcite:publicationYear/text()") == ["2025"]
    assert xp(resource, "dcite:dates/dcite:date/@dateType") == ["Issued", "Collected"]
    assert xp(resource, ".//dcite:awardNumber/text()") == ["283595"]
    assert xp(resource, ".//dcite:pointLatitude/text()") == ["50.93"]


def test_datacite_omits_empty_sections_of_a_sparse_record():
    record = replace(make_record(9), metadata={"title": "Bare", "creators": [{"name": "X"}],
                                               "upload_type": "dataset"})
    (resource,) = xp(get_record(make_endpoint([record])[0], 9, "datacite"), "//dcite:resource")
    assert [child.tag.split("}")[1] for child in resource] == [
        "identifier", "alternateIdentifiers", "creators", "titles", "publisher",
        "publicationYear", "dates", "resourceType", "relatedIdentifiers", "rightsList"]
    assert xp(resource, "dcite:creators/dcite:creator/*") == xp(resource, "//dcite:creatorName")


LR = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
GR = {"verb": "GetRecord", "identifier": "oai:zenodo.org:2", "metadataPrefix": "oai_dc"}


@pytest.mark.parametrize(("params", "code"), [
    ({}, "badVerb"),
    ({"verb": "Nope"}, "badVerb"),
    ({"verb": ["Identify", "Identify"]}, "badVerb"),
    ({"verb": "Identify", "set": "user-herbarium"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({**LR, "metadataPrefix": "marcxml"}, "badArgument"),
    ({**LR, "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
    ({**LR, "set": ""}, "badArgument"),
    ({**LR, "verb": "ListIdentifiers", "foo": "bar"}, "badArgument"),
    ({"verb": "GetRecord", "identifier": "oai:zenodo.org:2"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({**GR, "metadataPrefix": "dcat"}, "badArgument"),
    ({**GR, "identifier": "oai:zenodo.org:3"}, "idDoesNotExist"),
    ({**GR, "identifier": "oai:other.org:2"}, "idDoesNotExist"),
    ({**GR, "identifier": "oai:zenodo.org:٢"}, "idDoesNotExist"),
    ({**GR, "identifier": "oai:zenodo.org:" + "9" * 30}, "idDoesNotExist"),
    ({**LR, "set": "user-nobody"}, "noRecordsMatch"),
    ({**LR, "verb": "ListIdentifiers", "from_": "2030-01-01"}, "noRecordsMatch"),
    ({**LR, "from_": "yesterday"}, "badArgument"),
    ({**LR, "from_": "2025-02-30"}, "badArgument"),
    ({**LR, "until": "2025-06-01T12:00:00"}, "badArgument"),
    ({**LR, "from_": "2025-06-02", "until": "2025-06-01"}, "badArgument"),
    ({**LR, "from_": "2025-06-01", "until": "2025-06-02T00:00:00Z"}, "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken"),
    ({**LR, "resumptionToken": "x"}, "badArgument"),
    ({"verb": "GetRecord", "resumptionToken": "x"}, "badArgument"),
])
def test_protocol_errors_answer_422_with_the_zenodo_code(params, code):
    assert error_code(make_endpoint([make_record(2)])[0], **params) == code


def test_paging_123_records_returns_each_once_in_three_requests():
    endpoint, source = make_endpoint([make_record(i) for i in range(1000, 1123)])
    ids, tokens, requests_made = harvest(endpoint)
    assert requests_made == 3 and source.list_calls == 3
    assert ids == oai_ids(range(1000, 1123))
    assert [(t.get("cursor"), t.get("completeListSize")) for t in tokens] == [
        ("0", "123"), ("50", "123"), ("100", "123")]
    assert tokens[-1].text is None  # empty token on the last page
    assert all(t.get("expirationDate") == "2025-06-15T15:08:40Z" for t in tokens)


def test_a_list_that_fits_on_one_page_has_no_token():
    endpoint, _ = make_endpoint([make_record(i) for i in range(1, 50)])
    ids, tokens, requests_made = harvest(endpoint, "ListIdentifiers")
    assert (len(ids), tokens, requests_made) == (49, [], 1)


@pytest.mark.parametrize(("total", "quirk", "expected_requests"), [
    (100, True, 3), (50, True, 2), (100, False, 2), (50, False, 1),
])
def test_exact_multiple_of_page_size_quirk(total, quirk, expected_requests):
    endpoint, _ = make_endpoint([make_record(i) for i in range(1, total + 1)],
                                exact_multiple_quirk=quirk)
    ids, tokens, requests_made = harvest(endpoint, "ListIdentifiers")
    assert requests_made == expected_requests
    assert ids == oai_ids(range(1, total + 1))
    if quirk:  # the extra page is empty and carries the empty token at cursor == total
        assert (tokens[-1].get("cursor"), tokens[-1].text) == (str(total), None)


def test_token_is_valid_for_its_lifetime_then_expires():
    clock = Clock()
    endpoint, _ = make_endpoint([make_record(i) for i in range(1, 121)], clock=clock)
    token = xp(call(endpoint, **LR)[1], "//oai:resumptionToken/text()")[0]
    clock.now += 120
    status, root = call(endpoint, verb="ListRecords", resumptionToken=token)
    assert status == 200
    assert root.find("oai:request", NS).attrib == {"verb": "ListRecords", "resumptionToken": token}
    clock.now += 1
    assert error_code(endpoint, verb="ListRecords", resumptionToken=token) == "badResumptionToken"


def test_tampered_or_foreign_tokens_are_refused():
    records = [make_record(i) for i in range(1, 121)]
    endpoint, _ = make_endpoint(records)
    first_page = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
    token = xp(call(endpoint, **first_page)[1], "//oai:resumptionToken/text()")[0]
    other_key, _ = make_endpoint(records, secret="another-secret")
    foreign = xp(call(other_key, **first_page)[1], "//oai:resumptionToken/text()")[0]
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for verb, bad in (("ListIdentifiers", flipped), ("ListRecords", token),
                      ("ListIdentifiers", foreign)):
        assert error_code(endpoint, verb=verb, resumptionToken=bad) == "badResumptionToken"


def test_token_keeps_the_original_set_window_and_format():
    records = [make_record(i, sets=("user-a",) if i % 2 else ("user-b",),
                           updated=T0 + timedelta(hours=i)) for i in range(1, 301)]
    endpoint, _ = make_endpoint(records)
    ids, _, requests_made = harvest(endpoint, metadataPrefix="datacite", set="user-a",
                                    from_="2025-06-02T00:00:00Z", until="2025-06-10T23:59:59Z")
    # T0 + i hours lies in [06-02T00:00, 06-11T00:00) for i in 12..227; odd i are in user-a
    assert ids == oai_ids(range(13, 228, 2))
    assert requests_made == 3  # 108 records


def test_from_and_until_bounds_are_inclusive():
    endpoint, _ = make_endpoint([
        make_record(1, updated=T0 - timedelta(seconds=1)),
        make_record(2, updated=T0 + timedelta(microseconds=999_000)),
        make_record(3, updated=T0 + timedelta(seconds=1)),
        make_record(4, updated=datetime(2025, 6, 1, 23, 59, 59, 500_000, tzinfo=UTC)),
        make_record(5, updated=datetime(2025, 6, 2, tzinfo=UTC))])

    def listed(**window: str) -> list[str]:
        return harvest(endpoint, "ListIdentifiers", **window)[0]

    stamp = "2025-06-01T12:00:00Z"
    assert listed(from_=stamp, until=stamp) == oai_ids([2])
    assert listed(until=stamp) == oai_ids([1, 2])
    assert listed(from_="2025-06-01", until="2025-06-01") == oai_ids([1, 2, 3, 4])
    assert listed(from_="2025-06-02") == oai_ids([5])


def test_set_filtering_and_list_identifiers_return_headers_only():
    endpoint, _ = make_endpoint([make_record(1, sets=("user-a",)), make_record(2, sets=("user-b",)),
                                 make_record(3, sets=("user-a", "user-b"))])
    status, root = call(endpoint, verb="ListIdentifiers", metadataPrefix="oai_dc", set="user-a")
    assert status == 200
    assert xp(root, "//oai:identifier/text()") == oai_ids([1, 3])
    assert xp(root, "//oai:metadata") == []
    assert xp(root, "//oai:header[2]/oai:setSpec/text()") == ["user-a", "user-b"]


@pytest.mark.parametrize("prefix", ["oai_dc", "datacite", "oai_datacite"])
def test_special_characters_round_trip(prefix):
    record = make_record(7, title=TRICKY, description=f"<p>{TRICKY}</p>", keywords=[TRICKY],
                         creators=[{"name": TRICKY, "affiliation": TRICKY}],
                         subjects=[{"term": "t", "scheme": TRICKY}])
    status, body = make_endpoint([record])[0].handle(
        {"verb": ["ListRecords"], "metadataPrefix": [prefix]})
    assert status == 200
    expected = TRICKY.replace("\x0b", "")  # not representable in XML 1.0, dropped
    for root in (etree.fromstring(body), defusedxml.ElementTree.fromstring(body)):
        texts = {el.text for el in root.iter() if isinstance(el.tag, str)}
        assert expected in texts and f"<p>{expected}</p>" in texts
    if prefix != "oai_dc":
        assert xp(etree.fromstring(body), "//dcite:subject/@subjectScheme") == [expected]


def test_user_text_in_an_error_message_is_escaped():
    status, root = call(make_endpoint([])[0], verb=f"<&>{TRICKY}")
    assert status == 422
    assert xp(root, "oai:error/text()")[0].endswith(TRICKY.replace("\x0b", ""))


# --- third-party harvesters over real HTTP -----------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """Serve the endpoint held by the server over GET and POST."""

    def do_GET(self) -> None:
        self._answer(self.path.partition("?")[2])

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self._answer(self.rfile.read(length).decode())

    def _answer(self, query: str) -> None:
        status, body = self.server.endpoint.handle(parse_qs(query, keep_blank_values=True))
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture(scope="module")
def http_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def serve(http_server):
    def start(records: list[OaiRecord], **kwargs: Any) -> str:
        http_server.endpoint, _ = make_endpoint(records, **kwargs)
        return f"http://127.0.0.1:{http_server.server_address[1]}/oai2d"
    return start


@pytest.mark.parametrize(("total", "method"), [(123, "GET"), (100, "POST")])
def test_sickle_harvests_every_record_exactly_once(serve, total, method):
    url = serve([make_record(i, title=f"{TRICKY} {i}") for i in range(1, total + 1)])
    client = sickle.Sickle(url, http_method=method)
    records = list(client.ListRecords(metadataPrefix="oai_dc", set="user-herbarium"))
    assert [r.header.identifier for r in records] == oai_ids(range(1, total + 1))
    assert records[0].metadata["title"] == [f"{TRICKY.replace(chr(11), '')} 1"]
    assert client.Identify().repositoryName == "Zenodo"
    record = client.GetRecord(identifier="oai:zenodo.org:2", metadataPrefix="oai_datacite")
    assert record.header.datestamp == "2025-06-01T12:00:00Z"


def test_sickle_sees_no_records_match_as_http_422(serve):
    client = sickle.Sickle(serve([make_record(1)]))
    with pytest.raises(requests.HTTPError) as raised:
        list(client.ListRecords(metadataPrefix="oai_dc", set="user-nobody"))
    assert raised.value.response.status_code == 422


@pytest.mark.parametrize("total", [123, 100])
def test_oaipmh_scythe_harvests_every_record_exactly_once(serve, total):
    url = serve([make_record(i) for i in range(1, total + 1)])
    with oaipmh_scythe.Scythe(url) as client:
        headers = list(client.list_identifiers(metadata_prefix="datacite"))
        assert [h.identifier for h in headers] == oai_ids(range(1, total + 1))
        assert len(list(client.list_records(metadata_prefix="oai_dc"))) == total
        assert [s.setSpec for s in client.list_sets()] == ["user-herbarium"]
        with pytest.raises(oaipmh_scythe.exceptions.IdDoesNotExist):
            client.get_record("oai:zenodo.org:99999")
