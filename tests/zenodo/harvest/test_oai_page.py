"""OAI-PMH pages parse safely: tokens and errors are read, entity tricks are refused."""

from __future__ import annotations

import pytest

from zenodo.harvest.oai_page import OaiError, OaiTokenExpired, UnsafeXml, parse_oai_page

ENVELOPE = """<?xml version='1.0' encoding='UTF-8'?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2026-11-24T10:00:00Z</responseDate>
  <request verb="ListRecords">http://127.0.0.1/oai2d</request>
  {body}
</OAI-PMH>"""


def page(body: str) -> bytes:
    return ENVELOPE.format(body=body).encode()


def test_records_and_token_are_read() -> None:
    parsed = parse_oai_page(
        page(
            "<ListRecords><record><header><identifier>oai:zenodo.org:1</identifier>"
            "</header></record><record><header><identifier>oai:zenodo.org:2</identifier>"
            "</header></record><resumptionToken cursor='0' completeListSize='120'>abc"
            "</resumptionToken></ListRecords>"
        )
    )
    assert len(parsed.records) == 2
    assert parsed.resumption_token == "abc"
    assert parsed.complete_list_size == 120
    assert parsed.response_date == "2026-11-24T10:00:00Z"


def test_empty_token_on_the_last_page_ends_the_list() -> None:
    parsed = parse_oai_page(
        page(
            "<ListRecords><record/>"
            "<resumptionToken cursor='50' completeListSize='51'/></ListRecords>"
        )
    )
    assert parsed.resumption_token is None


def test_no_records_match_is_an_empty_page() -> None:
    parsed = parse_oai_page(page('<error code="noRecordsMatch"/>'))
    assert parsed.records == [] and parsed.resumption_token is None


def test_expired_token_raises_its_own_error() -> None:
    with pytest.raises(OaiTokenExpired):
        parse_oai_page(page('<error code="badResumptionToken">expired</error>'))


def test_other_oai_errors_raise_with_their_code() -> None:
    with pytest.raises(OaiError) as info:
        parse_oai_page(page('<error code="badArgument">metadataPrefix does not exist</error>'))
    assert info.value.code == "badArgument"


def test_billion_laughs_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><x>&lol2;</x></OAI-PMH>'
    )
    with pytest.raises(UnsafeXml):
        parse_oai_page(bomb)


def test_external_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><x>&x;</x></OAI-PMH>'
    )
    with pytest.raises(UnsafeXml):
        parse_oai_page(xxe)
