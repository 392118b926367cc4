"""Unit tests of small pure helpers: query syntax, rate-limit windows, request classes."""

from __future__ import annotations

import pytest

from zenodo_sandbox.config import RateLimit, parse_limit_list
from zenodo_sandbox.middleware import classify, safe_target
from zenodo_sandbox.query import QueryError, matches, parse
from zenodo_sandbox.ratelimit import RateLimiter

DOC = {"id": 7, "title": "Sheet of Quercus robur", "metadata": {
    "related_identifiers": [{"identifier": "urn:cat:BR:1", "relation": "isAlternateIdentifier"}],
    "custom": {"dwc:catalogNumber": ["BR1"]}, "doi": "10.5072/zenodo.7"}}


def test_identifier_fields_match_exactly_not_by_prefix():
    assert matches(parse('related_identifiers.identifier:"urn:cat:BR:1"'), DOC)
    assert not matches(parse('related_identifiers.identifier:"urn:cat:BR:10"'), DOC)
    assert not matches(parse('related_identifiers.identifier:"urn:cat:BR"'), DOC)


def test_text_fields_escapes_and_custom_fields():
    assert matches(parse('title:"quercus robur" AND id:7'), DOC)
    assert matches(parse(r"doi:10.5072\/zenodo.7"), DOC)
    assert matches(parse(r"custom.dwc\:catalogNumber:BR1"), DOC)
    assert not matches(parse("title:fagus"), DOC)
    with pytest.raises(QueryError):
        parse('title:"open')


def test_limit_parsing_and_fixed_window():
    assert parse_limit_list("5000/h,100/min") == (RateLimit(100, 60), RateLimit(5000, 3600))
    now = [1000.0]
    limiter = RateLimiter({"api": (RateLimit(2, 10),)}, "fixed", clock=lambda: now[0])
    assert [limiter.hit("u", "api").allowed for _ in range(3)] == [True, True, False]
    assert limiter.hit("u", "api").reset == 1010
    now[0] = 1010.0
    assert limiter.hit("u", "api").allowed
    assert limiter.hit("u", "oai") is None


def test_request_classes_and_token_free_log_targets():
    assert classify("POST", "/api/deposit/depositions") == "create"
    assert classify("POST", "/api/deposit/depositions/5/actions/newversion") == "newversion"
    assert classify("PUT", "/api/files/abc/x/y.jpg") == "file_put"
    assert classify("GET", "/api/records") == "search"
    assert classify("GET", "/api/records/5") == "get"
    scope = {"path": "/api/x", "query_string": b"q=a&access_token=SECRET"}
    assert safe_target(scope) == "/api/x?q=a"
