"""The same engine over the InvenioRDM records API (``extra.protocol: rdm``).

Same exactly-once rules, same ledger states; every assertion reads what the sandbox holds
(its admin API and request log), then checks the ledger agrees record for record.
"""

from __future__ import annotations

import hashlib
import pathlib

import pytest

from tests.zenodo.engine.test_backfill import reregister
from tests.zenodo.engine_helpers import assert_server_and_ledger_agree, run_batch
from tests.zenodo.payload_factory import COLLECTION, rdm_body_for, register_specimens
from zenodo.harvest.harvester import Harvester
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore, SpecimenPayload
from zenodo.ledger.states import State
from zenodo.reconcile.reconciler import reconcile
from zenodo.repository.rdm_api import RdmApi
from zenodo.source.specimen import FileSpec
from zenodo_sandbox.testing import SandboxProcess, fault_mix

COMMUNITY = "rdm-test"


@pytest.fixture
def rdm_hook(sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> ZenodoHook:
    """A hook whose connection says ``protocol: rdm``."""
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_RDM", sandbox.connection_json(protocol="rdm"))
    return ZenodoHook("zenodo_rdm", backoff_max=0.5)


def test_one_file_record_takes_five_rdm_requests_and_no_deposit_request(
    sandbox: SandboxProcess, rdm_hook: ZenodoHook, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(sqlite_ledger, tmp_path, 10, schema="rdm")
    result = run_batch(sqlite_ledger, rdm_hook, keys)
    assert result.outcomes == {"published": 10}
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
    log = sandbox.admin.requests()
    assert log["total"] == 50, "create, declare, content, commit, publish per specimen"
    assert not [r for r in log["requests"] if "/api/deposit/" in r["path"]]
    record = RdmApi(rdm_hook).get_record(str(sqlite_ledger.get(COLLECTION, keys[0]).record_id))
    assert record["custom_fields"]["dwc:family"] == ["Fagaceae"]


def test_first_publication_asks_the_community_by_review_request(
    sandbox: SandboxProcess, rdm_hook: ZenodoHook, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(sqlite_ledger, tmp_path, 4, schema="rdm")
    result = run_batch(sqlite_ledger, rdm_hook, keys, community=COMMUNITY)
    assert result.outcomes == {"published": 4}
    assert_server_and_ledger_agree(sandbox, sqlite_ledger, keys)
    assert len(sandbox.admin.records(community=COMMUNITY)) == 4
    kinds = [r["path"].rsplit("/", 1)[-1] for r in sandbox.admin.requests()["requests"]]
    assert kinds.count("review") == 4 and kinds.count("submit-review") == 4
    assert kinds.count("publish") == 0
    assert sandbox.admin.requests()["total"] == 1 + 4 * 7, (
        "the community's id once, then 7 requests per record with a review")


def test_a_review_left_open_is_accepted_by_a_curator_token(
    sqlite_ledger: Ledger, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SandboxProcess(limits_profile="none", extra_args=["--review", "curator"]) as curated:
        monkeypatch.setenv("AIRFLOW_CONN_CURATED", curated.connection_json(protocol="rdm"))
        hook = ZenodoHook("curated", backoff_max=0.5)
        keys = register_specimens(sqlite_ledger, tmp_path, 3, schema="rdm")
        result = run_batch(sqlite_ledger, hook, keys, community=COMMUNITY)
        assert result.outcomes == {"published": 3}
        assert_server_and_ledger_agree(curated, sqlite_ledger, keys)
        assert len(curated.admin.records(community=COMMUNITY)) == 3
        accepts = [r for r in curated.admin.requests()["requests"]
                   if r["path"].endswith("/actions/accept")]
        assert len(accepts) == 3


def test_faults_on_rdm_end_published_exactly_once(
    sandbox: SandboxProcess, rdm_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    sandbox.admin.set_delays(deposit=0.5)  # the search index lags
    sandbox.admin.set_faults(fault_mix(seed=11, commit_then_fail=0.05))
    keys = register_specimens(ledger, tmp_path, 80, schema="rdm")
    run_batch(ledger, rdm_hook, keys)
    injected = sandbox.admin.faults()["injected"]
    assert injected.get("commit_then_fail_gateway", 0) + injected.get(
        "commit_then_fail_drop", 0) > 0
    sandbox.admin.set_faults(None)
    leftover = [k for k in keys if ledger.get(COLLECTION, k).state != State.PUBLISHED]
    if leftover:  # what failed past its retries is due again in the next run
        run_batch(ledger, rdm_hook, leftover)
    assert_server_and_ledger_agree(sandbox, ledger, keys)
    drafts = [d for d in sandbox.admin.depositions() if not d["submitted"]
              and d["state"] != "deleted"]
    assert drafts == [], "duplicate drafts of lost creates are deleted"


def test_rdm_backfill_edits_in_place_and_versions_changed_files(
    sandbox: SandboxProcess, rdm_hook: ZenodoHook, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    ledger = sqlite_ledger
    keys = register_specimens(ledger, tmp_path, 3, schema="rdm")
    run_batch(ledger, rdm_hook, keys)
    before = {k: ledger.get(COLLECTION, k) for k in keys}
    store = PayloadStore(ledger)
    edited, versioned = keys[0], keys[1]
    old = store.get(COLLECTION, edited)
    body = rdm_body_for(edited, 0, title_suffix=" [v2]")
    body["metadata"]["publication_date"] = "2030-01-01"  # an edit keeps the record's date
    assert reregister(ledger, SpecimenPayload(edited, body, old.files, old.search_query)) == (
        State.STALE)
    old = store.get(COLLECTION, versioned)
    scan = tmp_path / "rescanned.jpg"
    scan.write_bytes(b"a better scan" * 100)
    spec = FileSpec(scan, old.files[0].name, scan.stat().st_size,
                    hashlib.md5(scan.read_bytes(), usedforsecurity=False).hexdigest())
    assert reregister(ledger, SpecimenPayload(versioned, old.metadata, (spec,),
                                              old.search_query)) == State.STALE
    sandbox.admin.clear_requests()

    result = run_batch(ledger, rdm_hook, ledger.keys_needing_work(COLLECTION))
    assert result.outcomes == {"published": 2}
    published = {str(d["id"]): d for d in sandbox.admin.depositions() if d["submitted"]}
    assert len(published) == 4, "an edit makes no record; a new version makes one"
    row = ledger.get(COLLECTION, edited)
    assert (row.doi, row.record_id) == (before[edited].doi, before[edited].record_id)
    assert published[row.record_id]["metadata"]["title"].endswith("[v2]")
    assert published[row.record_id]["metadata"]["publication_date"] == "2026-11-24"
    row = ledger.get(COLLECTION, versioned)
    assert row.doi != before[versioned].doi
    assert row.concept_doi == before[versioned].concept_doi
    assert {f["key"]: f["md5"] for f in published[row.record_id]["files"]} == {
        spec.name: spec.md5}
    assert sandbox.admin.requests()["counts"]["by_kind"].get("create", 0) == 0


def test_an_invenio_rdm_repository_with_community_sets_is_reconciled(
    sqlite_ledger: Ledger, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-Zenodo repository: ``community-<slug>`` OAI sets; reconcile verifies every record."""
    with SandboxProcess(limits_profile="none",
                        extra_args=["--oai-set-prefix", "community-"]) as other:
        monkeypatch.setenv("AIRFLOW_CONN_OTHER_RDM", other.connection_json(
            protocol="rdm", oai_set_prefix="community-"))
        hook = ZenodoHook("other_rdm", backoff_max=0.5)
        keys = register_specimens(sqlite_ledger, tmp_path, 3, schema="rdm")
        assert run_batch(sqlite_ledger, hook, keys, community=COMMUNITY).outcomes == {
            "published": 3}
        harvester = Harvester(hook)
        assert harvester.set_spec(COMMUNITY) == f"community-{COMMUNITY}"
        harvest = harvester.harvest(COMMUNITY)
        assert harvest.complete and len(harvest.records) == 3
        report = reconcile(COLLECTION, harvest, ledger=sqlite_ledger, hook=hook, owner="test",
                           grace_seconds=0)
        assert len(report.verified) == 3 and not report.foreign and not report.duplicates
        assert {sqlite_ledger.get(COLLECTION, k).state for k in keys} == {State.VERIFIED}
