"""Shared pieces of the benchmark suite: result rows, the table, sizes, sandbox and ledger set-up.

Every benchmark returns :class:`Row` objects: a figure measured in this run, the bound it is
held against (also measured or computed in this run), their ratio and the target. A row whose
target is "at least" passes when ``ratio >= target``; an "at most" row passes when
``measured <= bound`` (its ratio is then ``bound / measured``, so ``>= 1`` is good too).
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.ledger.ledger import Ledger
from zenodo_sandbox.testing import SandboxProcess

__all__ = ["COLLECTION", "register_specimens"]

#: Zenodo's documented limits for one token (reference: zenodo-api.md section 4.1).
ZENODO_PER_MINUTE = 100
ZENODO_PER_HOUR = 5000
#: create + one file PUT + publish with the legacy deposit API.
REQUESTS_PER_RECORD = 3


@dataclass(frozen=True)
class Row:
    """One line of the table.

    :param benchmark: what was measured.
    :param measured: the figure from this run.
    :param bound: what it is held against.
    :param unit: printed after measured and bound.
    :param ratio: ``measured / bound`` (at-least rows) or ``bound / measured`` (at-most
        rows); ``None`` when it has no meaning (a count that must be 0).
    :param target: the target, as printed.
    :param passed: whether the target is met (always true for a context row).
    :param note: context printed under the table.
    :param scored: ``False`` for a context row: printed, held to no target.
    """

    benchmark: str
    measured: float
    bound: float
    unit: str
    ratio: float | None
    target: str
    passed: bool
    note: str = ""
    scored: bool = True


def at_least(benchmark: str, measured: float, bound: float, unit: str, target: float,
             note: str = "") -> Row:
    """A row that passes when ``measured / bound >= target``."""
    ratio = measured / bound if bound else 0.0
    return Row(benchmark, measured, bound, unit, ratio, f"ratio >= {target:g}",
               ratio >= target, note)


def at_most(benchmark: str, measured: float, bound: float, unit: str, note: str = "") -> Row:
    """A row that passes when ``measured <= bound``; its ratio is ``bound / measured``."""
    ratio = bound / measured if measured else None
    target = "= 0" if bound == 0 else "<= bound"
    return Row(benchmark, measured, bound, unit, ratio, target, measured <= bound, note)


def for_context(benchmark: str, measured: float, bound: float, unit: str,
                note: str = "") -> Row:
    """A row printed beside the scored ones to explain them; it has no target."""
    ratio = measured / bound if bound else None
    return Row(benchmark, measured, bound, unit, ratio, "-", True, note, scored=False)


def _number(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.2f} %"
    text = f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:.3g}"
    if 1 <= abs(value) < 1000 and not float(value).is_integer():
        text = f"{value:.1f}"
    return f"{text} {unit}".strip()


def format_table(rows: Iterable[Row]) -> str:
    """Render rows as one plain-text table, notes listed under it."""
    rows = list(rows)
    header = ("benchmark", "measured", "bound", "ratio", "target", "pass")
    cells = [header] + [
        (r.benchmark, _number(r.measured, r.unit), _number(r.bound, r.unit),
         "-" if r.ratio is None else f"{r.ratio:.3f}", r.target,
         "-" if not r.scored else "yes" if r.passed else "NO")
        for r in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def line(values: tuple[str, ...]) -> str:
        first = values[0].ljust(widths[0])
        rest = [v.rjust(w) for v, w in zip(values[1:4], widths[1:4], strict=True)]
        tail = [v.ljust(w) for v, w in zip(values[4:], widths[4:], strict=True)]
        return " | ".join([first, *rest, *tail]).rstrip()

    out = [line(cells[0]), "-+-".join("-" * w for w in widths)]
    out += [line(c) for c in cells[1:]]
    notes = [f"  {r.benchmark}: {r.note}" for r in rows if r.note]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark is (``FULL`` for ``make bench``, ``QUICK`` for the smoke test)."""

    p1_specimens: int
    p1_limit: int  # requests a window on the sandbox and in the shared pacer
    p1_workers: int  # processes, like mapped tasks
    p1_threads: int  # threads per process
    p2_specimens: int
    p3_specimens: int
    p4_bytes: int
    p5_records: int
    r2_specimens: int
    r1_specimens: int  # the fault soak through the DAG
    r1_outage: float  # seconds of its outage
    r1_storm: float  # seconds of each of its 429 bursts
    p1_window: int = 60  # seconds of P1's rate-limit window (Zenodo's: a minute)
    p7_specimens: int = 281_372  # pilot 2 through the DAG (``--only pilot2``): 2019's size
    p7_outage: float = 180.0  # seconds of its outage (at most half its expected upload time)
    p7_threads: int = 4  # worker threads per upload task (``--threads``)
    p8_bytes: int = 2 * 1024**3  # the object P8 streams from an S3-API server (``--only p8``)
    p9_specimens: int = 6000  # the engine alone under P7's faults (``--only p9``)
    p9_workers: int = 4  # its processes, like P7's upload tasks at once
    p9_threads: int = 8  # threads per process


