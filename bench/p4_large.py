"""P4: one large file: memory stays flat and speed is close to a plain streaming PUT.

A 2 GB sparse TIFF is sent by :meth:`ZenodoHook.upload_file` (streamed, md5 checked, as the
engine sends it) and by a plain ``requests.put``, alternately, ``ROUNDS`` times each, each in a
fresh child process reporting its peak RSS (``VmHWM``); the fastest of each is compared. The
sandbox keeps the uploads in memory, so disk write-back does not blur the comparison.

Child mode: ``python -m bench.p4_large --child ours|plain BUCKET_URL PATH NAME``
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.common import Row, Sizes, at_least, at_most, connection_json, start_sandbox

CONN_ID = "zenodo_bench_p4"
RSS_LIMIT_MB = 150.0
ROUNDS = 3
#: Where the sandbox keeps the uploads when it exists: memory, so the two clients are
#: compared on the HTTP path and not on this machine's disk write-back.
MEMORY_FS = pathlib.Path("/dev/shm")  # noqa: S108 (a private mkdtemp folder is made in it)


def make_sparse_tiff(path: pathlib.Path, size: int) -> None:
    """Write a little-endian TIFF header and extend the file to ``size`` bytes (a hole)."""
    with path.open("wb") as handle:
        handle.write(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0))
        handle.truncate(size)


def peak_rss_kb() -> int:
    """This process's peak resident set, from ``/proc/self/status`` (``VmHWM``)."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def _child(mode: str, bucket: str, path: str, name: str) -> dict[str, Any]:
    """Upload once in this process; return seconds and peak RSS (before and after)."""
    if mode == "ours":
        from zenodo.hooks.zenodo import ZenodoHook
        from zenodo.source.hashing_reader import file_md5

        hook = ZenodoHook(CONN_ID)
        hook.session()
        md5 = file_md5(path)  # the prepare step's work: the payload carries each file's md5
        before = peak_rss_kb()
        started = time.monotonic()
        hook.upload_file(bucket, path, filename=name, md5=md5)
    else:
        import requests

        headers = {"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}",
                   "Content-Type": "application/octet-stream"}
        before = peak_rss_kb()
        started = time.monotonic()
        with open(path, "rb") as handle:
            requests.put(f"{bucket}/{name}", data=handle, headers=headers,
                         timeout=600).raise_for_status()
    return {"seconds": time.monotonic() - started, "peak_kb": peak_rss_kb(),
            "before_kb": before}


def _spawn(mode: str, bucket: str, path: pathlib.Path, name: str,
           env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.p4_large", "--child", mode, bucket, str(path), name]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"P4 {mode} upload failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Upload the file ``ROUNDS`` times each way; compare speed and our peak RSS."""
    folder = work / "p4"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "specimen.tif"
    make_sparse_tiff(path, sizes.p4_bytes)
    store = _memory_folder()
    sandbox = start_sandbox(extra_args=["--quota-bytes", str(sizes.p4_bytes * 4)],
                            data_dir=store)
    try:
        env = {**os.environ, "BENCH_TOKEN": sandbox.token,
               f"AIRFLOW_CONN_{CONN_ID.upper()}": connection_json(sandbox, read_timeout=600)}
        deposition = sandbox_deposition(sandbox.url, sandbox.headers())
        bucket = deposition["links"]["bucket"]
        timings: dict[str, list[dict[str, Any]]] = {"plain": [], "ours": []}
        for round_ in range(ROUNDS):
            for mode in ("plain", "ours") if round_ % 2 == 0 else ("ours", "plain"):
                name = f"{mode}{round_}.tif"
                timings[mode].append(_spawn(mode, bucket, path, name, env))
                delete_file(f"{bucket}/{name}", sandbox.headers())
        plain, ours = timings["plain"], timings["ours"]
    finally:
        sandbox.stop()
        path.unlink(missing_ok=True)
        if store is not None:
            shutil.rmtree(store, ignore_errors=True)
    return stream_rows("P4 large-file MB/s vs plain PUT", "P4 peak RSS of uploading process",
                       sizes.p4_bytes / 1e6, plain, ours, limit_mb=RSS_LIMIT_MB,
                       what="sparse TIFF", plain_name="plain PUT")


def stream_rows(rate_label: str, rss_label: str, mb: float, plain: list[dict[str, Any]],
                ours: list[dict[str, Any]], *, limit_mb: float, what: str,
                plain_name: str) -> list[Row]:
    """The two rows of a streaming bench (P4, P8): our best MB/s against the plain pipe's best
    in the same run (target 0.8), and our uploading process's peak RSS against ``limit_mb``.

    :param plain: the plain pipe's rounds, ``ours`` ours: ``seconds``, ``peak_kb``,
        ``before_kb`` (RSS before the upload: the imports) each.
    """
    best_plain = min(r["seconds"] for r in plain)
    best_ours = min(r["seconds"] for r in ours)
    peak_mb = max(r["peak_kb"] for r in ours) / 1024
    before_mb = max(r["before_kb"] for r in ours) / 1024
    plain_mb = max(r["peak_kb"] for r in plain) / 1024
    return [
        at_least(rate_label, mb / best_ours, mb / best_plain, "MB/s", 0.8,
                 f"{mb:,.0f} MB {what}; best of {len(ours)}: ours {best_ours:.1f} s, "
                 f"{plain_name} {best_plain:.1f} s"),
        at_most(rss_label, peak_mb, limit_mb, "MB",
                f"{before_mb:.0f} MB before the upload (imports); {plain_name} process "
                f"{plain_mb:.0f} MB"),
    ]


def _memory_folder() -> pathlib.Path | None:
    """A fresh folder on the memory file system, if this machine has one."""
    if not MEMORY_FS.is_dir():
        return None
    return pathlib.Path(tempfile.mkdtemp(prefix="bench-p4-", dir=MEMORY_FS))


def delete_file(url: str, headers: dict[str, str]) -> None:
    """Delete an uploaded file from the draft's bucket, so the next upload has the room."""
    import requests

    requests.delete(url, headers=headers, timeout=60).raise_for_status()


def sandbox_deposition(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """Create an empty draft on the sandbox (outside the timed uploads)."""
    import requests

    response = requests.post(f"{url}/api/deposit/depositions", json={}, headers=headers,
                             timeout=30)
    response.raise_for_status()
    return response.json()


def main() -> None:
    """Child mode: upload once and print one JSON line."""
    parser = argparse.ArgumentParser(description="P4 upload child")
    parser.add_argument("--child", choices=["ours", "plain"], required=True)
    parser.add_argument("bucket")
    parser.add_argument("path")
    parser.add_argument("name")
    args = parser.parse_args()
    print(json.dumps(_child(args.child, args.bucket, args.path, args.name)), flush=True)


if __name__ == "__main__":
    main()
