"""Run P7: pilot 2 through the real DAG on Celery, under the 2019 errors and an outage.

1. Fresh PostgreSQL databases for the collection, the ledger and Airflow; a Redis database.
2. The collection (:mod:`bench.pilot2.collection`) and the sandbox, a real process with no rate
   limit, 50 ms latency and the 2019 error mix (:mod:`bench.pilot2.faults`).
3. Airflow on Celery (:mod:`bench.pilot2.services`); run 1 of the DAG, an outage once half the
   specimens are published (:class:`bench.chaos.Chaos`), task memory sampled meanwhile.
4. Once the harvest overlap has passed since the last publication (as it has by the next
   night), a *Reconcile only* run: the full reconciliation, its OAI-PMH requests counted.
5. The nightly run: nothing changed, the errors off (latency kept), its requests counted.
6. The census on the sandbox's admin API (:mod:`bench.census`), sizes, Table 4.

Airflow runs as processes of its own; what they did is read from its database with SQL.
"""

from __future__ import annotations

import contextlib
import pathlib
import sys
import time
from typing import Any

from bench.census import take_census
from bench.chaos import OUTAGE, Chaos
from bench.common import Row, Sizes, mean_tally_latency_s, start_sandbox
from bench.pilot2 import collection as coll
from bench.pilot2.facts import Pilot2Facts, Pilot2Plan
from bench.pilot2.faults import SEED, plan_faults
from bench.pilot2.measure import (
    UPLOAD_KINDS,
    AirflowDb,
    PatientAdmin,
    RssSampler,
    folder_bytes,
    ledger_tables,
    steady_uploads,
)
from bench.pilot2.pages import SCREENSHOTS, open_pages
from bench.pilot2.rows import pilot2_rows
from bench.pilot2.services import CeleryDeployment, claimed_redis, fresh_databases
from bench.pilot2.table4 import side_by_side
from zenodo.engine.statistics import load_batches
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo_sandbox.testing import SandboxProcess

#: The product's harvest overlap (``HarvestOptions.overlap``): a nightly harvest re-reads it.
HARVEST_OVERLAP_S = 300.0


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[pilot2] {message}", file=sys.stderr, flush=True)



def component_env(plan: Pilot2Plan, collection: coll.Collection, sandbox: SandboxProcess,
                  ledger_url: str, folder: pathlib.Path) -> dict[str, str]:
    """The collection's settings for every Airflow component."""
    return {
        "AIRFLOW_CONN_ZENODO_DEFAULT": sandbox.connection_json(),
        "ZENODO_LEDGER_URL": ledger_url,
        "ZENODO_COLLECTIONS_FILE": str(collection.collections_file),
        "ZENODO_REPORTS_DIR": str(folder / "reports"),
        "ZENODO_CACHE_DIR": str(folder / "cache"),
        "ZENODO_TASK_RETRIES": str(plan.task_retries),
        "ZENODO_TASK_RETRY_DELAY": "5",
        "ZENODO_FEED_GRACE": "0",
        "ZENODO_FEED_POKE_INTERVAL": "5",
        "ZENODO_FEED_TIMEOUT": "7200",
        "ZENODO_BREAKER_THRESHOLD": "5",
        "ZENODO_BREAKER_PROBE_INTERVAL": "5",
        # Above the outage, so the breaker waits it out instead of failing the task.
        "ZENODO_OUTAGE_LIMIT": str(max(600.0, 3 * plan.outage)),
    }


def upload_latency(tally: list[dict[str, Any]], facts: Pilot2Facts) -> float:
    """Mean server-side latency of run 1's uploads' requests (outage answers left out), over
    the whole upload stage: read off the sandbox's request tally, which counts every request
    (its log keeps only the last 200,000, a quarter of run 1 at full size)."""
    span = facts.upload_span
    kept = [row for row in tally if row["kind"] in UPLOAD_KINDS and row["fault"] != OUTAGE
            and (span is None or int(span[0].timestamp()) <= row["second"]
                 <= span[1].timestamp())]
    return mean_tally_latency_s(kept)


def published(ledger: Ledger) -> int:
    """Specimens the ledger has as published or verified."""
    counts = ledger.counts(coll.DAG_ID)
    return counts[State.PUBLISHED] + counts[State.VERIFIED]


