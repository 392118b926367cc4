"""``/oai2d`` compared with zenodo.org's real answers: the cassettes oaipmh-scythe recorded
against ``https://zenodo.org/oai2d`` (``tests/cassettes/*.yaml`` of afuetterer/oaipmh-scythe).
Each test names the cassette (and interaction) it compares with; the facts are carried by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from lxml import etree

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/",
      "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
      "dcite": "http://datacite.org/schema/kernel-4"}
DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"
STYLESHEET = b'<?xml-stylesheet type="text/xsl" href="/static/oai2.xsl"?>'
FORMATS = [  # list_metadata_formats.yaml: prefix, schema, namespace
    ("marcxml", "https://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
     "https://www.loc.gov/standards/marcxml/"),
    ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
     "http://www.openarchives.org/OAI/2.0/oai_dc/"),
    ("dcat", "http://schema.datacite.org/meta/kernel-4/metadata.xsd",
     "https://www.w3.org/ns/dcat"),
    ("marc21", "https://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
     "https://www.loc.gov/standards/marcxml/"),
    ("datacite", "http://schema.datacite.org/meta/kernel-4.5/metadata.xsd",
     "http://datacite.org/schema/kernel-4"),
    ("oai_datacite", "http://schema.datacite.org/oai/oai-1.1/oai.xsd",
     "http://schema.datacite.org/oai/oai-1.1/"),
    ("datacite4", "http://schema.datacite.org/meta/kernel-4.5/metadata.xsd",
     "http://datacite.org/schema/kernel-4"),
    ("oai_datacite4", "http://schema.datacite.org/oai/oai-1.1/oai.xsd",
     "http://schema.datacite.org/oai/oai-1.1/"),
]
EXPIRED = "The value of the resumptionToken argument is invalid or expired."
SOFTWARE = {"upload_type": "software", "title": "RDMO", "creators": [{"name": "Klar, Jochen"}],
            "publication_date": "2023-12-11", "access_right": "open", "license": "apache-2.0",
            "description": "<h2>RDMO 2.1.0</h2>", "version": "2.1.0"}


def oai(sandbox, **params: str) -> tuple[requests.Response, etree._Element]:
    params = {k.rstrip("_"): v for k, v in params.items()}
    response = requests.get(f"{sandbox.url}/oai2d", params=params, timeout=30)
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    return response, etree.fromstring(response.content)


def error(sandbox, code: str, message: str | None, **params: str) -> None:
    """Zenodo's error answer: 422, no XML declaration, ``<request>`` without attributes."""
    response, root = oai(sandbox, **params)
    assert response.status_code == 422
    assert response.content.startswith(STYLESHEET)
    request = root.find("oai:request", NS)
    assert request.attrib == {} and request.text == f"{sandbox.url}/oai2d"
    (element,) = root.iterfind("oai:error", NS)
    assert (element.get("code"), element.text) == (code, message)


def xp(node: etree._Element, path: str) -> list:
    return node.xpath(path, namespaces=NS)


# identify.yaml (https://zenodo.org/oai2d?verb=Identify)
def test_identify(sandbox):
    sandbox.admin.seed(1)
    response, root = oai(sandbox, verb="Identify")
    assert response.status_code == 200
    assert response.content.startswith(DECLARATION + STYLESHEET)
    assert root.find("oai:request", NS).attrib == {"verb": "Identify"}
    got = [(child.tag.split("}")[1], child.text) for child in root.find("oai:Identify", NS)]
    stamp = got[4][1]
    assert got == [("repositoryName", "Zenodo"), ("baseURL", f"{sandbox.url}/oai2d"),
                   ("protocolVersion", "2.0"), ("adminEmail", "info@zenodo.org"),
                   ("earliestDatestamp", stamp), ("deletedRecord", "no"),
                   ("granularity", "YYYY-MM-DDThh:mm:ssZ")]
    datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")


# list_metadata_formats.yaml (without and with identifier=oai:zenodo.org:10357859, and
# identifier=oai:zenodo.org:XXX)
def test_list_metadata_formats(sandbox):
    (recid,) = sandbox.admin.seed(1)["ids"]
    for extra in ({}, {"identifier": f"oai:zenodo.org:{recid}"}):
        response, root = oai(sandbox, verb="ListMetadataFormats", **extra)
        assert response.status_code == 200
        formats = [tuple(child.text for child in element)
                   for element in root.iterfind(".//oai:metadataFormat", NS)]
        assert formats == FORMATS
    error(sandbox, "idDoesNotExist", "No matching identifier", verb="ListMetadataFormats",
          identifier="oai:zenodo.org:XXX")


# get_record.yaml (metadataPrefix=XXX) and id_does_not_exist.yaml (identifier XXX)
def test_get_record_errors(sandbox):
    (recid,) = sandbox.admin.seed(1)["ids"]
    error(sandbox, "badArgument", "metadataPrefix does not exist", verb="GetRecord",
          identifier=f"oai:zenodo.org:{recid}", metadataPrefix="XXX")
    error(sandbox, "idDoesNotExist", "No matching identifier", verb="GetRecord",
          identifier="oai:zenodo.org:XXX", metadataPrefix="oai_dc")


