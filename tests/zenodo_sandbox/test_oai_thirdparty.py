"""Third-party harvesters (Sickle and oaipmh-scythe, as pinned) against the sandbox's
``/oai2d``: a community set across resumption tokens, GetRecord, and the protocol errors as
each library surfaces them. Zenodo answers every OAI error with HTTP 422: Sickle raises
``requests.HTTPError`` for all of them; oaipmh-scythe reads the ``<error>`` first and raises
its own exception per code.
"""

from __future__ import annotations

import time

import oaipmh_scythe
import pytest
import requests
from oaipmh_scythe import exceptions as scythe_errors
from sickle import Sickle

SPECIMEN = {"upload_type": "image", "image_type": "photo", "title": "Quercus robur L.",
            "creators": [{"name": "Doe, Jane"}], "publication_date": "2024-01-01",
            "access_right": "open", "license": "cc-by-4.0",
            "keywords": ["specimen-key:BR0000013"],
            "related_identifiers": [{"identifier": "urn:catalog:BR:BR0000013",
                                     "relation": "isAlternateIdentifier"}]}


def test_sickle_harvests_a_community_set_of_1000_records(sandbox):
    seeded = sandbox.admin.seed(1000, communities=["herbaria"])["ids"]
    sandbox.admin.seed(30, communities=["insects"])
    harvester = Sickle(f"{sandbox.url}/oai2d", max_retries=0)
    headers = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", set="user-herbaria"))
    identifiers = [h.identifier for h in headers]
    assert len(identifiers) == 1000 and len(set(identifiers)) == 1000
    assert set(identifiers) == {f"oai:zenodo.org:{i}" for i in seeded}
    oai_requests = sandbox.admin.requests(kind="oai")["total"]
    assert oai_requests >= 20  # 50 per page: many resumption tokens were followed
    sets = {s.setSpec for s in harvester.ListSets()}
    assert {"user-herbaria", "user-insects", "openaire", "openaire_data", "software"} <= sets


def test_sickle_records_carry_titles_and_the_feed_lags_by_the_oai_delay(sandbox, deposit,
                                                                         metadata):
    sandbox.admin.set_delays(oai=0.5)
    dep = deposit(meta=dict(metadata, communities=[{"identifier": "lagging"}]), publish=True)
    harvester = Sickle(f"{sandbox.url}/oai2d", max_retries=0)
    with pytest.raises(requests.HTTPError):  # Zenodo answers noRecordsMatch with HTTP 422
        list(harvester.ListRecords(metadataPrefix="oai_dc", set="user-lagging"))
    time.sleep(0.7)
    records = list(harvester.ListRecords(metadataPrefix="oai_dc", set="user-lagging"))
    assert [r.header.identifier for r in records] == [f"oai:zenodo.org:{dep['id']}"]
    assert records[0].metadata["title"] == [metadata["title"]]


def test_sickle_get_record_in_oai_datacite(sandbox):
    (recid,) = sandbox.admin.seed(1, metadata=SPECIMEN, communities=["herbaria"])["ids"]
    harvester = Sickle(f"{sandbox.url}/oai2d", max_retries=0)
    record = harvester.GetRecord(identifier=f"oai:zenodo.org:{recid}",
                                 metadataPrefix="oai_datacite")
    assert record.header.setSpecs == ["user-herbaria"]
    assert record.metadata["identifier"] == [f"10.5072/zenodo.{recid}"]
    assert record.metadata["alternateIdentifier"] == [f"oai:zenodo.org:{recid}",
                                                      "urn:catalog:BR:BR0000013"]
    assert record.metadata["subject"] == ["specimen-key:BR0000013"]


@pytest.mark.parametrize(("call", "params"), [
    ("ListRecords", {"metadataPrefix": "XXX"}),  # badArgument
    ("GetRecord", {"identifier": "oai:zenodo.org:XXX", "metadataPrefix": "oai_dc"}),
    ("ListRecords", {"metadataPrefix": "oai_dc", "set": "user-nobody"}),  # noRecordsMatch
    ("ListIdentifiers", {"resumptionToken": "XXX"}),  # badResumptionToken
])
def test_sickle_sees_every_protocol_error_as_http_422(sandbox, call, params):
    sandbox.admin.seed(1)
    harvester = Sickle(f"{sandbox.url}/oai2d", max_retries=0)
    with pytest.raises(requests.HTTPError) as raised:
        result = getattr(harvester, call)(**params)
        list(result) if call != "GetRecord" else None
    assert raised.value.response.status_code == 422


def test_sickle_posting_the_arguments_fails_as_on_zenodo(sandbox):
    sandbox.admin.seed(1)
    harvester = Sickle(f"{sandbox.url}/oai2d", http_method="POST", max_retries=0)
    with pytest.raises(requests.HTTPError) as raised:  # badVerb: the form is not read
        harvester.Identify()
    assert raised.value.response.status_code == 422


def test_oaipmh_scythe_harvests_a_community_set_and_gets_a_record(sandbox):
    seeded = sandbox.admin.seed(101, metadata=SPECIMEN, communities=["herbaria"])["ids"]
    sandbox.admin.seed(3, communities=["insects"])
    with oaipmh_scythe.Scythe(f"{sandbox.url}/oai2d") as client:
        headers = list(client.list_identifiers(metadata_prefix="oai_datacite",
                                                set_="user-herbaria"))
        assert [h.identifier for h in headers] == [f"oai:zenodo.org:{i}" for i in seeded]
        records = list(client.list_records(metadata_prefix="oai_dc", set_="user-herbaria"))
        assert len(records) == 101
        assert records[0].metadata["subject"] == ["specimen-key:BR0000013"]
        record = client.get_record(f"oai:zenodo.org:{seeded[0]}", metadata_prefix="datacite")
        assert record.header.identifier == f"oai:zenodo.org:{seeded[0]}"
        assert record.metadata["alternateIdentifier"][1] == "urn:catalog:BR:BR0000013"
        assert client.identify().repositoryName == "Zenodo"


def test_oaipmh_scythe_raises_one_exception_per_error_code(sandbox):
    (recid,) = sandbox.admin.seed(1)["ids"]
    with oaipmh_scythe.Scythe(f"{sandbox.url}/oai2d") as client:
        with pytest.raises(scythe_errors.BadArgument):
            client.get_record(f"oai:zenodo.org:{recid}", metadata_prefix="XXX")
        with pytest.raises(scythe_errors.IdDoesNotExist):
            client.get_record("oai:zenodo.org:XXX")
        with pytest.raises(scythe_errors.NoRecordsMatch):
            list(client.list_records(set_="user-nobody"))
        with pytest.raises(scythe_errors.BadResumptionToken):
            list(client.list_identifiers(resumption_token="XXX"))
    post = oaipmh_scythe.HTTPConfig(http_method="POST")
    with oaipmh_scythe.Scythe(f"{sandbox.url}/oai2d", http_config=post) as client, \
            pytest.raises(scythe_errors.BadVerb):
        client.identify()
