"""State survives a restart of the server process."""

from __future__ import annotations

import requests


def test_depositions_files_and_records_survive_restart(sandbox_process, deposit, sandbox):
    published = deposit(files={"a.txt": b"alpha"}, publish=True)
    draft = deposit(files={"b.txt": b"beta"})
    sandbox.restart()
    headers = sandbox.headers()
    record = requests.get(f"{sandbox.url}/api/records/{published['id']}", timeout=10).json()
    assert record["doi"] == published["doi"]
    assert requests.get(record["files"][0]["links"]["self"], timeout=10).content == b"alpha"
    again = requests.get(f"{sandbox.url}/api/deposit/depositions/{draft['id']}",
                         headers=headers, timeout=10).json()
    assert again["files"][0]["filename"] == "b.txt"
    assert sandbox.admin.counts()["by_state"] == {"done": 1, "unsubmitted": 1}
    new = requests.post(f"{sandbox.url}/api/deposit/depositions", json={}, headers=headers,
                        timeout=10).json()
    assert new["id"] > draft["id"]
