"""Reconciliation adopts and verifies only our own records, never another account's look-alike.

A second sandbox account (``bob``) publishes records carrying our specimens' keys into our
community through the deposit API; the ledger (SQLite and PostgreSQL) belongs to ``alice``.
"""

from __future__ import annotations

import itertools
import pathlib
from collections.abc import Collection
from typing import Any

import pytest

from tests.zenodo.oai_helpers import make_hook, seed, specimen_metadata
from tests.zenodo.payload_factory import rdm_body_for
from zenodo.errors import ServerError
from zenodo.harvest.harvester import Harvester, HarvestOptions
from zenodo.harvest.records import HarvestedRecord
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo.reconcile.ownership import LOOKALIKE, sort_records
from zenodo.reconcile.reconciler import reconcile
from zenodo.repository.deposit_api import DepositApi
from zenodo.repository.ownership import OwnRecords
from zenodo.repository.rdm_api import RdmApi
from zenodo_sandbox.testing import SandboxProcess

C = "herbarium"
FILE = {"name": "image.txt", "size": 6, "md5": "0" * 32}
_files = itertools.count()


def _hook_of(sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch, user: str,
             **extra: Any) -> ZenodoHook:
    name = f"zenodo_{user}"
    monkeypatch.setenv(f"AIRFLOW_CONN_{name.upper()}",
                       sandbox.connection_json(user, rate_limit_profile="none", **extra))
    return ZenodoHook(name, backoff_max=0.2)


def _publish(hook: ZenodoHook, key: str, folder: pathlib.Path,
             communities: Collection[str] = ("herb",)) -> dict[str, Any]:
    """Publish a record of ``key`` with ``hook``'s token through the deposit API."""
    api = DepositApi(hook)
    metadata = {**specimen_metadata(key), "communities": [{"identifier": c}
                                                           for c in communities]}
    draft = api.create_deposition(metadata)
    path = folder / f"sheet-{next(_files)}.txt"
    path.write_bytes(f"{key}\n".encode())
    hook.upload_file(draft["links"]["bucket"], path)
    return api.publish(draft["id"])


def _as(ledger: Ledger, key: str, state: State, record: dict[str, Any] | None = None) -> None:
    ledger.register(C, key, metadata_hash=f"h-{key}", files=[FILE], mapping_name="m",
                    mapping_version=1, source_modified=None)
    if state == State.NEW:
        return
    ledger.claim(C, [key], owner="engine", ttl_s=60)
    if state == State.UNKNOWN:
        ledger.record_unknown(C, key, owner="engine", operation="publish", message="504")
    else:
        assert record is not None
        ledger.record_published(C, key, owner="engine", record_id=record["record_id"],
                                doi=record["doi"], concept_doi=record.get("conceptdoi"),
                                verified=state == State.VERIFIED)
    ledger.release(C, [key], owner="engine")


def _full(hook: ZenodoHook) -> Any:
    return Harvester(hook, HarvestOptions(restart_wait=0.0)).harvest("herb")


def test_look_alikes_of_another_account_are_findings_never_adopted_or_verified(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch, ledger: Ledger,
    tmp_path: pathlib.Path,
) -> None:
    ours = make_hook(monkeypatch, sandbox)  # alice: the ledger's account
    bob = _hook_of(sandbox, monkeypatch, "bob")
    # A NEW specimen of ours: only bob published its key.
    bob_new = _publish(bob, "LOOK-NEW", tmp_path)
    _as(ledger, "LOOK-NEW", State.NEW)
    # PUBLISHED by us, but outside the community: bob's look-alike is in it.
    [outside_id] = seed(sandbox, "LOOK-PUB", communities=())
    bob_pub = _publish(bob, "LOOK-PUB", tmp_path)
    _as(ledger, "LOOK-PUB", State.PUBLISHED,
        {"record_id": outside_id, "doi": f"10.5072/zenodo.{outside_id}"})
    # Our publish answer was lost; bob's look-alike is older (a lower record id).
    bob_both = _publish(bob, "LOOK-BOTH", tmp_path)
    ours_both = _publish(ours, "LOOK-BOTH", tmp_path)
    _as(ledger, "LOOK-BOTH", State.UNKNOWN)
    # Ours is in the feed and known; bob's look-alike too.
    ours_ver = _publish(ours, "LOOK-VER", tmp_path)
    bob_ver = _publish(bob, "LOOK-VER", tmp_path)
    _as(ledger, "LOOK-VER", State.PUBLISHED, ours_ver)
    bobs = {"LOOK-NEW": bob_new, "LOOK-PUB": bob_pub, "LOOK-BOTH": bob_both,
            "LOOK-VER": bob_ver}

    report = reconcile(C, _full(ours), ledger=ledger, hook=ours, owner="reconciler",
                       grace_seconds=0)

    assert [(a["key"], a["record_id"]) for a in report.adopted] == [
        ("LOOK-BOTH", str(ours_both["record_id"]))]
    assert [(v["key"], v["record_id"]) for v in report.verified] == [
        ("LOOK-VER", str(ours_ver["record_id"]))]
    assert report.duplicates == [], "a look-alike is no duplicate of ours"
    assert sorted((f["key"], f["record_id"], f["reason"]) for f in report.foreign) == sorted(
        (key, str(record["record_id"]), LOOKALIKE) for key, record in bobs.items())
    assert [m["key"] for m in report.missing_from_community] == ["LOOK-PUB"]
    assert report.errors == []

    new, pub = ledger.get(C, "LOOK-NEW"), ledger.get(C, "LOOK-PUB")
    assert (new.state, new.record_id) == (State.NEW, None)
    assert (pub.state, pub.record_id) == (State.PUBLISHED, str(outside_id)), "not re-pointed"
    assert ledger.get(C, "LOOK-BOTH").record_id == str(ours_both["record_id"])
    assert ledger.get(C, "LOOK-VER").state == State.VERIFIED
    assert any((e.detail or {}).get("reason") == LOOKALIKE
               for e in ledger.events(C, "LOOK-NEW")), "the specimen's history names it"

    again = reconcile(C, _full(ours), ledger=ledger, hook=ours, owner="reconciler",
                      grace_seconds=0)
    assert again.differences == 0, again.as_dict()
    assert {r["id"] for r in sandbox.admin.records(owner="bob")} == {
        r["record_id"] for r in bobs.values()}, "nothing of bob's was touched"


