"""P8: one large image streamed from an S3-API store to the sandbox, against a plain pipe.

A 2 GB object (a sparse TIFF) is put into a real S3-API server process (moto's server mode).
It is sent to a sandbox draft by our upload path (``open_checked`` on the object through
Airflow's ObjectStoragePath and an ``aws`` connection, then :meth:`ZenodoHook.upload_file`:
one streamed GET, md5 and size checked on the way, the last piece held back until they are)
and by a plain ``requests`` GET → PUT pipe, alternately, each in a fresh child process that
reports its peak RSS (``VmHWM``). The sandbox keeps uploads in memory, like P4.

Not in the default run (``python -m bench --only p8``): the 2 GB object takes minutes to
put and to read, on both sides of each upload.

Child mode: ``python -m bench.p8_s3 --child ours|plain BUCKET_URL OBJECT_URL NAME SIZE MD5``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
from typing import Any

from bench.common import Row, Sizes, connection_json, start_sandbox
from bench.p4_large import _memory_folder as memory_folder
from bench.p4_large import (
    delete_file,
    make_sparse_tiff,
    peak_rss_kb,
    sandbox_deposition,
    stream_rows,
)
from tests.zenodo.source.s3_server import S3Server
from tests.zenodo.source.s3_server import connection_json as s3_connection_json

CONN_ID, S3_CONN_ID = "zenodo_bench_p8", "images_bench_p8"
BUCKET, KEY = "herbarium-images", "sheets/large.tif"
RSS_LIMIT_MB = 256.0  # flat: an eighth of the 2 GB object, whatever its size
ROUNDS = 2
PIECE = 1 << 20


class _Pipe:
    """A plain GET's body as a PUT body: ``read`` from the GET, ``len`` its Content-Length."""

    def __init__(self, response: Any) -> None:
        self._raw = response.raw
        self._size = int(response.headers["Content-Length"])

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(size if size and size > 0 else PIECE) or b""

    def __len__(self) -> int:
        return self._size


def _child(mode: str, bucket: str, url: str, name: str, size: int, md5: str) -> dict[str, Any]:
    """Send the object once in this process; return seconds and peak RSS (before and after)."""
    if mode == "ours":
        from zenodo.hooks.zenodo import ZenodoHook
        from zenodo.source.hashing_reader import open_checked
        from zenodo.source.image_http import RemoteFile
        from zenodo.source.specimen import FileSpec

        hook = ZenodoHook(CONN_ID)
        hook.session()
        spec = FileSpec(RemoteFile(url, S3_CONN_ID), name, size, md5)  # as prepared
        before = peak_rss_kb()
        started = time.monotonic()
        with open_checked(spec) as body:
            hook.upload_file(bucket, body, filename=name, md5=md5)
    else:
        import requests

        headers = {"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}",
                   "Content-Type": "application/octet-stream"}
        source = os.environ["BENCH_S3_URL"] + "/" + url.removeprefix("s3://")
        before = peak_rss_kb()
        started = time.monotonic()
        with requests.get(source, stream=True, timeout=600) as got:
            got.raise_for_status()
            requests.put(f"{bucket}/{name}", data=_Pipe(got), headers=headers,
                         timeout=600).raise_for_status()
    return {"seconds": time.monotonic() - started, "peak_kb": peak_rss_kb(),
            "before_kb": before}


def _spawn(mode: str, bucket: str, name: str, size: int, md5: str,
           env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.p8_s3", "--child", mode, bucket,
               f"s3://{BUCKET}/{KEY}", name, str(size), md5]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"P8 {mode} upload failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _file_md5(path: pathlib.Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while piece := handle.read(8 * PIECE):
            digest.update(piece)
    return digest.hexdigest()


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Stream the object ``ROUNDS`` times each way; compare speed and our peak RSS."""
    size = sizes.p8_bytes
    folder = work / "p8"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "large.tif"
    make_sparse_tiff(path, size)
    md5 = _file_md5(path)
    store = memory_folder()
    sandbox = start_sandbox(extra_args=["--quota-bytes", str(size * 4)], data_dir=store)
    try:
        with S3Server() as s3:
            client = s3.client()
            client.create_bucket(Bucket=BUCKET)
            client.upload_file(str(path), BUCKET, KEY)
            path.unlink()
            env = {**os.environ, "BENCH_TOKEN": sandbox.token, "BENCH_S3_URL": s3.url,
                   f"AIRFLOW_CONN_{CONN_ID.upper()}": connection_json(sandbox, read_timeout=600),
                   f"AIRFLOW_CONN_{S3_CONN_ID.upper()}": s3_connection_json(s3.url)}
            bucket = sandbox_deposition(sandbox.url, sandbox.headers())["links"]["bucket"]
            timings: dict[str, list[dict[str, Any]]] = {"plain": [], "ours": []}
            for round_ in range(ROUNDS):
                for mode in ("plain", "ours") if round_ % 2 == 0 else ("ours", "plain"):
                    name = f"{mode}{round_}.tif"
                    timings[mode].append(_spawn(mode, bucket, name, size, md5, env))
                    delete_file(f"{bucket}/{name}", sandbox.headers())
    finally:
        sandbox.stop()
        path.unlink(missing_ok=True)
        if store is not None:
            shutil.rmtree(store, ignore_errors=True)
    return stream_rows("P8 S3 image MB/s vs plain GET->PUT", "P8 peak RSS of S3 uploading process",
                       size / 1e6, timings["plain"], timings["ours"], limit_mb=RSS_LIMIT_MB,
                       what="object on moto's S3 server", plain_name="plain pipe")


def main(argv: list[str] | None = None) -> int:
    """Child mode only (the benchmark is run by ``python -m bench --only p8``)."""
    parser = argparse.ArgumentParser(prog="python -m bench.p8_s3")
    parser.add_argument("--child", nargs=6, required=True,
                        metavar=("MODE", "BUCKET_URL", "OBJECT_URL", "NAME", "SIZE", "MD5"))
    mode, bucket, url, name, size, md5 = parser.parse_args(argv).child
    print(json.dumps(_child(mode, bucket, url, name, int(size), md5)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
