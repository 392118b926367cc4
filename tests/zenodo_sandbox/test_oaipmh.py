"""Tests for the OAI-PMH endpoint logic (``zenodo_sandbox.oaipmh``): protocol, arguments,
paging and the metadata formats, on an in-memory record source (no HTTP)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import defusedxml.ElementTree
import pytest
from lxml import etree

from zenodo_sandbox.oai_record import OaiRecord
from zenodo_sandbox.oaipmh import OaiPmhEndpoint, OaiServerError

NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dcite": "http://datacite.org/schema/kernel-4",
    "odc": "http://schema.datacite.org/oai/oai-1.1/",
    "marc": "http://www.loc.gov/MARC21/slim",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}
BASE_URL = "http://sandbox.test/oai2d"
T0 = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
NOW = 1_750_000_000.0  # 2025-06-15T15:06:40Z
TRICKY = 'Quercus × robur & <Fagaceae> "x" \'y\' عربي עברית 😀\x0b!'
FORMATS = ["marcxml", "oai_dc", "dcat", "marc21", "datacite", "oai_datacite", "datacite4",
           "oai_datacite4"]


class MemorySource:
    """An in-memory OaiRecordSource that counts list queries."""

    def __init__(self, records: list[OaiRecord]) -> None:
        self.records = sorted(records, key=lambda r: r.recid)
        self.list_calls = 0

    def oai_ids(self, *, set_spec, from_, until):
        self.list_calls += 1
        return [r.recid for r in self.records
                if (set_spec is None or set_spec in r.sets)
                and (from_ is None or r.updated >= from_)
                and (until is None or r.updated <= until)]

    def oai_record(self, recid):
        return next((r for r in self.records if r.recid == recid), None)

    def oai_sets(self):
        specs = sorted({spec for r in self.records for spec in r.sets})
        return [(spec, f"Community {spec}") for spec in specs]

    def earliest_datestamp(self):
        return min((r.created or r.updated for r in self.records), default=None)


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
                     conceptrecid="1", updated=updated, sets=sets, metadata=base,
                     files=((f"BR{recid}.jpg", 4, "0" * 32),))


def make_endpoint(records: list[OaiRecord], clock: Clock | None = None, **kwargs: Any):
    source = MemorySource(records)
    settings = {"base_url": BASE_URL, "secret": "test-secret", **kwargs}
    endpoint = OaiPmhEndpoint(source, clock=clock or Clock(), **settings)
    return endpoint, source


def call(endpoint: OaiPmhEndpoint, form: dict | None = None,
         **params: str | list[str]) -> tuple[int, etree._Element]:
    """Send one request; params named ``from_`` become ``from``."""
    query = {k.rstrip("_"): v if isinstance(v, list) else [v] for k, v in params.items()}
    status, body = endpoint.handle(query, form)
    defusedxml.ElementTree.fromstring(body)  # must also parse with entity expansion off
    return status, etree.fromstring(body)


def errors(endpoint: OaiPmhEndpoint, **params: str | list[str]) -> list[str]:
    status, root = call(endpoint, **params)
    assert status == 422
    request = root.find("oai:request", NS)
    assert request.attrib == {} and request.text == BASE_URL
    return [e.get("code") for e in root.iterfind("oai:error", NS)]


def error_code(endpoint: OaiPmhEndpoint, **params: str | list[str]) -> str:
    (code,) = errors(endpoint, **params)
    return code


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


# --- envelope, Identify, formats, sets ----------------------------------------------------


def test_identify_reports_zenodo_settings_and_earliest_created():
    endpoint, _ = make_endpoint([make_record(5, updated=T0 + timedelta(days=1)),
                                 replace(make_record(7, updated=T0 + timedelta(days=3)),
                                         created=T0.replace(microsecond=450))])
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


def test_list_metadata_formats_offers_zenodos_eight_formats():
    endpoint, _ = make_endpoint([make_record(2)])
    for extra in ({}, {"identifier": "oai:zenodo.org:2"}):
        status, root = call(endpoint, verb="ListMetadataFormats", **extra)
        assert status == 200
        assert xp(root, "//oai:metadataPrefix/text()") == FORMATS
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


# --- arguments and protocol errors ---------------------------------------------------------

LR = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
GR = {"verb": "GetRecord", "identifier": "oai:zenodo.org:2", "metadataPrefix": "oai_dc"}


@pytest.mark.parametrize(("params", "code"), [
    ({}, "badVerb"),
    ({"verb": "Nope"}, "badVerb"),
    ({"verb": ""}, "badVerb"),
    ({"verb": "Nope", "set": "x"}, "badArgument"),  # the extra argument is found first
    ({"verb": "Identify", "set": "user-herbarium"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({**LR, "metadataPrefix": "XXX"}, "badArgument"),
    ({**LR, "verb": "ListIdentifiers", "foo": "bar"}, "badArgument"),
    ({"verb": "GetRecord", "identifier": "oai:zenodo.org:2"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({**GR, "metadataPrefix": "XXX"}, "badArgument"),
    ({**GR, "identifier": "oai:zenodo.org:3"}, "idDoesNotExist"),
    ({**GR, "identifier": "oai:other.org:2"}, "idDoesNotExist"),
    ({**GR, "identifier": "oai:zenodo.org:٢"}, "idDoesNotExist"),
    ({**GR, "identifier": "oai:zenodo.org:" + "9" * 30}, "idDoesNotExist"),
    ({**LR, "set": "user-nobody"}, "noRecordsMatch"),
    ({**LR, "set": ""}, "noRecordsMatch"),
    ({**LR, "verb": "ListIdentifiers", "from_": "2030-01-01"}, "noRecordsMatch"),
    ({**LR, "from_": "yesterday"}, "badArgument"),
    ({**LR, "from_": "2025-02-30"}, "badArgument"),
    ({**LR, "from_": ""}, "badArgument"),
    ({**LR, "from_": "2025-06-02", "until": "2025-06-01"}, "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "garbage"}, "badResumptionToken"),
    ({**LR, "resumptionToken": "x"}, "badArgument"),
    ({"verb": "GetRecord", "resumptionToken": "x"}, "badArgument"),
])
def test_protocol_errors_answer_422_with_the_zenodo_code(params, code):
    assert error_code(make_endpoint([make_record(2)])[0], **params) == code


def test_every_field_problem_is_its_own_error():
    endpoint, _ = make_endpoint([make_record(2)])
    assert errors(endpoint, verb="ListRecords", from_="bad") == ["badArgument", "badArgument"]
    assert errors(endpoint, verb="ListRecords", metadataPrefix="XXX", until="x") == [
        "badArgument", "badArgument"]


def test_a_repeated_argument_counts_once_with_its_first_value():
    endpoint, _ = make_endpoint([make_record(2)])
    status, root = call(endpoint, verb=["Identify", "ListSets"])
    assert status == 200 and root.find("oai:Identify", NS) is not None
    status, root = call(endpoint, **{**GR, "metadataPrefix": ["oai_dc", "XXX"]})
    assert status == 200 and xp(root, "//oai_dc:dc/dc:title/text()")


def test_only_the_query_string_is_read_not_a_post_form():
    endpoint, _ = make_endpoint([make_record(2)])
    form = {"verb": ["Identify"]}
    assert call(endpoint, form=form)[0] == 422
    assert [e.get("code") for e in call(endpoint, form=form)[1].iterfind("oai:error", NS)] == [
        "badVerb"]
    status, _root = call(endpoint, form={"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"]})
    assert status == 422  # badVerb and badArgument: both fields are missing from the query
    status, _root = call(endpoint, form={"set": ["x"]}, verb="Identify")
    assert status == 422  # a form argument the verb does not take is "too many arguments"


def test_dates_are_read_permissively_and_echoed_as_full_datestamps():
    endpoint, _ = make_endpoint([make_record(2)])
    status, root = call(endpoint, **LR, from_="2025-06-01", until="2025-06-01T12:00:00")
    assert status == 200
    assert root.find("oai:request", NS).attrib == {
        "verb": "ListRecords", "from": "2025-06-01T00:00:00Z", "until": "2025-06-01T12:00:00Z",
        "metadataPrefix": "oai_dc"}


def test_an_aware_and_a_naive_bound_crash_as_on_zenodo():
    endpoint, _ = make_endpoint([make_record(2)])
    with pytest.raises(OaiServerError):
        endpoint.handle({"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"],
                         "from": ["2025-06-01"], "until": ["2025-06-02T00:00:00Z"]})
    with pytest.raises(OaiServerError):  # a verb the schema knows but no response builds
        endpoint.handle({"verb": ["GetMetadata"], "identifier": ["oai:zenodo.org:2"],
                         "metadataPrefix": ["oai_dc"]})


def test_user_text_in_an_error_message_is_escaped():
    status, root = call(make_endpoint([])[0], verb=f"<&>{TRICKY}")
    assert status == 422
    assert xp(root, "oai:error/text()")[0].endswith(TRICKY.replace("\x0b", ""))


# --- paging ------------------------------------------------------------------------------


def test_paging_123_records_returns_each_once_in_three_requests_from_one_snapshot():
    endpoint, source = make_endpoint([make_record(i) for i in range(1000, 1123)])
    ids, tokens, requests_made = harvest(endpoint)
    assert requests_made == 3 and source.list_calls == 1
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


def test_a_replayed_token_reads_the_scrolls_next_batch():
    endpoint, _ = make_endpoint([make_record(i) for i in range(1, 151)])
    token = xp(call(endpoint, **LR)[1], "//oai:resumptionToken/text()")[0]
    _, second = call(endpoint, verb="ListRecords", resumptionToken=token)
    _, replay = call(endpoint, verb="ListRecords", resumptionToken=token)
    ids = "//oai:header/oai:identifier/text()"
    assert xp(second, ids) == oai_ids(range(51, 101))
    assert xp(replay, ids) == oai_ids(range(101, 151))  # page 2 asked, page 3 answered
    assert xp(replay, "//oai:resumptionToken/@cursor") == ["50"]


def test_the_snapshot_keeps_the_list_a_harvest_started_with():
    clock = Clock()
    records = [make_record(i, updated=T0) for i in range(1, 101)]
    endpoint, source = make_endpoint(records, clock=clock)
    first = call(endpoint, **LR, until="2025-06-02T00:00:00Z")[1]
    token = xp(first, "//oai:resumptionToken/text()")[0]
    source.records[10] = replace(source.records[10], updated=T0 + timedelta(days=5))
    _, root = call(endpoint, verb="ListRecords", resumptionToken=token)
    assert xp(root, "//oai:header/oai:identifier/text()") == oai_ids(range(51, 101))


def test_token_is_valid_for_its_lifetime_then_expires():
    clock = Clock()
    endpoint, _ = make_endpoint([make_record(i) for i in range(1, 121)], clock=clock)
    token = xp(call(endpoint, **LR)[1], "//oai:resumptionToken/text()")[0]
    clock.now += 120
    status, root = call(endpoint, verb="ListRecords", resumptionToken=token)
    assert status == 200
    assert root.find("oai:request", NS).attrib == {"resumptionToken": token, "verb": "ListRecords"}
    token = xp(root, "//oai:resumptionToken/text()")[0]
    clock.now += 121
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


def test_from_and_until_are_exact_instants_and_a_date_means_midnight():
    endpoint, _ = make_endpoint([
        make_record(1, updated=T0 - timedelta(seconds=1)),
        make_record(2, updated=T0 + timedelta(microseconds=999_000)),
        make_record(3, updated=T0 + timedelta(seconds=1)),
        make_record(4, updated=datetime(2025, 6, 1, 23, 59, 59, 500_000, tzinfo=UTC)),
        make_record(5, updated=datetime(2025, 6, 2, tzinfo=UTC))])

    def listed(**window: str) -> list[str]:
        return harvest(endpoint, "ListIdentifiers", **window)[0]

    assert listed(until="2025-06-01T12:00:00Z") == oai_ids([1])
    assert listed(from_="2025-06-01T12:00:00Z", until="2025-06-01T12:00:01Z") == oai_ids([2, 3])
    assert listed(from_="2025-06-01", until="2025-06-02") == oai_ids([1, 2, 3, 4, 5])
    assert listed(from_="2025-06-02") == oai_ids([5])
    window = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
    assert error_code(endpoint, **window, from_="2025-06-01", until="2025-06-01") == \
        "noRecordsMatch"


def test_set_filtering_and_list_identifiers_return_headers_only():
    endpoint, _ = make_endpoint([make_record(1, sets=("user-a",)), make_record(2, sets=("user-b",)),
                                 make_record(3, sets=("user-a", "user-b"))])
    status, root = call(endpoint, verb="ListIdentifiers", metadataPrefix="oai_dc", set="user-a")
    assert status == 200
    assert xp(root, "//oai:identifier/text()") == oai_ids([1, 3])
    assert xp(root, "//oai:metadata") == []
    assert xp(root, "//oai:header[2]/oai:setSpec/text()") == ["user-a", "user-b"]


# --- metadata formats --------------------------------------------------------------------


def test_get_record_oai_dc_follows_invenio_rdm_dublin_core():
    endpoint, _ = make_endpoint([make_record(42, sets=("user-herbarium", "user-meisebg"),
                                             description="<p>Sheet & label</p>")])
    root = get_record(endpoint, 42, "oai_dc")
    assert root.find("oai:request", NS).attrib == {
        "verb": "GetRecord", "identifier": "oai:zenodo.org:42", "metadataPrefix": "oai_dc"}
    assert xp(root, "//oai:header/oai:datestamp/text()") == ["2025-06-01T12:00:00Z"]
    assert xp(root, "//oai:header/oai:setSpec/text()") == ["user-herbarium", "user-meisebg"]
    names = [e.tag.split("}")[1] for e in xp(root, "//oai_dc:dc/*")]
    assert names == sorted(names)  # dcxml writes the elements alphabetically
    dc = {name: xp(root, f"//oai_dc:dc/dc:{name}/text()") for name in (
        "identifier", "relation", "rights", "creator", "title", "subject", "date", "type",
        "publisher", "description", "coverage")}
    assert dc == {
        "identifier": ["https://doi.org/10.5072/zenodo.42", "oai:zenodo.org:42",
                       "https://www.botanicalcollections.be/specimen/BR0000000042"],
        "relation": ["https://doi.org/10.15468/abcd", "http://sandbox.test/communities/herbarium/",
                     "http://sandbox.test/communities/meisebg/", "https://doi.org/10.5072/zenodo.1"],
        "rights": ["info:eu-repo/semantics/openAccess",
                   "Creative Commons Attribution Share Alike 4.0 International",
                   "https://creativecommons.org/licenses/by-sa/4.0/legalcode"],
        "creator": ["Meise Botanic Garden", "Doe, Jane"],
        "title": ["Quercus robur L. (BR0000000042)"],
        "subject": ["Fagaceae"],  # keywords only: legacy subjects are a custom field
        "date": ["2025-06-01"],
        "type": ["info:eu-repo/semantics/other"],
        "publisher": ["Zenodo"],
        "description": ["&lt;p&gt;Sheet &amp; label&lt;/p&gt;"],
        "coverage": [],
    }


def test_oai_dc_shows_closed_access_as_restricted_and_the_embargo_end():
    endpoint, _ = make_endpoint([make_record(1, access_right="closed"),
                                 make_record(2, access_right="embargoed",
                                             embargo_date="2999-01-01")])
    assert xp(get_record(endpoint, 1, "oai_dc"), "//dc:rights/text()")[0] == \
        "info:eu-repo/semantics/restrictedAccess"
    embargoed = get_record(endpoint, 2, "oai_dc")
    assert xp(embargoed, "//dc:rights/text()")[0] == "info:eu-repo/semantics/embargoedAccess"
    assert xp(embargoed, "//dc:date/text()") == [
        "2025-06-01", "info:eu-repo/date/embargoEnd/2999-01-01"]


@pytest.mark.parametrize("prefix", ["datacite", "oai_datacite", "datacite4", "oai_datacite4"])
def test_get_record_datacite_follows_datacite_45(prefix):
    root = get_record(make_endpoint([make_record(42)])[0], 42, prefix)
    if prefix.startswith("oai_"):
        assert xp(root, "//odc:oai_datacite/odc:schemaVersion/text()") == ["4.5"]
        assert xp(root, "//odc:oai_datacite/odc:datacentreSymbol/text()") == ["CERN.ZENODO"]
        (resource,) = xp(root, "//oai:metadata/odc:oai_datacite/odc:payload/dcite:resource")
    else:
        (resource,) = xp(root, "//oai:metadata/dcite:resource")
    assert resource.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation").endswith(
        "kernel-4.5/metadata.xsd")
    assert [child.tag.split("}")[1] for child in resource] == [
        "alternateIdentifiers", "creators", "titles", "publisher", "publicationYear", "subjects",
        "dates", "resourceType", "identifier", "relatedIdentifiers", "rightsList",
        "descriptions", "geoLocations", "fundingReferences"]
    assert xp(resource, "dcite:identifier[@identifierType='DOI']/text()") == ["10.5072/zenodo.42"]
    alternates = [(a.get("alternateIdentifierType"), a.text)
                  for a in xp(resource, "dcite:alternateIdentifiers/*")]
    assert alternates == [("oai", "oai:zenodo.org:42"),
                          ("URL", "https://www.botanicalcollections.be/specimen/BR0000000042")]
    related = [(r.get("relationType"), r.get("relatedIdentifierType"), r.text,
                r.get("resourceTypeGeneral")) for r in xp(resource, "dcite:relatedIdentifiers/*")]
    assert related == [("IsPartOf", "DOI", "10.15468/abcd", "Dataset"),
                       ("IsVersionOf", "DOI", "10.5072/zenodo.1", None),
                       ("IsPartOf", "URL", "http://sandbox.test/communities/herbarium/", None)]
    assert xp(resource, "dcite:creators/dcite:creator[2]/*/text()") == [
        "Doe, Jane", "Jane", "Doe", "0000-0002-1825-0097", "Meise"]
    assert xp(resource, "dcite:creators/dcite:creator[1]/*/text()") == [
        "Meise Botanic Garden", "Meise Botanic Garden"]  # one name: a family name
    assert xp(resource, "dcite:resourceType[@resourceTypeGeneral='Image']/text()") == ["Photo"]
    assert xp(resource, "dcite:rightsList/dcite:rights/@rightsIdentifier") == ["cc-by-sa-4.0"]
    assert xp(resource, "dcite:rightsList/dcite:rights[2]/@rightsURI") == [
        "info:eu-repo/semantics/openAccess"]
    assert xp(resource, "dcite:subjects/dcite:subject/text()") == ["Fagaceae"]
    assert xp(resource, "dcite:dates/dcite:date/@dateType") == ["Issued", "Collected", "Updated"]
    assert xp(resource, ".//dcite:awardNumber/text()") == ["283595"]
    assert xp(resource, ".//dcite:funderName/text()") == ["European Commission"]
    assert xp(resource, ".//dcite:geoLocationPoint/*/text()") == ["4.33", "50.93"]


def test_datacite_of_a_sparse_record():
    record = replace(make_record(9), metadata={"title": "Bare", "creators": [{"name": "X"}],
                                               "upload_type": "dataset"})
    (resource,) = xp(get_record(make_endpoint([record])[0], 9, "datacite"), "//dcite:resource")
    assert [child.tag.split("}")[1] for child in resource] == [
        "alternateIdentifiers", "creators", "titles", "publisher", "dates", "resourceType",
        "identifier", "relatedIdentifiers", "rightsList"]
    assert xp(resource, "dcite:resourceType/@resourceTypeGeneral") == ["Dataset"]
    assert xp(resource, "dcite:resourceType/text()") == []


@pytest.mark.parametrize("prefix", ["marcxml", "marc21"])
def test_marcxml_follows_invenio_rdm_marc21(prefix):
    root = get_record(make_endpoint([make_record(42)])[0], 42, prefix)
    (record,) = xp(root, "//oai:metadata/marc:record")
    assert xp(record, "marc:leader/text()") == ["00000nkm##2200000uu#4500"]
    fields = [(f.get("tag"), [(s.get("code"), s.text) for s in f]) for f in
              xp(record, "marc:datafield")]
    assert ("024", [("2", "doi"), ("a", "10.5072/zenodo.42")]) in fields
    assert ("909", [("p", "user-herbarium"), ("o", "oai:zenodo.org:42")]) in fields
    assert ("100", [("a", "Meise Botanic Garden")]) in fields
    assert ("980", [("a", "image"), ("b", "photo")]) in fields
    assert xp(record, "marc:controlfield[@tag='001']/text()") == ["42"]


def test_dcat_describes_the_dataset_and_its_files():
    root = get_record(make_endpoint([make_record(42)])[0], 42, "dcat")
    (description,) = xp(root, "//rdf:RDF/rdf:Description")
    assert description.get(f"{{{NS['rdf']}}}about") == "https://doi.org/10.5072/zenodo.42"
    downloads = xp(description, ".//*[local-name()='downloadURL']/@rdf:resource")
    assert downloads == ["http://sandbox.test/records/42/files/BR42.jpg"]


@pytest.mark.parametrize("prefix", ["oai_dc", "datacite", "oai_datacite", "marcxml"])
def test_special_characters_round_trip(prefix):
    record = make_record(7, title=TRICKY, keywords=[TRICKY],
                         creators=[{"name": TRICKY, "affiliation": TRICKY}])
    status, body = make_endpoint([record])[0].handle(
        {"verb": ["ListRecords"], "metadataPrefix": [prefix]})
    assert status == 200
    expected = TRICKY.replace("\x0b", "")  # not representable in XML 1.0, dropped
    for root in (etree.fromstring(body), defusedxml.ElementTree.fromstring(body)):
        texts = {el.text for el in root.iter() if isinstance(el.tag, str)}
        assert expected in texts  # keywords and names are not cleaned
    if "datacite" in prefix:  # titles go through strip_html: the tag-like part is dropped
        title = xp(etree.fromstring(body), "//dcite:title/text()")
        assert title == [expected.replace("<Fagaceae>", "")]
