"""R1, the fault soak: thousands of specimens through the real DAG while the sandbox misbehaves.

``python -m bench.soak [--specimens N] [--outage S] [--quick]`` generates a sample herbarium
(10 % hostile rows, small images), starts the sandbox with the issues' fault mix (5 % 5xx on
every endpoint, 2 % commit-then-fail on create and on publish, 1 % uploads reset mid-body),
and runs the ``herbarium_sample`` DAG with ``dag.test()`` (SQLite Airflow DB in a temporary
``AIRFLOW_HOME``, SQLite ledger). A watcher thread starts bursts of 429s when a fifth and
four fifths of the valid specimens are published and a full outage (503 to everything) at
half. If the run ends with failed tasks, the run is cleared and run again as an operator
would (same run, same conf). The DAG's own reconcile task compares the ledger with the
community feed. Then the sandbox is counted by specimen key (:mod:`bench.census`).

Airflow reads its settings when first imported, so the soak sets the environment before
importing it; ``python -m bench --only r1`` therefore runs it in a child process.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.census import Census, take_census
from bench.chaos import OUTAGE, Chaos
from bench.common import FULL, QUICK, Row, Sizes, at_least, at_most, format_table, quiet_logs
from tests.zenodo.payload_factory import published_by_key
from zenodo.engine.statistics import load_batches
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo_demo.sample import SampleInfo, generate_sample
from zenodo_sandbox.testing import SandboxProcess, fault_mix

ROOT = pathlib.Path(__file__).resolve().parents[1]
DAG_ID = "herbarium_sample"
COMMUNITY = "herbarium-sample"
SEED = 20261124
#: Runs at most: the first, then clear-and-run-again until nothing is left (ops would stop).
MAX_RUNS = 3
_DONE = (State.PUBLISHED, State.VERIFIED)
#: 429 bursts at a fifth and four fifths of the valid specimens published, the outage at half.
CHAOS_EVENTS = ((0.2, "storm 1"), (0.5, OUTAGE), (0.8, "storm 2"))


@dataclass(frozen=True)
class SoakPlan:
    """How big the soak is and how the DAG is run.

    :param specimens: rows in the sample (10 % of them hostile).
    :param outage: seconds of the full outage started at half way.
    :param storm: seconds of each 429 burst (at a fifth and at four fifths).
    :param storm_fraction: share of requests answered 429 during a burst.
    :param batch_size: specimens per mapped upload task (a trigger-form param).
    :param concurrency: worker threads per upload task (a trigger-form param).
    :param task_retries: Airflow retries per task (``ZENODO_TASK_RETRIES``).
    """

    specimens: int
    outage: float
    storm: float = 15.0
    storm_fraction: float = 0.5
    batch_size: int = 250
    concurrency: int = 8
    task_retries: int = 1


def configure_environment(work: pathlib.Path, sandbox: SandboxProcess, sample: SampleInfo,
                          plan: SoakPlan) -> str:
    """Point Airflow, the collection, the ledger and the breaker at ``work``; return the ledger URL.

    Must run before anything imports airflow.
    """
    airflow_home = work / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    ledger_url = f"sqlite:///{work / 'ledger.db'}"
    os.environ.update({
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",  # task logs of 20+ tasks drown the table
        "AIRFLOW_CONN_ZENODO_DEFAULT": sandbox.connection_json(),
        "ZENODO_LEDGER_URL": ledger_url,
        "ZENODO_REPORTS_DIR": str(work / "reports"),
        "ZENODO_CACHE_DIR": str(work / "cache"),
        "ZENODO_TASK_RETRIES": str(plan.task_retries),
        "ZENODO_TASK_RETRY_DELAY": "5",
        "ZENODO_FEED_GRACE": "0",
        "ZENODO_FEED_POKE_INTERVAL": "2",
        "ZENODO_FEED_TIMEOUT": "600",
        "ZENODO_BREAKER_THRESHOLD": "5",
        "ZENODO_BREAKER_PROBE_INTERVAL": "5",
        # Above the outage, so the breaker waits it out instead of failing the task.
        "ZENODO_OUTAGE_LIMIT": str(max(600.0, 3 * plan.outage)),
        "SAMPLE_COMMUNITY": COMMUNITY,
        **sample.env(),
    })
    return ledger_url


def unfinished(ledger: Ledger, keys: Sequence[str]) -> int:
    """Count the valid specimens the ledger does not have as published."""
    return sum(1 for key in keys
               if (row := ledger.get(DAG_ID, key)) is None or State(row.state) not in _DONE)


def run_dag(plan: SoakPlan, ledger: Ledger, keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """Run the DAG, then clear and re-run it while specimens are left; return runs' ids, states."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import timezone
    from airflow.utils import db

    db.resetdb()
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"the DAG folder does not import: {bag.import_errors}")
    dag = bag.dags[DAG_ID]
    conf = {**dag.params.dump(), "batch_size": plan.batch_size, "concurrency": plan.concurrency}
    now = timezone.utcnow()
    run_ids: list[str] = []
    states: list[str] = []
    for attempt in range(MAX_RUNS):
        run = dag.test(logical_date=now, run_after=now, run_conf=conf)
        run_ids.append(run.run_id)
        failed = sorted({ti.task_id for ti in run.get_task_instances()
                         if str(ti.state) == "failed"})
        states.append(f"{run.state}" + (f" (failed: {', '.join(failed)})" if failed else ""))
        left = unfinished(ledger, keys)
        print(f"[soak] run {attempt + 1}: {states[-1]}; {left} specimens unfinished",
              file=sys.stderr, flush=True)
        if str(run.state) == "success" and not left:
            break
    return run_ids, states