# get_record.yaml (GetRecord of the software record 10357859 in community rdmo, datacite):
# header with the pattern set ``software`` and the community set, DataCite 4.5 in the
# datacite library's order, the OAI id as the only alternate identifier, an empty
# resourceType for Software, the concept DOI and the community page (trailing slash) as
# related identifiers, the licence then the eu-repo access right
def test_get_record_datacite(sandbox):
    (recid,) = sandbox.admin.seed(1, metadata=SOFTWARE, communities=["rdmo"])["ids"]
    response, root = oai(sandbox, verb="GetRecord", identifier=f"oai:zenodo.org:{recid}",
                         metadataPrefix="datacite")
    assert response.status_code == 200
    assert root.find("oai:request", NS).attrib == {
        "verb": "GetRecord", "identifier": f"oai:zenodo.org:{recid}", "metadataPrefix": "datacite"}
    assert sorted(xp(root, "//oai:header/oai:setSpec/text()")) == ["software", "user-rdmo"]
    (resource,) = xp(root, "//oai:metadata/dcite:resource")
    assert [child.tag.split("}")[1] for child in resource] == [
        "alternateIdentifiers", "creators", "titles", "publisher", "publicationYear", "dates",
        "resourceType", "identifier", "relatedIdentifiers", "version", "rightsList",
        "descriptions"]
    assert xp(resource, "dcite:alternateIdentifiers/*/@alternateIdentifierType") == ["oai"]
    assert xp(resource, "dcite:creators/dcite:creator/dcite:creatorName/@nameType") == [
        "Personal"]
    assert xp(resource, "dcite:dates/dcite:date/@dateType") == ["Issued", "Updated"]
    assert xp(resource, "dcite:resourceType/@resourceTypeGeneral") == ["Software"]
    assert b'<resourceType resourceTypeGeneral="Software"></resourceType>' in response.content
    related = [(r.get("relationType"), r.get("relatedIdentifierType"), r.text)
               for r in xp(resource, "dcite:relatedIdentifiers/*")]
    assert related == [("IsVersionOf", "DOI", f"10.5072/zenodo.{recid - 1}"),
                       ("IsPartOf", "URL", f"{sandbox.url}/communities/rdmo/")]
    rights = [dict(r.attrib) for r in xp(resource, "dcite:rightsList/*")]
    assert rights == [{"rightsURI": "http://www.apache.org/licenses/LICENSE-2.0",
                       "rightsIdentifierScheme": "spdx", "rightsIdentifier": "apache-2.0"},
                      {"rightsURI": "info:eu-repo/semantics/openAccess"}]
    assert xp(resource, "dcite:descriptions/dcite:description/text()") == ["RDMO 2.1.0"]


# get_record.yaml (same record, oai_dc): the description's tags escaped into the text, the
# DOI and OAI id as identifiers, the community page and concept DOI as relations, three rights
def test_get_record_oai_dc(sandbox):
    (recid,) = sandbox.admin.seed(1, metadata=SOFTWARE, communities=["rdmo"])["ids"]
    _response, root = oai(sandbox, verb="GetRecord", identifier=f"oai:zenodo.org:{recid}",
                          metadataPrefix="oai_dc")
    dc = {name: xp(root, f"//oai_dc:dc/dc:{name}/text()")
          for name in ("creator", "date", "description", "identifier", "publisher", "relation",
                       "rights", "title", "type")}
    assert dc == {
        "creator": ["Klar, Jochen"], "date": ["2023-12-11"],
        "description": ["&lt;h2&gt;RDMO 2.1.0&lt;/h2&gt;"],
        "identifier": [f"https://doi.org/10.5072/zenodo.{recid}", f"oai:zenodo.org:{recid}"],
        "publisher": ["Zenodo"],
        "relation": [f"{sandbox.url}/communities/rdmo/",
                     f"https://doi.org/10.5072/zenodo.{recid - 1}"],
        "rights": ["info:eu-repo/semantics/openAccess", "Apache License 2.0",
                   "http://www.apache.org/licenses/LICENSE-2.0"],
        "title": ["RDMO"], "type": ["info:eu-repo/semantics/other"],
    }


