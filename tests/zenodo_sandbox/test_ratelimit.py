"""Rate limits: headers on every answer, 429 with Retry-After, per token and per kind."""

from __future__ import annotations

import time

import requests

from zenodo_sandbox.testing import SandboxProcess


def test_limit_headers_on_every_answer_and_429_when_over(sandbox):
    sandbox.admin.set_limits({"api": "3/min,100/h"})
    url = f"{sandbox.url}/api/deposit/depositions"
    headers = sandbox.headers()
    answers = [requests.get(url, headers=headers, timeout=10) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a.headers["X-RateLimit-Limit"] == "3" for a in answers)
    over = answers[-1]
    assert over.json() == {"status": 429, "message": "3 per 1 minute"}
    reset = int(over.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61
    assert 0 < int(over.headers["Retry-After"]) <= 60


def test_limits_are_per_token_and_per_kind(sandbox):
    sandbox.admin.set_limits({"api": "2/min", "search": "1/min", "guest": "5/min"})
    dep_url = f"{sandbox.url}/api/deposit/depositions"
    for _ in range(2):
        assert requests.get(dep_url, headers=sandbox.headers(), timeout=10).status_code == 200
    assert requests.get(dep_url, headers=sandbox.headers(), timeout=10).status_code == 429
    assert requests.get(dep_url, headers=sandbox.headers("bob"), timeout=10).status_code == 200
    records = f"{sandbox.url}/api/records"
    assert requests.get(records, timeout=10).status_code == 200
    limited = requests.get(records, timeout=10)
    assert limited.status_code == 429 and limited.json()["message"] == "1 per 1 minute"
    assert requests.get(f"{records}/1", timeout=10).headers["X-RateLimit-Limit"] == "5"


def test_moving_window_frees_requests_after_the_window():
    with SandboxProcess(limits={"api": "2/2s"}) as box:
        url = f"{box.url}/api/deposit/depositions"
        codes = [requests.get(url, headers=box.headers(), timeout=10).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
        time.sleep(2.1)
        assert requests.get(url, headers=box.headers(), timeout=10).status_code == 200


def test_default_profile_uses_zenodo_numbers():
    with SandboxProcess() as box:
        api = requests.get(f"{box.url}/api/deposit/depositions", headers=box.headers(),
                           timeout=10)
        assert api.headers["X-RateLimit-Limit"] == "100"
        oai = requests.get(f"{box.url}/oai2d", params={"verb": "Identify"}, timeout=10)
        assert oai.headers["X-RateLimit-Limit"] == "30"
        assert box.admin.limits()["api"] == ["100 per 1 minute", "5000 per 1 hour"]
