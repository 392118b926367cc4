"""P3: our engine against the 2019 pilots' Celery uploader, on the same concurrency and faults.

Ours runs as the DAG runs it (4 mapped-task processes x 4 threads), the 2019 uploader
(:class:`bench.baseline_uploader.Uploader2019`) as the pilots' Celery uploader ran: all
creates, then all uploads, then all publishes, three FIFO stages worked by 16 threads, nothing
retried, a log that records a failed publish as published. 16 requests in flight each. Every
run gets a fresh sandbox with the same seeded faults: 100 ms latency, 5 % 5xx on every kind,
2 % commit-then-fail on create and publish, 1 % resets mid-upload.

Each client finishes the job as its operator would: ours runs again over what the ledger says
is not published (the next scheduled run); the 2019 operator submits again what the uploader's
log says failed, until the log shows no failure (at most :data:`PASSES` runs each). After the
first pass and after the last the sandbox is counted through its admin API
(:mod:`bench.log_truth`): specimens published, lost (never published), duplicates, drafts
left and orphan drafts among them (whose id the client never learnt), and how wrong the log is
both ways (says published, nothing online; says not published, a record online). Those rows set ours
(measured) beside the 2019 uploader (bound), as context; ours is scored on its own: no
duplicate, nothing lost, ledger = sandbox.

The 2019 uploader's faults land the same way in every run (one seeded sandbox, one request
order), so its counts repeat: at 400 specimens a first pass publishes 333, the operator's
three re-submissions bring that to 383, and 17 stay lost for good, every one a publish that
failed and was logged published; 49 drafts stay behind, 10 of them orphans of lost create
answers. Its log is never wrong the other way here: a record it logs failed never reached a
publish, so nothing of it is online. The pilots' "logged failed, in fact online" needs a path
this model has not, such as a publish whose answer was lost and which was logged failed.

Two throughput conditions, both context (no target):

- **Latency and faults**: specimens published (at least once, on the sandbox) per minute of
  the clients' wall time; each client runs :data:`REPEATS` times, alternately, and the row
  compares their medians. The 2019 uploader is the faster: it sends no lookup, writes no
  ledger and never waits, and its stage barriers cost little at 16 threads. At 400 specimens,
  two runs each on the 2-core machine under other load, it published 2,250-2,290 a minute, ours
  1,520-1,820 (0.7-0.8 of it); ours publishes every specimen, it loses some 4 %. The issue's
  target, ours at least 1.5 times the baseline, was met against a blind client that retried
  whole records after a sleep; against this one it is not, so the row is context.
- **Zenodo's per-token limit**: Zenodo's 100 requests a minute with time scaled six-fold, 100
  per 10 s (moving window; a refused request is not counted, as on Zenodo), so the run spans
  many windows. Ours takes its requests from the shared pacer; the 2019 uploader has none: its
  creates and uploads fill the window at once, so its publishes meet 429s and are logged
  published, and it published none of 60 in the quick run. The note gives ours as a share of
  the rate bound (requests a minute / 3 a record).
"""

from __future__ import annotations

import os
import pathlib
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import (
    REQUESTS_PER_RECORD,
    Row,
    Sizes,
    at_most,
    for_context,
    new_ledger,
    register_specimens,
    start_sandbox,
    use_connection,
)
from bench.log_truth import Reckoning, reckon
from bench.p3_clients import Client, Client2019, OurClient
from zenodo.ledger.ledger import Ledger
from zenodo_sandbox.testing import SandboxProcess

CONN_ID = "zenodo_bench_p3"
#: What the rows call the baseline.
BASELINE = "2019 Celery uploader"
CONCURRENCY = 16
#: Our run's processes (mapped tasks); the 2019 uploader runs CONCURRENCY threads in one.
PROCESSES = 4
#: Runs per client at most: the first, then again for what is left (ours: not published in
#: the ledger; the 2019 uploader: logged as failed), as an operator finishes a collection.
PASSES = 5
#: Zenodo's 100 requests a minute for a token, time scaled six-fold: (requests, seconds).
LIMIT = (100, 10.0)
LIMIT_PER_MIN = LIMIT[0] * 60 / LIMIT[1]
#: Runs of each client under latency and faults; the throughput row compares their medians.
REPEATS = 5
#: The sandbox here indexes deposits at once (no search lag), so one search after a short wait
#: settles a lost create; against Zenodo the engine's default waits (1, 3, 6 s) cover its lag.
LOOKUP_WAITS = (0.5,)
LATENCY_S = 0.1
_WRITE_FAULTS = {"latency": LATENCY_S, "error_rate": 0.05, "commit_then_fail": 0.02,
                 "commit_fail_mode": "mixed"}
