"""Harvesting a community's OAI-PMH set from a real sandbox process through the real hook."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.zenodo.oai_helpers import make_hook, oai_requests, seed, specimen_metadata
from zenodo.harvest.harvester import (
    Harvester,
    HarvestOptions,
    feed_shows,
    format_datestamp,
    parse_datestamp,
)
from zenodo.harvest.oai_page import UnsafeXml, parse_oai_page
from zenodo.harvest.records import (
    HarvestRecordError,
    key_from_identifiers,
    parse_record,
    record_id_of,
)
from zenodo_sandbox.testing import SandboxProcess

FAST = HarvestOptions(restart_wait=0.0)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(limits_profile="none") as process:
        yield process


@pytest.fixture(scope="module")
def short_token_sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(limits_profile="none", extra_args=["--oai-token-ttl", "1"]) as process:
        yield process


@pytest.fixture
def fresh(sandbox: SandboxProcess) -> SandboxProcess:
    sandbox.admin.reset()
    sandbox.admin.set_faults(None)
    return sandbox


def test_full_harvest_costs_one_request_a_page_and_incremental_one(
    fresh: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = 5000
    started = time.monotonic()
    fresh.admin.seed(total, communities=["big"],
                     metadata=specimen_metadata("BIG-{n}"))
    seed(fresh, "OTHER-{n}", communities=("other",), count=5)
    time.sleep(1.1)  # the next responseDate is a later second than every seeded record
    fresh.admin.clear_requests()
    hook = make_hook(monkeypatch, fresh)
    harvester = Harvester(hook, HarvestOptions(overlap=timedelta(0)))

    full = harvester.harvest("big")

    pages = math.ceil(total / 50) + 1  # 5000 is an exact multiple: Zenodo's extra empty page
    assert len(oai_requests(fresh)) == pages == full.stats.requests
    assert full.complete and full.set_spec == "user-big"
    assert len(full.records) == total
    assert {r.specimen_key for r in full.records} == {f"BIG-{n}" for n in range(1, total + 1)}
    assert all(r.doi and r.concept_doi and not r.deleted for r in full.records)
    assert time.monotonic() - started < 40

    fresh.admin.clear_requests()
    unchanged = harvester.harvest_since("big", full.response_date)
    assert unchanged.records == () and not unchanged.complete
    assert len(oai_requests(fresh)) <= 2

    new_ids = seed(fresh, "BIG-NEW-{n}", communities=("big",), count=3)
    fresh.admin.clear_requests()
    delta = harvester.harvest_since("big", unchanged.response_date)
    assert sorted(r.record_id for r in delta.records) == sorted(map(str, new_ids))
    assert len(oai_requests(fresh)) == 1


def test_each_record_yields_ids_datestamp_and_key_in_both_formats(
    fresh: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_keyword = seed(fresh, "urn:catalog:BR:Herb:0001", alternate="urn:catalog:BR:Herb:0001")
    by_urn = seed(fresh, "BR 0002/x", keyword=False, alternate="urn:specimen:BR%200002%2Fx")
    by_url = seed(fresh, "https://example.org/specimen/3", keyword=False,
                  alternate="https://example.org/specimen/3")
    keyless = seed(fresh, "nothing", keyword=False, alternate="https://zenodo.org/records/77")
    expected = {str(by_keyword[0]): "urn:catalog:BR:Herb:0001", str(by_urn[0]): "BR 0002/x",
                str(by_url[0]): "https://example.org/specimen/3", str(keyless[0]): None}
    server = {str(r["id"]): r for r in fresh.admin.records()}
    hook = make_hook(monkeypatch, fresh)

    for prefix in ("oai_datacite", "oai_dc"):
        result = Harvester(hook, HarvestOptions(metadata_prefix=prefix)).harvest("herb")
        got = {r.record_id: r for r in result.records}
        assert {rid: r.specimen_key for rid, r in got.items()} == expected, prefix
        for rid, record in got.items():
            assert record.doi == server[rid]["doi"], prefix
            assert record.concept_doi == server[rid]["conceptdoi"], prefix
            assert record.sets == ("user-herb",)
            assert not record.deleted
            assert abs(parse_datestamp(record.datestamp).timestamp()
                       - datetime.fromisoformat(server[rid]["updated"]).timestamp()) < 1.0


def test_an_expired_token_restarts_the_window_and_nothing_is_missed(
    short_token_sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = short_token_sandbox
    sandbox.admin.reset()
    ids = seed(sandbox, "SLOW-{n}", count=120)
    hook = make_hook(monkeypatch, sandbox)
    harvester = Harvester(hook, FAST)
    got = []
    for record in harvester.iter_records("herb"):
        got.append(record.record_id)
        if len(got) == 50:
            time.sleep(2.5)  # a slow consumer: page 2's token (ttl 1 s) expires meanwhile

    assert sorted(got) == sorted(map(str, ids))  # every record exactly once
    statuses = [r["status"] for r in oai_requests(sandbox)]
    assert statuses.count(422) == 1  # the one badResumptionToken, then a restart
    assert len(statuses) == 1 + 1 + 3  # page 1, expired page 2, then pages 1..3 again


def test_server_errors_mid_harvest_restart_only_their_window(
    fresh: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids: list[int] = []
    for batch in range(3):
        ids += seed(fresh, f"W{batch}-{{n}}", count=60)
        time.sleep(1.1)
    fresh.admin.set_faults({"seed": 11, "kinds": {"oai": {"error_rate": 0.3,
                                                          "error_statuses": [502, 503]}}})
    fresh.admin.clear_requests()
    hook = make_hook(monkeypatch, fresh, read_attempts=1)  # every 5xx reaches the harvester
    earliest = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=10)
    options = HarvestOptions(window=timedelta(seconds=2), earliest=earliest, max_restarts=20,
                             restart_wait=0.0)

    result = Harvester(hook, options).harvest("herb")

    assert sorted(r.record_id for r in result.records) == sorted(map(str, ids))
    log = oai_requests(fresh)
    failures = [r for r in log if r["status"] >= 500]
    assert failures and result.stats.restarts == len(failures)
    assert result.stats.windows >= 5
    # A restart costs at most the pages of its own window (2 here), never the whole set.
    answered = len(log) - len(failures)
    assert answered <= result.stats.windows + 6 + 2 * len(failures)


def test_a_window_listing_too_many_records_is_split(
    fresh: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids: list[int] = []
    for batch in range(3):
        ids += seed(fresh, f"S{batch}-{{n}}", count=40)
        time.sleep(1.1)
    hook = make_hook(monkeypatch, fresh)
    earliest = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    options = HarvestOptions(window=timedelta(days=1), earliest=earliest,
                             max_window_records=50)

    result = Harvester(hook, options).harvest("herb")

    assert sorted(r.record_id for r in result.records) == sorted(map(str, ids))
    assert result.stats.splits >= 2


def test_feed_shows_counts_the_expected_records_cheaply(
    fresh: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    since = datetime.now(UTC)
    ids = seed(fresh, "SENSE-{n}", count=3)
    seed(fresh, "ELSEWHERE-{n}", communities=("other",), count=2)
    fresh.admin.clear_requests()
    hook = make_hook(monkeypatch, fresh)

    assert feed_shows(hook, "herb", [*ids, 987654], since=since) == (3, 4)
    assert feed_shows(hook, "herb", [str(ids[0])], since=format_datestamp(since)) == (1, 1)
    assert feed_shows(hook, "herb", [], since=since) == (0, 0)
    assert len(oai_requests(fresh)) == 2


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>&lol3;</responseDate>
<ListRecords/></OAI-PMH>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>&xxe;</responseDate>
<ListRecords/></OAI-PMH>"""