def run_pilot2(plan: Pilot2Plan, folder: pathlib.Path) -> Pilot2Facts:
    """Run P7 in ``folder``; return what it measured."""
    with contextlib.ExitStack() as stack:
        urls = stack.enter_context(fresh_databases(("src", "ledger", "airflow")))
        broker = stack.enter_context(claimed_redis())
        collection = coll.generate(folder / "collection", urls["src"], plan.specimens,
                                   seed=SEED, batch_size=plan.batch_size,
                                   concurrency=plan.threads)
        log(f"collection: {plan.specimens:,} rows in {collection.seconds:.1f} s")
        faults = plan_faults(plan.specimens, seed=SEED, latency=plan.latency)
        sandbox = start_sandbox(faults=faults.config(), data_dir=folder / "sandbox")
        stack.callback(sandbox.stop)
        admin = PatientAdmin(sandbox.url, sandbox.admin_token)
        ledger = Ledger(urls["ledger"])
        ledger.migrate()
        stack.callback(ledger.dispose)
        deployment = stack.enter_context(CeleryDeployment(
            folder / "airflow", metadata_url=urls["airflow"], broker_url=broker,
            layout=plan.layout,
            env=component_env(plan, collection, sandbox, urls["ledger"], folder)))
        started = time.monotonic()
        deployment.start(coll.DAG_ID)
        log(f"Airflow on Celery ready in {time.monotonic() - started:.0f} s")
        airflow_db = AirflowDb(urls["airflow"], coll.DAG_ID)
        stack.callback(airflow_db.dispose)
        facts = Pilot2Facts(plan, faults, plan.layout.describe(), collection.seconds)
        sampler = RssSampler(deployment.worker_pids())
        sampler.start()
        stack.callback(sampler.stop)
        first_run(plan, deployment, sandbox, admin, ledger, airflow_db, facts)
        later_runs(plan, deployment, sandbox, admin, airflow_db, facts)
        sampler.stop()
        log("opening the status page and the run report in Chromium")
        pages = open_pages(folder / "pages", component_env(
            plan, collection, sandbox, urls["ledger"], folder), coll.DAG_ID, SCREENSHOTS)
        facts.pages = pages.seconds
        facts.screenshots = {name: str(path) for name, path in pages.screenshots.items()}
        facts.rss, facts.cpu = dict(sampler.peaks), dict(sampler.cpu)
        facts.rss_samples, facts.loads = sampler.samples, list(sampler.loads)
        facts.xcom = airflow_db.largest_xcom()
        deployment.stop()
        log("counting the sandbox (census)")
        facts.census = take_census(admin, coll.specimen_keys(plan.specimens), ledger,
                                   collection=coll.DAG_ID)
        facts.ledger_bytes, facts.ledger_rows = ledger_tables(urls["ledger"])
        facts.sandbox_bytes, facts.sandbox_files = folder_bytes(sandbox.data_dir)
        facts.batches = load_batches(ledger, coll.DAG_ID, run_id=facts.runs["run 1"][0])
    return facts


def first_run(plan: Pilot2Plan, deployment: CeleryDeployment, sandbox: SandboxProcess,
              admin: PatientAdmin, ledger: Ledger, airflow_db: AirflowDb,
              facts: Pilot2Facts) -> None:
    """Run 1: every specimen, under the errors, with the outage half way."""
    chaos = Chaos(sandbox, plan.specimens, outage=plan.outage, label="pilot2", poll=2.0)
    admin.clear_requests()
    chaos.start()
    log(f"run 1: {plan.specimens:,} specimens, batches of {plan.batch_size}, "
        f"{plan.threads} threads each, outage {plan.outage:.0f} s at half")
    try:
        facts.runs["run 1"] = deployment.run(
            coll.DAG_ID, {"batch_size": plan.batch_size, "concurrency": plan.threads},
            plan.timeout(0.15, 3600))
    finally:
        chaos.stop()
    run_id, state = facts.runs["run 1"]
    facts.outage_at = chaos.started.get(OUTAGE)
    facts.tries["run 1"] = airflow_db.tries(run_id)
    facts.run_seconds["run 1"] = airflow_db.run_seconds(run_id)
    facts.published_run1 = published(ledger)
    facts.injected = dict(admin.faults()["injected"])
    tally = admin.request_tally()
    facts.latency = upload_latency(tally, facts)
    facts.steady = steady_uploads(tally, facts.outage_at, UPLOAD_KINDS)
    log(f"run 1: {state} in {facts.run_seconds['run 1']:.0f} s; "
        f"{facts.published_run1:,} published")


def later_runs(plan: Pilot2Plan, deployment: CeleryDeployment, sandbox: SandboxProcess,
               admin: PatientAdmin, airflow_db: AirflowDb, facts: Pilot2Facts) -> None:
    """The full reconciliation, then the nightly run."""
    span = facts.upload_span
    if span is not None:
        facts.waited = max(0.0, span[1].timestamp() + HARVEST_OVERLAP_S + 10 - time.time())
        if facts.waited:
            log(f"waiting {facts.waited:.0f} s: the harvest overlap since the last upload")
            time.sleep(facts.waited)
    admin.clear_requests()
    facts.runs["reconcile"] = deployment.run(coll.DAG_ID, {"reconcile_only": True},
                                             plan.timeout(0.02, 1800))
    facts.run_seconds["reconcile"] = airflow_db.run_seconds(facts.runs["reconcile"][0])
    facts.tries["reconcile"] = airflow_db.tries(facts.runs["reconcile"][0])
    facts.harvest_log = admin.requests()
    facts.harvest_summary = airflow_db.return_value(facts.runs["reconcile"][0], "reconcile") or {}
    log(f"reconcile only: {facts.runs['reconcile'][1]} in "
        f"{facts.run_seconds['reconcile']:.0f} s")
    admin.set_faults(facts.faults.quiet_config())
    admin.clear_requests()
    facts.runs["nightly"] = deployment.run(coll.DAG_ID, {}, 1800)
    facts.nightly_log = admin.requests()
    facts.run_seconds["nightly"] = airflow_db.run_seconds(facts.runs["nightly"][0])
    facts.tries["nightly"] = airflow_db.tries(facts.runs["nightly"][0])
    log(f"nightly: {facts.runs['nightly'][1]} in {facts.run_seconds['nightly']:.0f} s, "
        f"{facts.nightly_log['total']} requests")


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Run P7 at ``sizes.p7_specimens``; print Table 4; return the rows."""
    plan = Pilot2Plan.for_size(sizes.p7_specimens, sizes.p7_outage, sizes.p7_threads)
    folder = work / "pilot2"
    folder.mkdir(parents=True, exist_ok=True)
    measured = run_pilot2(plan, folder)
    print(side_by_side(measured.batches), flush=True)
    print(flush=True)
    return pilot2_rows(measured)