FAULTS: dict[str, Any] = {
    "seed": 2019,
    "kinds": {
        "*": {"latency": LATENCY_S, "error_rate": 0.05},
        "create": _WRITE_FAULTS,
        "publish": _WRITE_FAULTS,
        "file_put": {"latency": LATENCY_S, "error_rate": 0.05, "reset_upload": 0.01},
    },
}


@dataclass(frozen=True)
class Outcome:
    """One client's run under one condition, as the sandbox saw it.

    :param first: the sandbox and the log after the first pass.
    :param final: the same after the operator's re-submissions.
    """

    seconds: float
    passes: int
    first: Reckoning
    final: Reckoning
    requests: int
    limited: int  # answers 429
    faults: int  # faults the sandbox injected

    @property
    def per_minute(self) -> float:
        """Specimens published (at least once) per minute of wall time."""
        return self.final.census.published / (self.seconds / 60)

    def describe(self) -> str:
        """The outcome in a few words for the table's notes."""
        census = self.final.census
        return (f"{census.published}/{census.total} in {self.seconds:.1f} s, "
                f"{self.passes} pass(es), {self.requests} requests ({self.limited} x 429), "
                f"{self.faults} faults injected")


def _client(ledger: Ledger, sandbox: SandboxProcess, *, ours: bool,
            limit: tuple[int, float] | None) -> Client:
    if ours:
        return OurClient(ledger, CONN_ID, use_connection(CONN_ID, sandbox), processes=PROCESSES,
                         threads=CONCURRENCY // PROCESSES, limit=limit,
                         lookup_waits=LOOKUP_WAITS)
    return Client2019(ledger, sandbox.url, sandbox.token, workers=CONCURRENCY)


def measure(ledger: Ledger, keys: list[str], *, ours: bool,
            limit: tuple[int, float] | None) -> Outcome:
    """Run one client on a fresh sandbox with :data:`FAULTS` (and ``limit`` if set).

    Pass after pass, until the client's log says every specimen is published (at most
    :data:`PASSES`), the operator submits again what the log says is not; the sandbox is
    reckoned after the first pass and after the last.
    """
    limits = {"api": f"{limit[0]}/{limit[1]:g}s"} if limit else None
    sandbox = start_sandbox(faults=FAULTS, limits=limits)
    try:
        client = _client(ledger, sandbox, ours=ours, limit=limit)
        mine = ledger if ours else None

        def reckoning() -> Reckoning:
            return reckon(sandbox.admin, keys, client.says_published(), client.drafts_known(),
                          mine)

        def left(among: list[str]) -> list[str]:
            said = client.says_published()
            return [key for key in among if not said.get(key, False)]

        seconds, passes = client.run(keys), 1
        first, pending = reckoning(), left(keys)
        while pending and passes < PASSES:
            seconds += client.run(pending)
            passes += 1
            pending = left(pending)
        final = reckoning() if passes > 1 else first
        statuses = sandbox.admin.requests()["counts"]["by_status"]
        injected = sandbox.admin.faults()["injected"]
    finally:
        sandbox.stop()
        os.environ.pop(f"AIRFLOW_CONN_{CONN_ID.upper()}", None)
    return Outcome(seconds, passes, first, final, sum(statuses.values()),
                   statuses.get("429", 0), sum(injected.values()))


def _fresh_run(work: pathlib.Path, name: str, count: int, *, ours: bool,
               limit: tuple[int, float] | None) -> Outcome:
    """One client's run on a fresh ledger with ``count`` specimens, in ``work / name``."""
    ledger = new_ledger(work / name)
    keys = register_specimens(ledger, work / name, count)
    return measure(ledger, keys, ours=ours, limit=limit)


#: The side-by-side rows: what each reads off a reckoning.
_COMPARED: tuple[tuple[str, Callable[[Reckoning], int]], ...] = (
    ("published", lambda r: r.census.published),
    ("lost (never published)", lambda r: r.census.lost),
    ("duplicates", lambda r: r.census.duplicates),
    ("drafts left", lambda r: r.census.drafts),
    ("orphan drafts (id never learnt)", lambda r: r.orphans),
    ("log says published, not online", lambda r: r.published_not_online),
    ("log says not published, online", lambda r: r.failed_but_online),
)


