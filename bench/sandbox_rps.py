"""Measure how many simple requests/s the sandbox serves to 16 concurrent clients.

Run: ``.venv/bin/python bench/sandbox_rps.py [--seconds 10] [--clients 16]``. Starts the
sandbox (no faults, no limits, warnings-only logging by default), seeds a few records, then
each client thread loops on ``GET /api/records/<id>`` and
``GET /api/deposit/depositions/<id>`` over a keep-alive session. Prints one table row.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import requests

from zenodo_sandbox.testing import SandboxProcess


def client(url: str, headers: dict[str, str], paths: list[str], stop: float,
           counts: list[int], latencies: list[float], errors: list[int]) -> None:
    """Loop on simple GETs until ``stop``; record counts, latencies and errors."""
    session = requests.Session()
    session.headers.update(headers)
    done = failed = 0
    while time.perf_counter() < stop:
        started = time.perf_counter()
        response = session.get(url + paths[done % len(paths)], timeout=30)
        latencies.append(time.perf_counter() - started)
        done += 1
        failed += response.status_code != 200
    counts.append(done)
    errors.append(failed)


def main() -> None:
    """Run the benchmark and print the result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--log-level", default="warning",
                        help="server log level; info logs one line per request")
    args = parser.parse_args()
    with SandboxProcess(limits_profile="none", extra_args=["--log-level", args.log_level]) as box:
        ids = box.admin.seed(5, owner=box.user)["ids"]
        paths = [p for i in ids for p in (f"/api/records/{i}", f"/api/deposit/depositions/{i}")]
        counts: list[int] = []
        latencies: list[float] = []
        errors: list[int] = []
        stop = time.perf_counter() + args.seconds
        threads = [threading.Thread(target=client, args=(box.url, box.headers(), paths, stop,
                                                         counts, latencies, errors))
                   for _ in range(args.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    total = sum(counts)
    latencies.sort()
    print(f"{'clients':>8} {'seconds':>8} {'requests':>9} {'errors':>7} {'req/s':>8} "
          f"{'p50 ms':>7} {'p99 ms':>7}")
    print(f"{args.clients:>8} {elapsed:>8.1f} {total:>9} {sum(errors):>7} "
          f"{total / elapsed:>8.0f} {statistics.median(latencies) * 1000:>7.1f} "
          f"{latencies[int(len(latencies) * 0.99)] * 1000:>7.1f}")


if __name__ == "__main__":
    main()
