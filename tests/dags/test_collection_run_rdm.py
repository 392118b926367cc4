"""The collection DAG over the InvenioRDM records API (``extra.protocol: rdm``).

The same runs and the same assertions as over the deposit API: exactly one record per valid
specimen (read back from the sandbox), quarantine with reasons, the report equal to what the
sandbox holds, and every record confirmed by reconciliation from the community's feed.
"""

from __future__ import annotations

from typing import Any

from tests.dags.conftest import COMMUNITY, RunEnv, task_states
from tests.dags.test_collection_run import (
    FAULTS,
    assert_published_exactly_once,
    assert_quarantined_with_reasons,
    online_dois,
    report_of,
)


def test_rdm_sample_is_published_once_reconciled_and_reported(
    run_env: Any, sqlite_url: str
) -> None:
    env: RunEnv = run_env(100, sqlite_url, protocol="rdm")
    run = env.run()
    assert str(run.state) == "success", task_states(run)
    assert_published_exactly_once(env)
    assert_quarantined_with_reasons(env)
    records = env.sandbox.admin.records(community=COMMUNITY)
    report = report_of(env, run)
    assert report["online"] == len(records) == len(env.sample.valid_keys)
    assert report["counts"]["VERIFIED"] == len(records), "reconciliation confirmed every record"
    assert online_dois(env, run) == {r["doi"] for r in records}
    paths = {r["path"] for r in env.sandbox.admin.requests()["requests"]}
    assert not [p for p in paths if p.startswith("/api/deposit/")], "RDM API only"


def test_rdm_run_with_faults_gives_the_same_outcome(run_env: Any, postgres_url: str) -> None:
    env: RunEnv = run_env(60, postgres_url, retries=4, protocol="rdm")
    env.sandbox.admin.set_delays(deposit=0.3)
    env.sandbox.admin.set_faults(FAULTS)
    run = env.run(concurrency=6)
    assert str(run.state) == "success", task_states(run)
    assert sum(env.sandbox.admin.faults()["injected"].values()) > 0
    env.sandbox.admin.set_faults(None)  # the checks read the public API too
    assert_published_exactly_once(env)
    assert_quarantined_with_reasons(env)
    assert report_of(env, run)["online"] == len(env.sandbox.admin.records(community=COMMUNITY))


def test_a_deposit_mapping_on_an_rdm_connection_fails_before_anything_is_sent(
    run_env: Any, sqlite_url: str
) -> None:
    env: RunEnv = run_env(10, sqlite_url, protocol="rdm")
    run = env.run(mapping="pilot1")
    assert task_states(run)[("prepare", -1)] == "failed"
    sent = env.sandbox.admin.requests()["requests"]
    assert [r for r in sent if r["method"] != "GET"] == [], "nothing written"
    assert not any(env.ledger.counts(env.dag.dag_id).values()), "nothing mapped"