def side_by_side(free: dict[bool, list[Outcome]], limited: dict[bool, Outcome]) -> list[Row]:
    """Context rows: ours (measured) next to the 2019 uploader (bound), same faults.

    Each row sums the runs without limit after the re-submissions; its note gives the same
    sums after one pass, and the run under the limit after one pass and after the last.
    """
    runs = len(free[True])
    specimens = sum(o.final.census.total for o in free[True])
    rows = []
    for name, count in _COMPARED:
        first = {side: sum(count(o.first) for o in free[side]) for side in (True, False)}
        final = {side: sum(count(o.final) for o in free[side]) for side in (True, False)}
        under = {side: f"{count(limited[side].first)} then {count(limited[side].final)}"
                 for side in (True, False)}
        note = (f"{runs} runs without limit, {specimens} specimens, after re-submissions; "
                f"after one pass ours {first[True]}, 2019 uploader {first[False]}; under the "
                f"limit, one pass then re-submissions: ours {under[True]}, 2019 uploader "
                f"{under[False]}")
        rows.append(for_context(f"P3 {name}, ours vs {BASELINE}", final[True], final[False],
                                "", note))
    return rows


def run(sizes: Sizes, work: pathlib.Path, facts: dict[str, Any]) -> list[Row]:
    """Run both clients under both conditions, on fresh ledgers and sandboxes."""
    count = sizes.p3_specimens
    free: dict[bool, list[Outcome]] = {False: [], True: []}
    for i in range(REPEATS):  # alternately, so a slow spell of the machine hits both
        for ours in (False, True):
            name = f"p3-{'ours' if ours else '2019'}-free-{i + 1}"
            free[ours].append(_fresh_run(work, name, count, ours=ours, limit=None))
    limited = {ours: _fresh_run(work, f"p3-{'ours' if ours else '2019'}-limited", count,
                                ours=ours, limit=LIMIT)
               for ours in (False, True)}
    base, ours = limited[False], limited[True]
    bound = LIMIT_PER_MIN / REQUESTS_PER_RECORD
    free_note = (f"the 2019 uploader: 3 FIFO stages, no retry, operator re-submits what its "
                 f"log says failed; context, no target (the issue's 1.5x was met against a "
                 f"blind retrying client, not against this one); medians of {REPEATS} runs "
                 f"each, concurrency {CONCURRENCY}, latency {LATENCY_S * 1000:.0f} ms; "
                 f"rec/min ours "
                 f"{', '.join(f'{o.per_minute:.0f}' for o in free[True])}, 2019 uploader "
                 f"{', '.join(f'{o.per_minute:.0f}' for o in free[False])}; "
                 f"ours {'; '.join(o.describe() for o in free[True])}; "
                 f"2019 uploader {'; '.join(o.describe() for o in free[False])}")
    limited_note = (f"sandbox limit {LIMIT[0]} per {LIMIT[1]:g} s (rate bound "
                    f"{bound:.0f} rec/min); "
                    f"ours {ours.describe()}, {ours.per_minute / bound:.2f} of the rate bound; "
                    f"2019 uploader {base.describe()}; {_ceiling(bound, base.per_minute)}")
    everyone = [o.final.census for o in (*free[True], ours)]
    return [
        for_context(f"P3 records/min, ours vs {BASELINE}, faults", _median_rate(free[True]),
                    _median_rate(free[False]), "rec/min", free_note),
        for_context(f"P3 records/min, ours vs {BASELINE}, Zenodo limits", ours.per_minute,
                    base.per_minute, "rec/min", limited_note),
        at_most("P3 our duplicates (sandbox)", sum(c.duplicates for c in everyone), 0, "",
                f"ours left {sum(c.drafts for c in everyone)} drafts"),
        at_most("P3 ours not published", sum(c.lost for c in everyone), 0, "",
                f"after {', '.join(str(o.passes) for o in free[True])} pass(es) in the runs "
                f"without limit, {ours.passes} with it"),
        at_most("P3 ours ledger != sandbox", sum(c.mismatched for c in everyone), 0, ""),
        *side_by_side(free, limited),
    ]


def _median_rate(outcomes: list[Outcome]) -> float:
    return statistics.median(o.per_minute for o in outcomes)


def _ceiling(bound: float, baseline: float) -> str:
    """How far any client within the limit could outrun the 2019 uploader."""
    if not baseline:
        return "the 2019 uploader published nothing, so no ratio bounds ours"
    return (f"the most any client within the limit could reach here is "
            f"{bound / baseline:.2f}x the 2019 uploader (rate bound / 2019 uploader)")