# list_identifiers.yaml (from=2026-04-01, and from=2026-04-01&until=2026-04-02): a date is
# echoed as a full datestamp at midnight; the first page's token has expirationDate (2 min
# after responseDate), cursor 0 and completeListSize; the request echo of a resumed page is
# resumptionToken and verb; the second page's cursor is 50
def test_list_identifiers_echo_and_tokens(sandbox):
    sandbox.admin.seed(51)
    _response, root = oai(sandbox, verb="ListIdentifiers", from_="2020-01-01",
                          until="2999-01-02", metadataPrefix="oai_dc")
    assert root.find("oai:request", NS).attrib == {
        "verb": "ListIdentifiers", "from": "2020-01-01T00:00:00Z",
        "until": "2999-01-02T00:00:00Z", "metadataPrefix": "oai_dc"}
    assert len(xp(root, "//oai:header")) == 50
    token = root.find(".//oai:resumptionToken", NS)
    answered = datetime.strptime(root.findtext("oai:responseDate", namespaces=NS),
                                 "%Y-%m-%dT%H:%M:%SZ")
    expires = datetime.strptime(token.get("expirationDate"), "%Y-%m-%dT%H:%M:%SZ")
    assert expires - answered in (timedelta(seconds=120), timedelta(seconds=121))  # a tick
    assert (token.get("cursor"), token.get("completeListSize")) == ("0", "51")
    _response, second = oai(sandbox, verb="ListIdentifiers", resumptionToken=token.text)
    assert second.find("oai:request", NS).attrib == {"resumptionToken": token.text,
                                                     "verb": "ListIdentifiers"}
    last = second.find(".//oai:resumptionToken", NS)
    assert (last.get("cursor"), last.text) == ("50", None)
    assert len(xp(second, "//oai:header")) == 1


# list_identifiers.yaml and list_records.yaml: an unknown set and a future ``from`` are
# noRecordsMatch with an empty message; metadataPrefix=XXX is badArgument; a token XXX is
# badResumptionToken (also list_sets.yaml)
@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
def test_list_errors(sandbox, verb):
    sandbox.admin.seed(1)
    error(sandbox, "noRecordsMatch", None, verb=verb, metadataPrefix="oai_dc", set="XXX")
    error(sandbox, "noRecordsMatch", None, verb=verb, metadataPrefix="oai_dc", from_="2999-01-15")
    error(sandbox, "badArgument", "metadataPrefix does not exist", verb=verb,
          metadataPrefix="XXX")
    error(sandbox, "badResumptionToken", EXPIRED, verb=verb, resumptionToken="XXX")
    raw = requests.get(f"{sandbox.url}/oai2d", timeout=10, params={
        "verb": verb, "metadataPrefix": "oai_dc", "set": "XXX"}).content
    assert b'<error code="noRecordsMatch"></error>' in raw


# list_sets.yaml: sets carry setSpec and setName; a token XXX is badResumptionToken
def test_list_sets(sandbox):
    sandbox.admin.seed(1, communities=["harmonic-radar"])
    response, root = oai(sandbox, verb="ListSets")
    assert response.status_code == 200
    sets = [(s.findtext("oai:setSpec", namespaces=NS), s.findtext("oai:setName", namespaces=NS))
            for s in root.iterfind(".//oai:set", NS)]
    assert ("user-harmonic-radar", "harmonic-radar") in sets
    assert {"openaire", "openaire_data", "software"} <= {spec for spec, _name in sets}
    error(sandbox, "badResumptionToken", EXPIRED, verb="ListSets", resumptionToken="XXX")


# list_records.yaml and list_identifiers.yaml (set=software, headers with openaire_data):
# Zenodo's pattern sets ``software`` and ``openaire_data`` hold software and datasets
def test_pattern_sets_hold_software_and_datasets(sandbox):
    (software,) = sandbox.admin.seed(1, metadata=SOFTWARE)["ids"]
    (dataset,) = sandbox.admin.seed(1, metadata={**SOFTWARE, "upload_type": "dataset"})["ids"]
    sandbox.admin.seed(1)  # an image: in neither
    _response, root = oai(sandbox, verb="ListRecords", metadataPrefix="oai_dc", set="software")
    assert xp(root, "//oai:header/oai:identifier/text()") == [f"oai:zenodo.org:{software}"]
    _response, root = oai(sandbox, verb="ListIdentifiers", metadataPrefix="oai_dc",
                          set="openaire_data")
    assert xp(root, "//oai:header/oai:identifier/text()") == [f"oai:zenodo.org:{dataset}"]
    assert xp(root, "//oai:header/oai:setSpec/text()") == ["openaire_data"]


# list_records.yaml (until=2026-04-02 is echoed as 2026-04-02T00:00:00Z): a date-only until
# is midnight, so a record updated later that day is not listed
def test_until_a_date_means_its_midnight(sandbox):
    sandbox.admin.seed(1)
    _response, root = oai(sandbox, verb="ListIdentifiers", metadataPrefix="oai_dc")
    stamp = root.findtext(".//oai:datestamp", namespaces=NS)
    today = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).date()
    error(sandbox, "noRecordsMatch", None, verb="ListRecords", metadataPrefix="oai_dc",
          until=today.isoformat())
    response, _root = oai(sandbox, verb="ListRecords", metadataPrefix="oai_dc",
                          until=(today + timedelta(days=1)).isoformat())
    assert response.status_code == 200
