"""``make demo``: the whole pipeline on the embedded defaults, against the local sandbox.

Generates the sample herbarium under ``.demo/``, starts the sandbox, runs the
``herbarium_sample`` DAG once with ``dag.test()`` and prints the run report beside what the
sandbox really holds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from zenodo_demo.environment import ROOT, pipeline_env
from zenodo_sandbox.testing import SandboxProcess

DAG_ID = "herbarium_sample"


def configure_environment(work: Path, sandbox: SandboxProcess, sample_env: dict[str, str],
                          *, protocol: str = "deposit") -> None:
    """Point Airflow, the collection and the ledger at the demo folder, before airflow is
    imported (it reads its settings at import time).

    :param protocol: ``deposit``, or ``rdm`` (the InvenioRDM records API with ``dwc-rich-rdm``).
    """
    mapping = "dwc-rich-rdm" if protocol == "rdm" else "pilot1"
    os.environ.update(pipeline_env(work, sandbox.connection_json(protocol=protocol), sample_env,
                                   mapping=mapping))
    os.environ["ZENODO_FEED_POKE_INTERVAL"] = "2"


def run_dag() -> tuple[str, dict[str, object]]:
    """Initialise Airflow's SQLite DB and run the collection DAG once.

    :return: the run id and the report task's result.
    """
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import timezone
    from airflow.utils import db

    db.resetdb()
    dag = DagBag(dag_folder=str(ROOT / "dags")).dags[DAG_ID]
    defaults = {name: param.value for name, param in dag.params.items()}
    now = timezone.utcnow()
    run = dag.test(logical_date=now, run_after=now, run_conf=defaults)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    print(f"\nDAG run {run.run_id}: {run.state}; tasks: {states}")
    report = run.get_task_instance("report").xcom_pull(task_ids="report")
    if not report:
        raise SystemExit("the report task left no result; see the task logs above")
    return run.run_id, report


def print_summary(
    run_id: str, report: dict[str, object], sandbox: SandboxProcess, sample: object
) -> None:
    """Print the run's report beside what the sandbox holds."""
    from zenodo.ledger.ledger import Ledger
    from zenodo.report.run_report import build_report, format_table, summary_line

    ledger = Ledger(os.environ["ZENODO_LEDGER_URL"])
    print()
    print(format_table(build_report(ledger, DAG_ID, run_id=run_id)))
    online = [d for d in sandbox.admin.depositions() if d["submitted"]]
    summary = report.get("summary")
    print(
        f"\nThe sandbox holds {len(online)} published records "
        f"({len(sample.valid_keys)} valid specimens in the sample, "
        f"{len(sample.quarantined_rows)} hostile rows quarantined by design"
        f"{', and the collection summary record' if summary and summary.get('doi') else ''})."
    )
    print(f"Report CSV:  {report['csv']}\nReport JSON: {report['json']}")
    print(f"Darwin Core Archive (GBIF export): {report['dwca']}")
    if summary:
        print(f"{summary_line(summary)}\nSummary record: {summary.get('record_url')}; "
              f"its files (specimens.csv, README.md, dwca.zip) in {summary.get('folder')}")


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the process exit code."""
    parser = argparse.ArgumentParser(description="Run the pipeline on the sample collection.")
    parser.add_argument("--dir", default=".demo", help="working folder (wiped first)")
    parser.add_argument("-n", type=int, default=200, help="specimens in the sample")
    parser.add_argument("--protocol", choices=("deposit", "rdm"), default="deposit",
                        help="deposit API (default) or the InvenioRDM records API")
    args = parser.parse_args(argv)
    work = Path(args.dir).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    from zenodo_demo.sample import generate_sample

    sample = generate_sample(work / "sample", n=args.n)
    print(f"Sample: {sample.n_rows} rows in {sample.db_url}, images in {sample.image_root}")
    with SandboxProcess(limits_profile="none", data_dir=work / "sandbox") as sandbox:
        print(f"Sandbox: {sandbox.url} (admin API at {sandbox.url}/admin)")
        configure_environment(work, sandbox, sample.env(), protocol=args.protocol)
        run_id, report = run_dag()
        print_summary(run_id, report, sandbox, sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