def batch_figures(ledger: Ledger, run_ids: Sequence[str]) -> dict[str, Any]:
    """Sum the upload batches' statistics over the runs: requests, errors, breaker pauses."""
    rows = [row for run_id in dict.fromkeys(run_ids)
            for row in load_batches(ledger, DAG_ID, run_id=run_id)]
    errors: dict[str, int] = {}
    for row in rows:
        for kind, n in row["errors_by_kind"].items():
            errors[kind] = errors.get(kind, 0) + n
    return {
        "batches": len(rows), "requests": sum(r["requests"] for r in rows),
        "errors": errors, "lookups": sum(r["lookups"] for r in rows),
        "paused": sum(r["paused_seconds"] for r in rows),
        "longest_pause": max((e - s for r in rows for s, e in r["pauses"]), default=0.0),
    }


def soak_rows(plan: SoakPlan, sample: SampleInfo, census: Census, extra: int,
              ledger_valid: int, figures: dict[str, Any], facts: dict[str, Any]) -> list[Row]:
    """Turn the counts into the table's rows."""
    runs = len(facts["run_ids"])
    injected = ", ".join(f"{k} {v}" for k, v in sorted(facts["injected"].items()))
    notes = [
        f"{sample.n_rows} rows ({len(sample.quarantined_rows)} hostile, quarantined), "
        f"batch {plan.batch_size} x {plan.concurrency} threads, task retries "
        f"{plan.task_retries}; wall {facts['wall']:.0f} s; runs: "
        + "; ".join(f"{i + 1}. {s}" for i, s in enumerate(facts["states"]))
        + ("" if runs == 1 else " (cleared and run again as ops would)"),
        f"faults injected: {injected}",
        f"timed: {', '.join(sorted(facts['chaos'])) or 'none'}; {figures['batches']} batch "
        f"rows, {figures['requests']} requests, errors by kind {figures['errors']}, "
        f"{figures['lookups']} lookups, breaker paused {figures['paused']:.0f} s "
        f"(longest {figures['longest_pause']:.0f} s); {census.drafts} drafts left; "
        f"{extra} published records for keys outside the valid set",
    ]
    expected = len(sample.valid_keys)
    return [
        Row("R1 valid specimens (ledger)", ledger_valid, expected, "",
            ledger_valid / expected if expected else None, "= sample", ledger_valid == expected,
            notes[0]),
        at_least("R1 published exactly once", 100 * census.once / census.total, 100.0, "%",
                 1.0, notes[1]),
        at_most("R1 duplicates", census.duplicates, 0, ""),
        at_most("R1 lost", census.lost, 0, ""),
        at_most("R1 ledger != sandbox", census.mismatched, 0, ""),
        at_most("R1 published, not valid", extra, 0, ""),
        at_least("R1 outage pause", figures["longest_pause"], plan.outage, "s", 0.9, notes[2]),
        at_most("R1 runs needed", runs, 2, ""),
    ]


