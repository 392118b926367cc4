"""Sixteen concurrent clients run full upload cycles without a single error."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests


def test_sixteen_clients_publish_concurrently(sandbox, metadata):
    def cycle(worker: int) -> list[int]:
        session = requests.Session()
        session.headers.update(sandbox.headers("alice" if worker % 2 else "bob"))
        ids = []
        for n in range(3):
            meta = dict(metadata, title=f"Worker {worker} record {n}")
            dep = session.post(f"{sandbox.url}/api/deposit/depositions",
                               json={"metadata": meta}, timeout=30)
            assert dep.status_code == 201, dep.text
            links = dep.json()["links"]
            put = session.put(f"{links['bucket']}/f.txt", data=f"{worker}-{n}".encode(),
                              timeout=30)
            assert put.status_code == 201, put.text
            pub = session.post(links["publish"], timeout=30)
            assert pub.status_code == 202, pub.text
            assert session.get(f"{sandbox.url}/api/records/{dep.json()['id']}",
                               timeout=30).status_code == 200
            ids.append(dep.json()["id"])
        return ids

    with ThreadPoolExecutor(16) as pool:
        ids = [i for batch in pool.map(cycle, range(16)) for i in batch]
    assert len(set(ids)) == 48
    counts = sandbox.admin.counts()
    assert counts["by_state"] == {"done": 48}
    assert counts["by_owner"] == {"alice": {"done": 24}, "bob": {"done": 24}}
    statuses = sandbox.admin.requests()["counts"]["by_status"]
    assert set(statuses) == {"200", "201", "202"}
