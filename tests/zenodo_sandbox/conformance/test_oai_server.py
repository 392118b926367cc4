"""``/oai2d`` behaviour that zenodo.org's cassettes do not show but invenio-oaiserver's code
decides (zenodo.org runs it with ``OAISERVER_PAGE_SIZE = 50`` and a 120 s token lifetime).
Each test names the invenio-oaiserver source (file and function) it pins.
"""

from __future__ import annotations

import requests
from lxml import etree

NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def oai(sandbox, method: str = "GET", data: dict | None = None,
        **params: str) -> tuple[int, etree._Element]:
    params = {k.rstrip("_"): v for k, v in params.items()}
    response = requests.request(method, f"{sandbox.url}/oai2d", params=params, data=data,
                                timeout=30)
    return response.status_code, etree.fromstring(response.content)


def codes(root: etree._Element) -> list[str]:
    return [e.get("code") for e in root.iterfind("oai:error", NS)]


def ids(root: etree._Element) -> list[str]:
    return root.xpath("//oai:header/oai:identifier/text()", namespaces=NS)


# invenio-oaiserver views/server.py (webargs ``location="querystring"``) and verbs.py
# make_request_validator (the verb is looked up in the query and the form together)
def test_a_form_body_is_not_read(sandbox):
    sandbox.admin.seed(1)
    status, root = oai(sandbox, "POST", data={"verb": "Identify"})
    assert (status, codes(root)) == (422, ["badVerb"])
    status, root = oai(sandbox, "POST", data={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    assert (status, codes(root)) == (422, ["badVerb", "badArgument"])
    status, _root = oai(sandbox, "POST", verb="Identify")
    assert status == 200


# invenio-oaiserver verbs.py check_extra_params_in_request (runs first, so an unknown verb
# with an argument is badArgument) and webargs (a repeated argument: its first value)
def test_extra_and_repeated_arguments(sandbox):
    sandbox.admin.seed(1)
    assert codes(oai(sandbox, verb="Nope", set="x")[1]) == ["badArgument"]
    response = requests.get(f"{sandbox.url}/oai2d?verb=Identify&verb=ListSets", timeout=10)
    assert response.status_code == 200 and b"<Identify>" in response.content


# invenio-oaiserver views/server.py validation_error (one <error> per field) and verbs.py
# DateTime (dateutil, permissive); response.py envelope + utils.py datetime_to_datestamp
# (the zone is dropped, not converted)
def test_dates_are_permissive_and_each_bad_field_is_an_error(sandbox):
    sandbox.admin.seed(1)
    status, root = oai(sandbox, verb="ListRecords", metadataPrefix="XXX", from_="nonsense")
    assert (status, codes(root)) == (422, ["badArgument", "badArgument"])
    status, root = oai(sandbox, verb="ListIdentifiers", metadataPrefix="oai_dc",
                       from_="2020-06-01T12:00:00+02:00", until="2999-01-01T10:00:00Z")
    assert status == 200
    assert root.find("oai:request", NS).attrib == {
        "verb": "ListIdentifiers", "from": "2020-06-01T12:00:00Z",
        "until": "2999-01-01T10:00:00Z", "metadataPrefix": "oai_dc"}
    status, root = oai(sandbox, verb="ListIdentifiers", metadataPrefix="oai_dc",
                       from_="June 1 2020", until="2999-01-01T10:00")
    assert status == 200
    assert root.find("oai:request", NS).get("from") == "2020-06-01T00:00:00Z"


# invenio-oaiserver verbs.py OAISchema.validate_verb_and_dates compares an aware ``from``
# with a naive ``until``: a TypeError, which zenodo.org answers with 500
def test_mixing_an_aware_and_a_naive_bound_is_a_server_error(sandbox):
    response = requests.get(f"{sandbox.url}/oai2d", timeout=10, params={
        "verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01T00:00:00Z",
        "until": "2999-01-01"})
    assert response.status_code == 500


# invenio-oaiserver query.py get_records Pagination.has_next (``page * per_page <= total``):
# 50 records give a token, then an empty page with an empty token at cursor 50
def test_an_exact_multiple_of_the_page_size_ends_with_an_empty_page(sandbox):
    sandbox.admin.seed(50)
    _status, root = oai(sandbox, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(ids(root)) == 50
    token = root.find(".//oai:resumptionToken", NS)
    assert (token.get("cursor"), token.get("completeListSize")) == ("0", "50") and token.text
    _status, last = oai(sandbox, verb="ListIdentifiers", resumptionToken=token.text)
    assert ids(last) == []
    empty = last.find(".//oai:resumptionToken", NS)
    assert (empty.get("cursor"), empty.text) == ("50", None)


# invenio-oaiserver query.py get_records (later pages read the search scroll named in the
# token: the next batch, whichever page the token names) and resumption_token.py serialize
# (the verb is the token's salt)
def test_a_token_reads_the_scrolls_next_batch_and_belongs_to_its_verb(sandbox):
    seeded = sandbox.admin.seed(120)["ids"]
    _status, root = oai(sandbox, verb="ListRecords", metadataPrefix="oai_dc")
    token = root.find(".//oai:resumptionToken", NS).text
    assert codes(oai(sandbox, verb="ListIdentifiers", resumptionToken=token)[1]) == [
        "badResumptionToken"]
    _status, second = oai(sandbox, verb="ListRecords", resumptionToken=token)
    _status, replay = oai(sandbox, verb="ListRecords", resumptionToken=token)
    assert ids(second) == [f"oai:zenodo.org:{i}" for i in seeded[50:100]]
    assert ids(replay) == [f"oai:zenodo.org:{i}" for i in seeded[100:]]
    # page 3 (by its token) is the last: the scroll is cleared, and reading it again is the
    # search engine's 404, a 500
    third = replay.find(".//oai:resumptionToken", NS).text
    _status, last = oai(sandbox, verb="ListRecords", resumptionToken=third)
    assert ids(last) == [] and last.find(".//oai:resumptionToken", NS).text is None
    response = requests.get(f"{sandbox.url}/oai2d", timeout=10, params={
        "verb": "ListRecords", "resumptionToken": third})
    assert response.status_code == 500


# invenio-oaiserver verbs.py Verbs.GetMetadata (a schema without a response builder in
# response.py: ``getattr(xml, "getmetadata")`` fails, a 500)
def test_get_metadata_passes_validation_and_fails(sandbox):
    (recid,) = sandbox.admin.seed(1)["ids"]
    response = requests.get(f"{sandbox.url}/oai2d", timeout=10, params={
        "verb": "GetMetadata", "identifier": f"oai:zenodo.org:{recid}",
        "metadataPrefix": "oai_dc"})
    assert response.status_code == 500
