"""Each injected fault: what the client sees versus what the server really holds."""

from __future__ import annotations

import os
import time

import pytest
import requests

from zenodo_sandbox.testing import SandboxProcess

BROKEN = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)


def test_commit_then_fail_on_publish_gives_504_html_but_the_record_is_published(
        sandbox, api, deposit):
    dep = deposit()
    sandbox.admin.set_faults({"kinds": {"publish": {"commit_then_fail": 1.0,
                                                    "commit_fail_mode": "gateway"}}})
    response = api.post(dep["links"]["publish"])
    assert response.status_code == 504
    assert response.headers["Content-Type"].startswith("text/html")
    [record] = sandbox.admin.records()
    assert record["id"] == dep["id"] and record["doi"] == f"10.5072/zenodo.{dep['id']}"
    sandbox.admin.set_faults(None)
    assert api.get(dep["links"]["self"]).json()["state"] == "done"
    assert api.post(dep["links"]["publish"]).status_code == 404  # re-publish is not success


def test_commit_then_fail_drop_on_create_breaks_the_connection_but_the_draft_exists(
        sandbox, api):
    sandbox.admin.set_faults({"kinds": {"create": {"commit_then_fail": 1.0,
                                                   "commit_fail_mode": "drop"}}})
    with pytest.raises(BROKEN):
        api.post(f"{sandbox.url}/api/deposit/depositions", json={"metadata": {"title": "x"}})
    assert sandbox.admin.counts()["by_state"] == {"unsubmitted": 1}
    assert sandbox.admin.requests(kind="create")["requests"][-1]["status"] == 599


def test_reset_mid_upload_fails_the_client_and_stores_nothing(sandbox, api, deposit):
    dep = deposit(files={})
    sandbox.admin.set_faults({"kinds": {"file_put": {"reset_upload": 1.0}}})
    body = os.urandom(4 * 1024 * 1024)
    with pytest.raises(BROKEN):
        api.put(f"{dep['links']['bucket']}/big.bin", data=body)
    assert sandbox.admin.deposition(dep["id"])["files"] == []
    assert os.listdir(sandbox.data_dir / "files") == []
    assert sandbox.admin.faults()["injected"]["reset_upload"] == 1


def test_error_rate_answers_5xx_before_doing_the_work(sandbox, api):
    sandbox.admin.set_faults({"kinds": {"create": {"error_rate": 1.0, "error_statuses": [502]},
                                        "list": {"error_rate": 1.0, "error_statuses": [500]}}})
    bad_gateway = api.post(f"{sandbox.url}/api/deposit/depositions", json={})
    assert bad_gateway.status_code == 502 and "<html>" in bad_gateway.text
    crashed = api.get(f"{sandbox.url}/api/deposit/depositions")
    assert crashed.status_code == 500
    assert crashed.json()["status"] == 500 and crashed.json()["error_id"]
    assert sandbox.admin.counts()["total"] == 0


def test_an_injected_404_answers_as_for_an_unknown_id_and_changes_nothing(
        sandbox, api, deposit):
    # The body is the one the sandbox gives for an id it does not hold (the PID resolver's
    # "The persistent identifier does not exist."), so a client cannot tell them apart.
    dep = deposit()
    sandbox.admin.set_faults({"kinds": {"get": {"error_rate": 1.0, "error_statuses": [404]},
                                        "publish": {"error_rate": 1.0,
                                                    "error_statuses": [404]}}})
    injected = api.get(dep["links"]["self"])
    published = api.post(dep["links"]["publish"])
    sandbox.admin.set_faults(None)
    unknown = api.get(f"{sandbox.url}/api/deposit/depositions/999999")
    assert injected.status_code == published.status_code == unknown.status_code == 404
    assert injected.json() == published.json() == unknown.json()
    assert sandbox.admin.deposition(dep["id"])["submitted"] is False  # the publish was not done


def test_a_404_for_a_request_that_names_no_deposition_is_refused(sandbox):
    for kind in ("create", "*"):
        response = requests.put(
            f"{sandbox.url}/admin/faults",
            json={"kinds": {kind: {"error_rate": 0.1, "error_statuses": [404]}}},
            headers={"Authorization": f"Bearer {sandbox.admin_token}"}, timeout=10)
        assert response.status_code == 400
        assert f"faults.kinds.{kind}.error_statuses: 404" in response.json()["message"]


def test_outage_answers_503_to_everything_until_it_ends(sandbox, api):
    sandbox.admin.outage(1.5)
    urls = [f"{sandbox.url}/api/deposit/depositions", f"{sandbox.url}/api/records",
            f"{sandbox.url}/oai2d?verb=Identify"]
    assert [api.get(u).status_code for u in urls] == [503, 503, 503]
    assert api.post(urls[0], json={}).status_code == 503
    time.sleep(1.6)
    assert [api.get(u).status_code for u in urls] == [200, 200, 200]
    assert sandbox.admin.counts()["total"] == 0


def test_latency_is_added_as_configured(sandbox, api):
    sandbox.admin.set_faults({"kinds": {"list": {"latency": 0.3, "jitter": 0.1}}})
    started = time.perf_counter()
    assert api.get(f"{sandbox.url}/api/deposit/depositions").status_code == 200
    elapsed = time.perf_counter() - started
    assert 0.3 <= elapsed < 1.0
    started = time.perf_counter()
    api.get(f"{sandbox.url}/api/records")
    assert time.perf_counter() - started < 0.25


def test_storm_answers_429_to_a_seeded_replayable_share(sandbox, api):
    url = f"{sandbox.url}/api/deposit/depositions"

    def run() -> list[int]:
        sandbox.admin.set_faults({"seed": 7, "storm": {"duration": 60, "fraction": 0.5}})
        return [api.get(url).status_code for _ in range(40)]

    first, second = run(), run()
    assert first == second
    assert 8 <= first.count(429) <= 32 and set(first) == {200, 429}
    assert sandbox.admin.requests(status=429)["counts"]["by_fault"]["storm"] >= 16


def test_faults_file_is_loaded_at_start():
    faults = {"seed": 1, "kinds": {"get": {"error_rate": 1.0, "error_statuses": [503]}}}
    with SandboxProcess(limits_profile="none", faults=faults) as box:
        assert requests.get(f"{box.url}/api/records/1", timeout=10).status_code == 503
        assert box.admin.faults()["kinds"]["get"]["error_rate"] == 1.0


def test_bad_fault_config_is_refused_with_a_clear_message(sandbox):
    response = requests.put(f"{sandbox.url}/admin/faults", json={"kinds": {"pubish": {}}},
                            headers={"Authorization": f"Bearer {sandbox.admin_token}"},
                            timeout=10)
    assert response.status_code == 400 and "pubish" in response.json()["message"]


def test_an_early_fault_answer_does_not_hang_a_large_upload(sandbox, api, deposit):
    dep = deposit(files={})
    sandbox.admin.set_faults({"kinds": {"file_put": {"error_rate": 1.0, "error_statuses": [503]}}})
    started = time.monotonic()
    answer = api.put(f"{dep['links']['bucket']}/big.bin", data=os.urandom(8 * 1024 * 1024),
                     timeout=20)
    assert answer.status_code == 503
    assert time.monotonic() - started < 10, "the body is drained, the answer arrives at once"