def test_our_record_the_search_does_not_list_yet_is_confirmed_by_reading_it(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch, ledger: Ledger,
    tmp_path: pathlib.Path,
) -> None:
    ours = make_hook(monkeypatch, sandbox)
    bob = _hook_of(sandbox, monkeypatch, "bob")
    sandbox.admin.set_delays(deposit=3600)  # the deposit search lags an hour behind
    mine = _publish(ours, "LAGGED", tmp_path)
    theirs = _publish(bob, "LAGGED-TOO", tmp_path)
    _as(ledger, "LAGGED", State.UNKNOWN)
    _as(ledger, "LAGGED-TOO", State.UNKNOWN)

    report = reconcile(C, _full(ours), ledger=ledger, hook=ours, owner="reconciler",
                       grace_seconds=0)

    assert [(a["key"], a["record_id"]) for a in report.adopted] == [
        ("LAGGED", str(mine["record_id"]))]
    assert [(f["key"], f["record_id"]) for f in report.foreign] == [
        ("LAGGED-TOO", str(theirs["record_id"]))]
    assert ledger.get(C, "LAGGED-TOO").state == State.UNKNOWN


def test_the_records_api_search_of_the_user_tells_rdm_records_apart(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path,
) -> None:
    key = "urn:catalog:HERB:00042"
    sheet = tmp_path / "sheet.jpg"
    sheet.write_bytes(b"\xff\xd8 a herbarium sheet \xff\xd9")
    ids = {}
    for user in ("alice", "bob"):
        api = RdmApi(_hook_of(sandbox, monkeypatch, user, protocol="rdm"))
        draft_id = api.create_draft(rdm_body_for(key, 42))["id"]
        api.declare_file(draft_id, sheet.name)
        api.put_file_content(draft_id, sheet.name, sheet, md5=None)
        api.commit_file(draft_id, sheet.name)
        ids[user] = str(api.publish_draft(draft_id)["id"])
    alice = _hook_of(sandbox, monkeypatch, "alice", protocol="rdm")
    assert OwnRecords(alice).among(key, list(ids.values())) == {ids["alice"]}
    bob = _hook_of(sandbox, monkeypatch, "bob", protocol="rdm")
    assert OwnRecords(bob).among(key, list(ids.values())) == {ids["bob"]}


class _FailingOwner:
    def among(self, key: str, record_ids: Collection[str]) -> set[str]:
        raise ServerError("search: HTTP 503", status=503, operation="search")


def test_when_ownership_cannot_be_told_the_record_is_left_for_next_time(
    sqlite_ledger: Ledger,
) -> None:
    _as(sqlite_ledger, "K", State.UNKNOWN)
    rows = {row.key: row for row in sqlite_ledger.rows(C)}
    record = HarvestedRecord("77", "10.5072/zenodo.77", None, "2026-01-01T00:00:00Z", False,
                             "K")
    stranger = HarvestedRecord("78", None, None, "2026-01-01T00:00:00Z", False, "NOT-OURS")
    found = sort_records(rows, [record, stranger], _FailingOwner())
    assert found.records == [stranger] and found.lookalikes == {}
    assert "ownership of records ['77'] unknown: search: HTTP 503" in found.unsure["K"]
    assert found.unsure_subjects == {"record:77"}
