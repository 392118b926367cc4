"""Reconciling the ledger with a real sandbox's community feed, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.zenodo.oai_helpers import make_hook, oai_requests, seed, specimen_metadata
from zenodo.engine.batch_runner import publish_specimens
from zenodo.engine.settings import EngineSettings
from zenodo.harvest.harvester import Harvester, HarvestOptions
from zenodo.harvest.records import HarvestedRecord
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import SpecimenPayload
from zenodo.ledger.states import State
from zenodo.metadata.identity import specimen_search_query
from zenodo.reconcile.plan import plan
from zenodo.reconcile.reconciler import reconcile
from zenodo.source.specimen import FileSpec
from zenodo_sandbox.testing import SandboxProcess

C = "herbarium"
OWNER = "reconciler-test"
IMAGE = b"image\n"
FILE = {"name": "image.txt", "size": len(IMAGE),
        "md5": hashlib.md5(IMAGE, usedforsecurity=False).hexdigest()}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(limits_profile="none") as process:
        yield process


@pytest.fixture
def fresh(sandbox: SandboxProcess) -> SandboxProcess:
    sandbox.admin.reset()
    sandbox.admin.set_delays(oai=0)
    return sandbox


@pytest.fixture
def hook(fresh: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> ZenodoHook:
    return make_hook(monkeypatch, fresh)


def _ledger(url: str) -> Ledger:
    ledger = Ledger(url)
    ledger.migrate()
    return ledger


def _register(ledger: Ledger, key: str) -> None:
    ledger.register(C, key, metadata_hash=f"h-{key}", files=[FILE], mapping_name="m",
                    mapping_version=1, source_modified=None)


def _as(ledger: Ledger, key: str, state: State, record_id: int | str | None = None,
        doi: str | None = None) -> None:
    """Register ``key`` and drive it to ``state`` the way the engine would leave it."""
    _register(ledger, key)
    if state == State.NEW:
        return
    ledger.claim(C, [key], owner="engine", ttl_s=60)
    if state == State.FAILED:
        ledger.record_failure(C, key, owner="engine", kind="server", message="HTTP 504",
                              status=504, retry_after=timedelta(minutes=5))
    elif state == State.UNKNOWN:
        ledger.record_unknown(C, key, owner="engine", operation="publish", message="504")
    elif state in (State.PUBLISHED, State.VERIFIED):
        ledger.record_published(C, key, owner="engine", record_id=record_id, doi=doi,
                                verified=state == State.VERIFIED)
    ledger.release(C, [key], owner="engine")


def _server(sandbox: SandboxProcess) -> dict[int, dict]:
    return {r["id"]: r for r in sandbox.admin.records(include_deleted="1")}


def _full(hook: ZenodoHook) -> object:
    return Harvester(hook, HarvestOptions(restart_wait=0.0)).harvest("herb")


def test_one_reconcile_fixes_exactly_the_seeded_cases_and_a_second_finds_nothing(
    fresh: SandboxProcess, hook: ZenodoHook, database_url: str, tmp_path: Path
) -> None:
    ledger = _ledger(database_url)
    # Published on Zenodo, but the ledger never heard back (commit-then-fail, lost answer).
    lost = {"LOST-NEW": State.NEW, "LOST-FAILED": State.FAILED, "LOST-UNKNOWN": State.UNKNOWN}
    lost_ids = {key: seed(fresh, key)[0] for key in lost}
    for key, state in lost.items():
        _as(ledger, key, state)
    # Published and known: to be verified.
    [ok_id] = seed(fresh, "OK")
    # Two deposits for one specimen (a retried create): adopt the lowest id, flag both DOIs.
    dup_ids = [seed(fresh, "TWICE")[0], seed(fresh, "TWICE")[0]]
    _as(ledger, "TWICE", State.NEW)
    # The ledger says published, but Zenodo never had it / deleted it / left it out of the set.
    [deleted_id] = seed(fresh, "DELETED")
    [outside_id] = seed(fresh, "OUTSIDE", communities=())
    # Records of no specimen of ours.
    [foreign_id] = seed(fresh, "SOMEONE-ELSE")
    [keyless_id] = seed(fresh, "x", keyword=False, alternate="https://zenodo.org/records/1")
    server = _server(fresh)
    _as(ledger, "OK", State.PUBLISHED, ok_id, server[ok_id]["doi"])
    _as(ledger, "NEVER-THERE", State.PUBLISHED, 9_999_999, "10.5072/zenodo.9999999")
    _as(ledger, "DELETED", State.VERIFIED, deleted_id, server[deleted_id]["doi"])
    _as(ledger, "OUTSIDE", State.PUBLISHED, outside_id, server[outside_id]["doi"])
    _as(ledger, "NOT-YET", State.NEW)
    fresh.admin.delete_record(deleted_id)

    report = reconcile(C, _full(hook), ledger=ledger, hook=hook, owner=OWNER,
                       actor={"run": "r1"}, grace_seconds=0)

    assert [v["key"] for v in report.verified] == ["OK"]
    adopted = {a["key"]: a for a in report.adopted}
    assert set(adopted) == {*lost, "TWICE"}
    assert adopted["TWICE"]["record_id"] == str(min(dup_ids))
    assert adopted["LOST-FAILED"]["from_state"] == "FAILED"
    assert [r["key"] for r in report.requeued] == ["NEVER-THERE"]
    assert report.requeued[0]["status"] == 404
    assert [(d["key"], d["status"]) for d in report.deleted] == [("DELETED", 410)]
    assert [m["key"] for m in report.missing_from_community] == ["OUTSIDE"]
    assert [d["key"] for d in report.duplicates] == ["TWICE"]
    assert report.duplicates[0]["dois"] == [server[i]["doi"] for i in sorted(dup_ids)]
    assert sorted(f["record_id"] for f in report.foreign) == sorted(
        [str(foreign_id), str(keyless_id)])
    assert report.demoted == [] and report.errors == [] and report.busy == []
    assert report.differences == 1 + 4 + 1 + 1 + 1 + 1 + 2
    assert report.watermark is not None

    for key, record_id in lost_ids.items():
        row = ledger.get(C, key)
        assert (row.state, row.record_id, row.doi) == (
            State.VERIFIED, str(record_id), server[record_id]["doi"])
        assert row.concept_doi == server[record_id]["conceptdoi"]
    assert ledger.get(C, "OK").state == State.VERIFIED
    for key in ("NEVER-THERE", "DELETED"):
        row = ledger.get(C, key)
        assert (row.state, row.record_id, row.doi) == (State.NEW, None, None)
        assert not any(f.uploaded for f in row.files)
    assert ledger.get(C, "OUTSIDE").state == State.PUBLISHED  # not re-queued
    assert ledger.get(C, "NOT-YET").state == State.NEW
    assert ledger.get_watermarks(C).harvest == report.watermark
    details = [e.detail for e in ledger.events(C, "TWICE") if e.detail]
    assert any(d.get("reconcile") == "duplicate" and len(d["dois"]) == 2 for d in details)
    assert any(d.get("reconcile") == "missing_from_community"
               for d in (e.detail or {} for e in ledger.events(C, "OUTSIDE")))
    assert ledger.events(C, "DELETED")[-1].detail["reconcile"] == "deleted"
    assert ledger.events(C, "OK")[-1].actor == {"run": "r1"}
    assert all(r.lease_owner is None for r in ledger.rows(C))
    events_before = len(ledger.events(C))

    again = reconcile(C, _full(hook), ledger=ledger, hook=hook, owner=OWNER, grace_seconds=0)
    assert again.differences == 0, again.as_dict()
    assert again.known_findings == 4  # the duplicate, two foreign records, OUTSIDE
    assert len(ledger.events(C)) == events_before
    assert len(_server(fresh)) == len(server)  # nothing was deleted or created on Zenodo

    # The next upload run publishes the re-queued specimens; a reconcile then verifies them.
    _upload(ledger, hook, ["NEVER-THERE", "DELETED"], tmp_path)
    third = reconcile(C, _full(hook), ledger=ledger, hook=hook, owner=OWNER, grace_seconds=0)
    assert sorted(v["key"] for v in third.verified) == ["DELETED", "NEVER-THERE"]
    assert third.differences == 2
    assert reconcile(C, _full(hook), ledger=ledger, hook=hook, owner=OWNER,
                     grace_seconds=0).differences == 0
    ledger.dispose()


def _upload(ledger: Ledger, hook: ZenodoHook, keys: list[str], folder: Path) -> None:
    path = folder / FILE["name"]
    path.write_bytes(IMAGE)

    def payload_for(key: str) -> SpecimenPayload:
        metadata = specimen_metadata(key)
        metadata["communities"] = [{"identifier": "herb"}]
        return SpecimenPayload(key, metadata, (FileSpec(path, FILE["name"], FILE["size"],
                                                        FILE["md5"]),),
                               specimen_search_query(key))

    result = publish_specimens(C, keys, hook=hook, ledger=ledger, payload_for=payload_for,
                               settings=EngineSettings(concurrency=2, lookup_waits=(0.1,)))
    assert result.failures == [], result.as_dict()
    assert {ledger.get(C, k).state for k in keys} == {State.PUBLISHED}


def test_absence_waits_for_the_grace_period_and_feed_lag_only_demotes(
    fresh: SandboxProcess, hook: ZenodoHook, sqlite_url: str
) -> None:
    ledger = _ledger(sqlite_url)
    fresh.admin.set_delays(oai=3600)  # the feed lags: neither record shows yet
    [fresh_id] = seed(fresh, "JUST-PUBLISHED")
    [seen_id] = seed(fresh, "SEEN-BEFORE")
    server = _server(fresh)
    _as(ledger, "JUST-PUBLISHED", State.PUBLISHED, fresh_id, server[fresh_id]["doi"])
    _as(ledger, "SEEN-BEFORE", State.VERIFIED, seen_id, server[seen_id]["doi"])

    harvest = _full(hook)
    assert harvest.records == ()
    fresh.admin.clear_requests()
    report = reconcile(C, harvest, ledger=ledger, hook=hook, owner=OWNER, grace_seconds=600,
                       now=datetime.now(UTC) + timedelta(seconds=1))

    assert ledger.get(C, "JUST-PUBLISHED").state == State.PUBLISHED
    assert sorted(report.pending) == ["JUST-PUBLISHED", "SEEN-BEFORE"]
    # SEEN-BEFORE was verified long ago (past the grace): the records API shows it in the
    # community, so it is only demoted (the feed lags), never re-queued.
    later = reconcile(C, harvest, ledger=ledger, hook=hook, owner=OWNER, grace_seconds=600,
                      now=datetime.now(UTC) + timedelta(hours=2))
    assert [d["key"] for d in report.demoted + later.demoted] == ["SEEN-BEFORE"]
    assert later.requeued == [] and later.missing_from_community == []
    assert ledger.get(C, "SEEN-BEFORE").state == State.PUBLISHED
    assert ledger.get(C, "SEEN-BEFORE").record_id == str(seen_id)
    ledger.dispose()


def test_an_incremental_harvest_adopts_but_never_judges_absence(
    fresh: SandboxProcess, hook: ZenodoHook, sqlite_url: str
) -> None:
    ledger = _ledger(sqlite_url)
    _as(ledger, "GONE?", State.PUBLISHED, 9_999_998, "10.5072/zenodo.9999998")
    _as(ledger, "LATE", State.FAILED)
    harvester = Harvester(hook, HarvestOptions(overlap=timedelta(seconds=0)))
    first = reconcile(C, harvester.harvest_since("herb", None), ledger=ledger, hook=hook,
                      owner=OWNER, grace_seconds=0)
    assert [r["key"] for r in first.requeued] == ["GONE?"]

    _as(ledger, "GONE-TOO", State.PUBLISHED, 9_999_997, "10.5072/zenodo.9999997")
    [late_id] = seed(fresh, "LATE")
    seed(fresh, "STRANGER")
    delta = harvester.harvest_since("herb", ledger.get_watermarks(C).harvest)
    assert not delta.complete
    report = reconcile(C, delta, ledger=ledger, hook=hook, owner=OWNER, grace_seconds=0)

    assert [(a["key"], a["record_id"]) for a in report.adopted] == [("LATE", str(late_id))]
    assert [f["key"] for f in report.foreign] == ["STRANGER"]
    assert report.requeued == [] and report.resolved == []
    assert ledger.get(C, "GONE-TOO").state == State.PUBLISHED
    assert ledger.get_watermarks(C).harvest == delta.response_date
    ledger.dispose()


def test_specimens_leased_by_a_worker_are_left_for_next_time(
    fresh: SandboxProcess, hook: ZenodoHook, sqlite_url: str
) -> None:
    ledger = _ledger(sqlite_url)
    seed(fresh, "BUSY")
    _as(ledger, "BUSY", State.NEW)
    ledger.claim(C, ["BUSY"], owner="upload-worker", ttl_s=600)
    before = ledger.get_watermarks(C).harvest

    report = reconcile(C, _full(hook), ledger=ledger, hook=hook, owner=OWNER, grace_seconds=0)

    assert report.busy == ["BUSY"] and report.adopted == []
    assert ledger.get(C, "BUSY").state == State.NEW
    assert ledger.get(C, "BUSY").lease_owner == "upload-worker"
    assert ledger.get_watermarks(C).harvest == before  # the delta must be seen again
    ledger.dispose()


def test_a_new_version_is_adopted_not_flagged_as_a_duplicate(sqlite_url: str) -> None:
    ledger = _ledger(sqlite_url)
    _as(ledger, "V", State.UNKNOWN)
    rows = {r.key: r for r in ledger.rows(C)}
    # "9" < "12" < "13" as numbers, not as text: the oldest deposit is 9's concept.
    versions = [HarvestedRecord(rid, f"10.5072/zenodo.{rid}", "10.5072/zenodo.8",
                                "2025-01-01T00:00:00Z", False, "V") for rid in ("9", "13")]
    other = HarvestedRecord("12", "10.5072/zenodo.12", "10.5072/zenodo.12",
                            "2025-01-01T00:00:00Z", False, "V")

    one_concept = plan(rows, versions, complete=True, now=datetime.now(UTC),
                       grace=timedelta(0))
    assert one_concept.findings == {}
    assert [(a.kind, a.record.record_id) for a in one_concept.actions] == [("adopt", "13")]

    two_concepts = plan(rows, [*versions, other], complete=True, now=datetime.now(UTC),
                        grace=timedelta(0))
    assert list(two_concepts.findings) == [("duplicate", "V")]
    duplicate = two_concepts.findings[("duplicate", "V")]
    assert duplicate["kept_record_id"] == "13"
    assert [r["record_id"] for r in duplicate["records"]] == ["9", "12", "13"]
    assert [a.record.record_id for a in two_concepts.actions] == ["13"]
    ledger.dispose()


def test_invenio_rdm_ids_are_verified_and_adopted_as_text(sqlite_url: str) -> None:
    ledger = _ledger(sqlite_url)
    _as(ledger, "RDM-OK", State.PUBLISHED, "abcde-12345", "10.1234/abcde-12345")
    _as(ledger, "RDM-LOST", State.UNKNOWN)
    rows = {r.key: r for r in ledger.rows(C)}
    seen = [HarvestedRecord(rid, f"10.1234/{rid}", None, "2025-01-01T00:00:00Z", False, key)
            for rid, key in (("abcde-12345", "RDM-OK"), ("fghij-67890", "RDM-LOST"))]

    result = plan(rows, seen, complete=True, now=datetime.now(UTC), grace=timedelta(0))

    assert [(a.kind, a.key, a.record.record_id) for a in result.actions] == [
        ("adopt", "RDM-LOST", "fghij-67890"), ("verify", "RDM-OK", "abcde-12345")]
    assert result.findings == {}
    ledger.dispose()


def test_report_as_dict_counts_every_list(
    fresh: SandboxProcess, hook: ZenodoHook, sqlite_url: str
) -> None:
    ledger = _ledger(sqlite_url)
    seed(fresh, "ALONE")
    fresh.admin.clear_requests()
    data = reconcile(C, _full(hook), ledger=ledger, hook=hook, owner=OWNER).as_dict()
    assert data["counts"]["foreign"] == 1 and data["differences"] == 1
    assert data["collection"] == C and data["community"] == "herb" and data["complete"]
    assert len(oai_requests(fresh)) == 1
    ledger.dispose()


def test_the_newest_invenio_rdm_version_is_the_last_updated_not_the_largest_id(
    sqlite_url: str,
) -> None:
    ledger = _ledger(sqlite_url)
    _as(ledger, "RDM-V", State.UNKNOWN)
    rows = {r.key: r for r in ledger.rows(C)}
    versions = [HarvestedRecord(rid, f"10.1234/{rid}", "10.1234/parent-1", stamp, False, "RDM-V")
                for rid, stamp in (("zzzzz-00001", "2025-01-01T00:00:00Z"),
                                   ("aaaaa-00002", "2025-03-01T00:00:00Z"))]
    result = plan(rows, versions, complete=True, now=datetime.now(UTC), grace=timedelta(0))
    assert [(a.kind, a.record.record_id) for a in result.actions] == [("adopt", "aaaaa-00002")]
    ledger.dispose()

