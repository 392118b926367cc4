"""Run the benchmark suite and print one table: ``python -m bench [--quick] [--only p1,p5]``.

Every figure is a ratio against a bound measured or computed in the same run (these machines
are noisy). ``--quick`` uses the smoke sizes. The exit status is 1 when a row misses its target.

``python -m bench --only pilot2 [--specimens N] [--threads T]`` runs P7, which the default
list leaves out: pilot 2 of 2019 at full size (281,372 specimens; ``--quick``: 3,000)
through the real DAG on Celery (PostgreSQL, Redis), under the 2019 error mix and an outage,
then a full reconciliation and a nightly run. It takes hours at full size and needs PostgreSQL on
127.0.0.1:5432 and Redis on 127.0.0.1:6379; it prints its Table 4 beside 2019's, then the
table. See docs/bench-pilot2.md.

``python -m bench --only p9`` runs the upload engine alone under P7's faults (6,000 specimens,
4 processes x 8 threads, the ledger on PostgreSQL; two minutes): what P7's uploads are read
against.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bench.common import FULL, QUICK, Row, Sizes, format_table, quiet_logs

#: name -> module, in running order (P6 uses P1's measurements).
BENCHMARKS = {
    "p1": "bench.p1_rate",
    "p2": "bench.p2_latency",
    "p3": "bench.p3_baseline",
    "p4": "bench.p4_large",
    "p8": "bench.p8_s3",
    "p5": "bench.p5_reconcile",
    "p6": "bench.p6_scale",
    "r2": "bench.r2_kill",
    "r1": "bench.soak",
    "pilot2": "bench.pilot2.runner",
    "p9": "bench.p9_engine",
}
#: What ``python -m bench`` runs without ``--only``: all but P7 (hours at full size), P8
#: (minutes: a 2 GB object put into and read from an S3-API server) and P9 (PostgreSQL).
DEFAULT = tuple(name for name in BENCHMARKS if name not in ("pilot2", "p8", "p9"))


def run_suite(sizes: Sizes, names: Sequence[str] = DEFAULT,
              work: pathlib.Path | None = None) -> list[Row]:
    """Run the named benchmarks in order; return their rows.

    :param sizes: :data:`~bench.common.FULL` or :data:`~bench.common.QUICK`.
    :param names: keys of :data:`BENCHMARKS` (``p6`` needs ``p1``).
    :param work: scratch folder (default: a temporary one, removed afterwards).
    """
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        raise ValueError(f"unknown benchmarks {sorted(unknown)}; choose from {list(BENCHMARKS)}")
    quiet_logs()
    own = work is None
    folder = work or pathlib.Path(tempfile.mkdtemp(prefix="bench-"))
    facts: dict[str, Any] = {}
    rows: list[Row] = []
    try:
        for name in BENCHMARKS:
            if name in names:
                started = time.monotonic()
                module = importlib.import_module(BENCHMARKS[name])
                rows += module.run(sizes, folder, facts)
                print(f"[bench] {name} done in {time.monotonic() - started:.1f} s",
                      file=sys.stderr, flush=True)
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run, print the table; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke sizes (well under a minute)")
    parser.add_argument("--only", default=",".join(DEFAULT),
                        help=f"comma-separated subset of {','.join(BENCHMARKS)}, e.g. p1,p6 "
                             f"(default: all but pilot2)")
    parser.add_argument("--specimens", type=int,
                        help="pilot2 only: specimens in the collection (default 281,372)")
    parser.add_argument("--threads", type=int,
                        help="pilot2 only: worker threads per upload task (default 4)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    sizes = QUICK if args.quick else FULL
    if args.specimens is not None:
        if args.specimens < 1:
            parser.error(f"--specimens must be at least 1, got {args.specimens}")
        sizes = replace(sizes, p7_specimens=args.specimens)
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads must be at least 1, got {args.threads}")
        sizes = replace(sizes, p7_threads=args.threads)
    started = time.monotonic()
    rows = run_suite(sizes, names)
    print(format_table(rows))
    print(f"\n{'quick' if args.quick else 'full'} run, {time.monotonic() - started:.0f} s")
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