class _Hostile(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: object) -> None:
        return


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_hostile_oai_answers_are_rejected(body: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    handler = type("Handler", (_Hostile,), {"body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        fake = type("Fake", (), {"url": f"http://127.0.0.1:{server.server_port}",
                                 "token": "not-a-real-token"})()
        hook = make_hook(monkeypatch, fake)
        with pytest.raises(UnsafeXml, match="refused unsafe XML"):
            Harvester(hook, FAST).harvest("herb")
    finally:
        server.shutdown()
        server.server_close()


def test_key_rules() -> None:
    assert key_from_identifiers(["x", "specimen-key:K 1"], ["urn:specimen:other"]) == "K 1"
    assert key_from_identifiers([], ["urn:specimen:BR%2F1"]) == "BR/1"
    assert key_from_identifiers([], ["https://zenodo.org/records/5", "10.5281/zenodo.5",
                                     "https://example.org/s/1"]) == "https://example.org/s/1"
    assert key_from_identifiers(["Quercus"], ["https://zenodo.org/records/5"]) is None
    assert key_from_identifiers([], ["https://rdm.example.org/records/abcde-12345",
                                     "https://example.org/s/2"]) == "https://example.org/s/2"


DC_RECORD = """<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2025-01-01T00:00:00Z</responseDate><ListRecords><record><header>
  <identifier>oai:zenodo.org:12</identifier><datestamp>2025-01-01T00:00:00Z</datestamp>
  </header><metadata><oai_dc:dc xmlns:dc="http://purl.org/dc/elements/1.1/"
   xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/">
  <dc:identifier>https://doi.org/10.5281/zenodo.12</dc:identifier>
  <dc:identifier>oai:zenodo.org:12</dc:identifier>{identifiers}
  <dc:relation>https://example.org/derived-from/9</dc:relation>
  <dc:relation>https://zenodo.org/communities/herb/</dc:relation>
  <dc:relation>https://doi.org/10.5281/zenodo.11</dc:relation>
  <dc:subject>Quercus</dc:subject>{subjects}
  </oai_dc:dc></metadata></record></ListRecords></OAI-PMH>"""


@pytest.mark.parametrize(("identifiers", "subjects", "key"), [
    ("<dc:identifier>urn:specimen:BR%201</dc:identifier>", "", "BR 1"),
    ("<dc:identifier>https://example.org/s/1</dc:identifier>", "", "https://example.org/s/1"),
    ("<dc:identifier>urn:specimen:X</dc:identifier>", "<dc:subject>specimen-key:K 2</dc:subject>",
     "K 2"),
    ("", "", None),  # a related identifier (dc:relation) is never the specimen
])
def test_dublin_core_reads_the_key_from_its_identifiers_as_zenodo_lists_them(
    identifiers: str, subjects: str, key: str | None
) -> None:
    page = parse_oai_page(DC_RECORD.format(identifiers=identifiers, subjects=subjects).encode())
    record = parse_record(page.records[0], where="page 1, item 1")
    assert (record.doi, record.concept_doi) == ("10.5281/zenodo.12", "10.5281/zenodo.11")
    assert record.specimen_key == key


def test_a_record_without_an_oai_identifier_is_named_in_the_error() -> None:
    page = parse_oai_page(b"""<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
      <responseDate>2025-01-01T00:00:00Z</responseDate><ListRecords><record><header>
      <identifier>zenodo-12</identifier><datestamp>2025-01-01T00:00:00Z</datestamp>
      </header></record></ListRecords></OAI-PMH>""")
    with pytest.raises(HarvestRecordError, match=r"page 1, item 1.*header/identifier"):
        parse_record(page.records[0], where="page 1, item 1")


def test_an_invenio_rdm_identifier_gives_its_record_id_as_text() -> None:
    page = parse_oai_page(b"""<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
      <responseDate>2025-01-01T00:00:00Z</responseDate><ListIdentifiers><header>
      <identifier>oai:repo.example.org:abcde-12345</identifier>
      <datestamp>2025-01-01T00:00:00Z</datestamp></header></ListIdentifiers></OAI-PMH>""")
    assert parse_record(page.records[0], where="page 1, item 1").record_id == "abcde-12345"
    assert record_id_of("oai:zenodo.org:123", where="x") == "123"


@pytest.mark.parametrize("identifier", [
    "zenodo-12", "oai:zenodo.org:", "oai:123", "oai::123", "doi:zenodo.org:1",
    "oai:zenodo.org:a b", "oai:zenodo.org:a/b", "oai:zenodo.org:" + "9" * 65,
])
def test_identifiers_without_a_usable_record_id_are_refused(identifier: str) -> None:
    with pytest.raises(HarvestRecordError, match=r"\(item 3\): header/identifier"):
        record_id_of(identifier, where="item 3")
