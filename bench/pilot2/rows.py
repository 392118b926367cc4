"""P7's table rows: each figure of the run against its bound, the targets of the brief.

Targets: every specimen published exactly once after one DAG run plus the reconciliation, no
duplicate, no draft left, ledger equal to the sandbox; uploads at 0.8 of the latency bound or
more; no XCom over 1 MB; no task over 1 GB of RSS; the nightly run within 2 minutes and 2
requests; the full harvest in ``ceil(N / 50)`` requests plus the retries the errors caused;
the status page and the run report open in Chromium within 5 s.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from bench.chaos import OUTAGE
from bench.common import REQUESTS_PER_RECORD, Row, at_least, at_most, for_context
from bench.p5_reconcile import full_harvest_bound
from bench.pilot2.measure import cpu_by_task, failed_tasks, peak_rss_by_task, stage_spans
from bench.pilot2.pages import PAGE_BOUND_S
from bench.pilot2.table4 import table_2019, total_line
from zenodo.dag_factory import TASK_IDS
from zenodo.engine.statistics import zenodo_wait

if TYPE_CHECKING:
    from bench.pilot2.facts import Pilot2Facts

MB = 1024 * 1024
RSS_LIMIT_MB = 1024
XCOM_LIMIT = MB
NIGHTLY_SECONDS = 120
NIGHTLY_REQUESTS = 2
#: The DAG's tasks whose times and memory are reported, in run order.
STAGES = tuple(task for task in TASK_IDS if task != "check_run")



def stage_rows(facts: Pilot2Facts) -> list[Row]:
    """Wall time of each stage of run 1 (from Airflow's task instances), against the run's."""
    spans = stage_spans(facts.tries["run 1"])
    total = facts.run_seconds["run 1"]
    run_id, state = facts.runs["run 1"]
    rows = []
    for task in STAGES:
        if task not in spans:
            continue
        start, end = spans[task]
        rows.append(for_context(f"P7 run 1 wall: {task}", (end - start).total_seconds(), total,
                                "s", f"run {run_id}: {state}" if task == STAGES[0] else ""))
    return rows


def upload_row(facts: Pilot2Facts) -> Row:
    """Records/s of run 1's uploads against the latency bound at the concurrency used."""
    plan = facts.plan
    span = facts.upload_span
    seconds = (span[1] - span[0]).total_seconds() if span else 0.0
    overlap = facts.outage_overlap()
    working = max(seconds - overlap, 1e-9)
    latency = facts.latency or plan.latency
    bound = plan.threads_total / (REQUESTS_PER_RECORD * latency)
    cpu = cpu_by_task(facts.cpu, facts.tries["run 1"]).get("upload", 0.0)
    note = (f"{facts.published_run1:,} published by run 1 in {seconds:.0f} s of upload stage, "
            f"less {overlap:.0f} s of outage; {plan.layout.upload_slots} upload tasks x "
            f"{plan.threads} threads; sandbox latency {1000 * latency:.1f} ms mean (injected "
            f"{1000 * plan.latency:.0f} ms); bound = threads / (3 x latency); upload tasks "
            f"used {cpu:.0f} CPU-s ({1000 * cpu / max(facts.published_run1, 1):.0f} ms a "
            f"record, {cpu / max(seconds, 1e-9):.2f} cores over the stage); machine load "
            f"{facts.upload_load():.1f} on {os.cpu_count()} cores (mean 1-minute load average)")
    return at_least("P7 uploads records/s", facts.published_run1 / working, bound, "rec/s",
                    0.8, note)


def steady_row(facts: Pilot2Facts) -> list[Row]:
    """Run 1's uploads from the first tenth of its publishes to the outage, against the bound
    at the latency measured in that window: the stage without its ramp-up, outage and tails."""
    steady = facts.steady
    if steady is None or not steady.latency:
        return []
    bound = facts.plan.threads_total / (REQUESTS_PER_RECORD * steady.latency)
    note = (f"publishes answered from the first tenth of run 1's publishes to the outage "
            f"({steady.seconds:.0f} s), upload requests there {1000 * steady.latency:.1f} ms "
            f"mean as the sandbox measured them")
    return [for_context("P7 uploads records/s, steady", steady.rate, bound, "rec/s", note)]


def waiting_row(facts: Pilot2Facts) -> Row:
    """The share of run 1's upload worker time spent waiting for Zenodo's answers (what
    Table 4's ``on Zenodo (%)`` totals): the rest is what held the uploads below the bound."""
    waited, worker_time = zenodo_wait(facts.batches)
    requests = sum(b["requests"] for b in facts.batches)
    note = (f"{waited:,.0f} of {worker_time:,.0f} worker-seconds of run 1's batches; "
            f"{1000 * waited / max(requests, 1):.1f} ms a request as the workers waited for it, "
            f"{1000 * facts.latency:.1f} ms as the sandbox measured it")
    return for_context("P7 upload workers on Zenodo", 100 * waited / max(worker_time, 1e-9),
                       100.0, "%", note)


def memory_rows(facts: Pilot2Facts) -> list[Row]:
    """Peak RSS of each task (the largest of its tries), sampled with psutil."""
    tries = [t for run in facts.tries.values() for t in run]
    peaks = peak_rss_by_task(facts.rss, tries)
    rows = []
    for task in STAGES:
        if task in peaks:
            note = ""
            if task == STAGES[0]:
                note = (f"psutil RSS of the task processes ('airflow worker -- <ti id>') under "
                        f"the Celery workers, every 0.5 s ({facts.rss_samples} samples), "
                        f"largest try of the task over all runs")
            rows.append(at_most(f"P7 peak RSS: {task}", peaks[task] / MB, RSS_LIMIT_MB, "MB",
                                note))
    missing = [t for t in STAGES if t not in peaks]
    if missing:
        rows.append(at_most("P7 tasks never sampled", len(missing), 0, "",
                            f"no RSS sample of {', '.join(missing)} (ran under 0.5 s?)"))
    return rows


def harvest_row(facts: Pilot2Facts) -> Row:
    """OAI-PMH requests of the full reconciliation against ``ceil(N/50)`` plus the pages its
    reconcile task says it asked again (its XCom's ``retries``)."""
    entries = [e for e in facts.harvest_log.get("requests", []) if e.get("kind") == "oai"]
    errors = sum(1 for e in entries if int(e["status"]) >= 500 or int(e["status"]) == 429)
    retries = facts.harvest_summary.get("retries")
    pages = full_harvest_bound(facts.plan.specimens)
    run_id, state = facts.runs["reconcile"]
    others = {k: v for k, v in facts.harvest_log.get("counts", {}).get("by_kind", {}).items()
              if k != "oai"}
    said = ("its XCom has no retries: the answered errors counted instead" if retries is None
            else f"{retries} the reconcile task says it asked again")
    note = (f"run {run_id} (Reconcile only): {state} in {facts.run_seconds['reconcile']:.0f} s; "
            f"{pages} pages + {said}; {errors} answered with an error in the sandbox's log; "
            f"other requests {others or 'none'}")
    retries = errors if retries is None else int(retries)
    row = at_most("P7 full harvest requests", len(entries), pages + retries, "req", note)
    if state != "success":
        row = replace(row, passed=False, note=row.note + " (RUN FAILED)")
    return row


def census_rows(facts: Pilot2Facts) -> list[Row]:
    """What the sandbox holds after run 1 and the reconciliation, counted on its admin API."""
    census = facts.census
    assert census is not None
    failed, retried = failed_tasks(facts.tries["run 1"])
    note = (f"{census.published:,} of {census.total:,} keys published; run 1 "
            f"{facts.runs['run 1'][1]}, reconcile only {facts.runs['reconcile'][1]}")
    return [
        at_least("P7 published exactly once", 100 * census.once / census.total, 100.0, "%",
                 1.0, note),
        at_most("P7 duplicates", census.duplicates, 0, ""),
        at_most("P7 lost", census.lost, 0, ""),
        at_most("P7 drafts left", census.drafts, 0, ""),
        at_most("P7 ledger != sandbox", census.mismatched, 0, ""),
        at_most("P7 tasks failed for good, run 1", len(failed), 0, "",
                "; ".join(part for part in (
                    f"failed: {', '.join(failed)}" if failed else "",
                    f"failed a try, then finished by Airflow's retry: {', '.join(retried)}"
                    if retried else "") if part)),
    ]


def nightly_rows(facts: Pilot2Facts) -> list[Row]:
    """The nightly run with nothing changed: its wall time and its requests to Zenodo."""
    run_id, state = facts.runs["nightly"]
    kinds = facts.nightly_log.get("counts", {}).get("by_kind", {})
    seconds = facts.run_seconds["nightly"]
    note = (f"run {run_id}: {state}; errors off, latency kept; started "
            f"{facts.waited:.0f} s after the harvest overlap wait")
    wall = at_most("P7 nightly run wall", seconds, NIGHTLY_SECONDS, "s", note)
    requests = at_most("P7 nightly requests to Zenodo", facts.nightly_log.get("total", 0),
                       NIGHTLY_REQUESTS, "req", f"by kind {kinds or 'none'}")
    if state != "success":
        wall = replace(wall, passed=False, note=wall.note + " (RUN FAILED)")
    return [wall, requests]


def size_rows(facts: Pilot2Facts) -> list[Row]:
    """The largest XCom, the ledger and the sandbox."""
    size, where = facts.xcom
    n = facts.plan.specimens
    ledger_mb, sandbox_mb = facts.ledger_bytes / MB, facts.sandbox_bytes / MB
    rows = ", ".join(f"{k} {v:,}" for k, v in facts.ledger_rows.items())
    return [
        at_most("P7 largest XCom", size, XCOM_LIMIT, "B", where),
        for_context("P7 ledger MB (vs sandbox MB)", ledger_mb, sandbox_mb, "MB",
                    f"ledger (PostgreSQL) {1024 * ledger_mb / n:.1f} KB a specimen, rows: "
                    f"{rows}; sandbox data folder {facts.sandbox_files:,} files, "
                    f"{1024 * sandbox_mb / n:.1f} KB a specimen"),
    ]


def context_rows(facts: Pilot2Facts) -> list[Row]:
    """The collection, the errors injected against the plan, and Table 4 against 2019's."""
    injected = {k: v for k, v in facts.injected.items() if k != OUTAGE}
    errors = sum(injected.values())
    rows = [
        for_context("P7 collection rows", facts.plan.specimens, facts.plan.specimens, "",
                    f"generated in {facts.generated_seconds:.1f} s (COPY into PostgreSQL, "
                    f"a pool of JPEGs); {facts.executor}"),
        for_context("P7 errors injected (run 1)", errors, facts.faults.expected_errors, "",
                    f"{facts.faults.describe()}; injected {injected}; outage "
                    f"{facts.plan.outage:.0f} s ({facts.injected.get(OUTAGE, 0)} "
                    f"answers)"),
    ]
    ours = total_line(facts.batches)
    if ours:
        pilot = table_2019().iloc[-1].to_dict()
        rows.append(for_context("P7 t/n (s a specimen) vs 2019", float(ours["t/n"]),
                                float(pilot["t/n"]), "s",
                                f"ours {ours['records/min']:,.0f} records/min, 2019 "
                                f"{pilot['records/min']:,.1f}; Table 4s printed above"))
    return rows


def page_rows(facts: Pilot2Facts) -> list[Row]:
    """The status page and the run report opened in Chromium, at the collection's size."""
    return [at_most(f"P7 page: {name}", seconds, PAGE_BOUND_S, "s",
                    f"screenshot {facts.screenshots.get(name, '')}")
            for name, seconds in facts.pages.items()]


def pilot2_rows(facts: Pilot2Facts) -> list[Row]:
    """Every P7 row, in reading order."""
    return [*context_rows(facts), *stage_rows(facts), upload_row(facts), *steady_row(facts),
            waiting_row(facts), *memory_rows(facts), *size_rows(facts), harvest_row(facts),
            *census_rows(facts), *nightly_rows(facts), *page_rows(facts)]