FULL = Sizes(p1_specimens=2000, p1_limit=2400, p1_workers=4, p1_threads=2,
             p2_specimens=1000, p3_specimens=400, p4_bytes=2 * 1024**3, p5_records=20_000,
             r2_specimens=300, r1_specimens=5000, r1_outage=120.0, r1_storm=15.0)
QUICK = Sizes(p1_specimens=200, p1_limit=3000, p1_workers=2, p1_threads=2,
              p2_specimens=150, p3_specimens=60, p4_bytes=200 * 1024**2, p5_records=2000,
              r2_specimens=45, r1_specimens=300, r1_outage=20.0, r1_storm=5.0,
              p7_specimens=3000, p7_outage=60.0, p8_bytes=64 * 1024**2,
              p9_specimens=600)


def connection_json(sandbox: SandboxProcess, **extra: Any) -> str:
    """The JSON form of an Airflow ``zenodo`` connection to the sandbox (our pacer, not its)."""
    options = {"rate_limit_profile": "none", "read_timeout": 30, **extra}
    return json.dumps({"conn_type": "zenodo", "host": sandbox.url,
                       "password": sandbox.token, "extra": options})


def use_connection(conn_id: str, sandbox: SandboxProcess) -> str:
    """Point Airflow connection ``conn_id`` (an environment variable) at the sandbox."""
    text = connection_json(sandbox)
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = text
    return text


def start_sandbox(**options: Any) -> SandboxProcess:
    """Start a sandbox that logs warnings only (its per-request lines cost time)."""
    options.setdefault("limits_profile", "none")
    options["extra_args"] = [*options.get("extra_args", []), "--log-level", "warning"]
    return SandboxProcess(**options).start()


def new_ledger(folder: pathlib.Path) -> Ledger:
    """A migrated SQLite ledger in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(f"sqlite:///{folder / 'ledger.db'}")
    ledger.migrate()
    return ledger


def quiet_logs() -> None:
    """Keep the engine's per-specimen warnings (expected under faults) out of the table."""
    for name in ("bench", "airflow", "alembic", "httpx", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # The engine logs each failed try with its traceback; the rows count what it led to.
    logging.getLogger("zenodo").setLevel(logging.CRITICAL)


def mean_tally_latency_s(rows: Iterable[Mapping[str, Any]]) -> float:
    """The mean server-side latency of the requests counted in the sandbox's request tally
    rows (``count`` requests, ``latency_ms`` their sum), in seconds."""
    requests = latency_ms = 0.0
    for row in rows:
        requests += row["count"]
        latency_ms += row["latency_ms"]
    return latency_ms / requests / 1000 if requests else 0.0


def mean_latency_s(entries: Iterable[Mapping[str, Any]]) -> float:
    """The mean server-side latency of logged requests, in seconds."""
    values = [float(e["latency_ms"]) for e in entries if e.get("latency_ms") is not None]
    return statistics.fmean(values) / 1000 if values else 0.0
