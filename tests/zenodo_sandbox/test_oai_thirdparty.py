"""The third-party ``sickle`` harvester gets a 1,000-record community set across tokens."""

from __future__ import annotations

import time

import pytest
import requests
from sickle import Sickle


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
    assert {"user-herbaria", "user-insects"} <= sets


def test_sickle_records_carry_titles_and_the_feed_lags_by_the_oai_delay(sandbox, deposit,
                                                                         metadata):
    sandbox.admin.set_delays(oai=1.5)
    dep = deposit(meta=dict(metadata, communities=[{"identifier": "lagging"}]), publish=True)
    harvester = Sickle(f"{sandbox.url}/oai2d", max_retries=0)
    with pytest.raises(requests.HTTPError):  # Zenodo answers noRecordsMatch with HTTP 422
        list(harvester.ListRecords(metadataPrefix="oai_dc", set="user-lagging"))
    time.sleep(1.7)
    records = list(harvester.ListRecords(metadataPrefix="oai_dc", set="user-lagging"))
    assert [r.header.identifier for r in records] == [f"oai:zenodo.org:{dep['id']}"]
    assert records[0].metadata["title"] == [metadata["title"]]