def soak(plan: SoakPlan, work: pathlib.Path) -> list[Row]:
    """Run the soak in ``work`` (this process must not have imported airflow yet)."""
    if "airflow" in sys.modules:
        raise RuntimeError("run the soak in a fresh process: airflow is already imported")
    sample = generate_sample(work / "sample", n=plan.specimens, hostile_share=0.1, seed=SEED,
                             image_size=(48, 64))
    keys = list(sample.valid_keys)
    print(f"[soak] sample: {sample.n_rows} rows, {len(keys)} valid", file=sys.stderr, flush=True)
    sandbox = SandboxProcess(limits_profile="none", faults=fault_mix(seed=SEED),
                             data_dir=work / "sandbox",
                             extra_args=["--log-level", "warning"]).start()
    ledger: Ledger | None = None
    chaos = Chaos(sandbox, len(keys), outage=plan.outage, storm=plan.storm,
                  storm_fraction=plan.storm_fraction, events=CHAOS_EVENTS, label="soak")
    try:
        ledger = Ledger(configure_environment(work, sandbox, sample, plan))
        ledger.migrate()
        started = time.monotonic()
        chaos.start()
        run_ids, states = run_dag(plan, ledger, keys)
        wall = time.monotonic() - started
        chaos.stop()
        injected = sandbox.admin.faults()["injected"]
        sandbox.admin.set_faults(None)  # count on a quiet server
        census = take_census(sandbox.admin, keys, ledger, collection=DAG_ID)
        grouped = {r["id"]: r for r in sandbox.admin.records()}
        extra = sum(len(v) for k, v in published_by_key(list(grouped.values())).items()
                    if k not in set(keys))
        ledger_valid = sum(1 for row in ledger.rows(DAG_ID)
                           if State(row.state) is not State.QUARANTINED)
        figures = batch_figures(ledger, run_ids)
    finally:
        chaos.stop()
        if ledger is not None:
            ledger.dispose()
        sandbox.stop()
    facts = {"run_ids": run_ids, "states": states, "wall": wall, "injected": injected,
             "chaos": chaos.started}
    return soak_rows(plan, sample, census, extra, ledger_valid, figures, facts)


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Run the soak in a child process (a fresh Airflow configuration); return its rows."""
    folder = work / "r1"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "rows.json"
    cmd = [sys.executable, "-m", "bench.soak", "--specimens", str(sizes.r1_specimens),
           "--outage", str(sizes.r1_outage), "--storm", str(sizes.r1_storm),
           "--work", str(folder / "run"), "--rows-json", str(out)]
    subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr, check=False, timeout=3 * 3600)
    if not out.exists():
        raise RuntimeError("R1: the soak process wrote no rows; see its output above")
    return [Row(**row) for row in json.loads(out.read_text(encoding="utf-8"))]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the soak, print the table; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 specimens, a 20 s outage")
    parser.add_argument("--specimens", type=int, help="rows in the sample (default 5000)")
    parser.add_argument("--outage", type=float, help="outage seconds (default 120)")
    parser.add_argument("--storm", type=float, help="seconds of each 429 burst (default 15)")
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--task-retries", type=int, default=1)
    parser.add_argument("--work", type=pathlib.Path,
                        help="scratch folder, wiped first (default: temporary)")
    parser.add_argument("--rows-json", type=pathlib.Path, help="also write the rows here")
    args = parser.parse_args(argv)
    default = QUICK_PLAN if args.quick else FULL_PLAN
    plan = SoakPlan(specimens=args.specimens or default.specimens,
                    outage=args.outage or default.outage, storm=args.storm or default.storm,
                    batch_size=args.batch_size, concurrency=args.concurrency,
                    task_retries=args.task_retries)
    quiet_logs()
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="bench-r1-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.monotonic()
    try:
        rows = soak(plan, work.resolve())
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.rows_json:
        args.rows_json.write_text(json.dumps([asdict(r) for r in rows]), encoding="utf-8")
    print(format_table(rows))
    print(f"\nR1 soak, {plan.specimens} specimens, {time.monotonic() - started:.0f} s")
    return 0 if all(r.passed for r in rows) else 1


FULL_PLAN = SoakPlan(specimens=FULL.r1_specimens, outage=FULL.r1_outage, storm=FULL.r1_storm)
QUICK_PLAN = SoakPlan(specimens=QUICK.r1_specimens, outage=QUICK.r1_outage,
                      storm=QUICK.r1_storm)

if __name__ == "__main__":
    sys.exit(main())
