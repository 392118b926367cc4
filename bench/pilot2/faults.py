"""The 2019 error mix as a sandbox fault configuration, and its arithmetic.

Pilot 2 met 11,532 errors for 281,372 records: 404 50 %, 504 18 %, 502 17 %, 500 15 %. Spread
over requests (the deposit API sends 3 a one-file record), that is a chance ``p`` per request
of ``11,532 / (281,372 x 3)``, about 1.37 %, on every kind of request (OAI-PMH included).
The 504s of the two writes that are not idempotent (create, publish) are commit-then-fail: the
write is done, then the gateway answers 504, as a proxy timing out on a slow Zenodo does.
Every request also waits ``latency`` seconds.

The 404s are answered where a request names a deposition (a file upload, a publish, a read),
as zenodo.org answered pilot 2 for depositions it held; a request that names none (create,
lists, searches, OAI-PMH) gets the other statuses in their 2019 ratio. A status the sandbox
could not inject at all would give its share to the others the same way
(:attr:`FaultPlan.substituted` names it, and the table's notes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bench.common import REQUESTS_PER_RECORD
from bench.p6_scale import PILOT_RECORDS
from zenodo_sandbox.faults import OBJECT_KINDS, normalise

#: Errors pilot 2 met over its 281,372 records.
PILOT_ERRORS = 11_532
#: The 2019 errors by HTTP status, in per cent.
ERROR_MIX: Mapping[int, int] = {404: 50, 504: 18, 502: 17, 500: 15}
#: The status a commit-then-fail answers with (the sandbox's ``gateway`` mode).
COMMIT_STATUS = 504
#: The writes whose 504s commit first (not idempotent: a blind retry would duplicate).
COMMIT_KINDS = ("create", "publish")
LATENCY_S = 0.05
#: The seed of P7's collection and faults (2019-05-16, the day of the pilot's outage).
SEED = 2019_05_16


def error_rate(errors: int = PILOT_ERRORS, records: int = PILOT_RECORDS,
               requests_per_record: int = REQUESTS_PER_RECORD) -> float:
    """Return the chance of an error per request: ``errors / (records x requests a record)``."""
    return errors / (records * requests_per_record)


def sandbox_injects(status: int, kind: str = "get") -> bool:
    """Tell whether the sandbox's fault injector accepts ``status`` for requests of ``kind``."""
    try:
        normalise({"kinds": {kind: {"error_statuses": [status]}}}, 0.0)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class FaultPlan:
    """The faults of one P7 run.

    :param records: specimens in the collection.
    :param rate: chance of an error per request (:func:`error_rate`).
    :param mix: status -> weight injected where a request names a deposition (the 2019 mix
        less what the sandbox cannot inject, whose share goes to the others in their ratio).
    :param substituted: 2019 statuses the sandbox could not inject.
    :param latency: seconds added to every request.
    :param seed: the sandbox's fault seed (same seed, same draws).
    """

    records: int
    rate: float
    mix: Mapping[int, int]
    substituted: tuple[int, ...]
    latency: float
    seed: int

    @property
    def expected_errors(self) -> float:
        """Errors the plan expects for its records at 3 requests a record (retries aside)."""
        return self.records * REQUESTS_PER_RECORD * self.rate

    def kind_mix(self, kind: str) -> dict[int, int]:
        """The statuses of ``kind``: a request that names no deposition (create, list, search,
        OAI-PMH) cannot be answered "not found", so 404's share goes to the others there."""
        return {s: w for s, w in self.mix.items() if sandbox_injects(s, kind)}

    def commit_share(self, kind: str) -> float:
        """The share of ``kind``'s injected errors that are :data:`COMMIT_STATUS`."""
        mix = self.kind_mix(kind)
        return mix.get(COMMIT_STATUS, 0) / sum(mix.values())

    def write_rates(self, kind: str) -> tuple[float, float]:
        """Return ``(error_rate, commit_then_fail)`` of a :data:`COMMIT_KINDS` request.

        The injector draws the error first and commit-then-fail only when no error was
        drawn, so ``commit_then_fail`` is divided by the chance of no error; both together
        make ``rate`` errors a request, ``commit_share`` of them 504s after the write.
        """
        share = self.commit_share(kind)
        plain = self.rate * (1 - share)
        return plain, self.rate * share / (1 - plain)

    def statuses(self, kind: str, *, without: int | None = None) -> list[int]:
        """``kind``'s ``error_statuses`` list: each status repeated by its weight."""
        return [s for s, w in sorted(self.kind_mix(kind).items()) if s != without
                for _ in range(w)]

    def config(self) -> dict[str, Any]:
        """The sandbox's fault configuration (``--faults`` / ``PUT /admin/faults``).

        ``*`` covers the kinds that name no deposition; every kind that does is listed.
        """
        kinds: dict[str, Any] = {"*": {"latency": self.latency, "error_rate": self.rate,
                                       "error_statuses": self.statuses("list")}}
        for kind in sorted(OBJECT_KINDS - set(COMMIT_KINDS)):
            kinds[kind] = {"latency": self.latency, "error_rate": self.rate,
                           "error_statuses": self.statuses(kind)}
        for kind in COMMIT_KINDS:
            plain, commit = self.write_rates(kind)
            kinds[kind] = {"latency": self.latency, "error_rate": plain,
                           "error_statuses": self.statuses(kind, without=COMMIT_STATUS),
                           "commit_then_fail": commit, "commit_fail_mode": "gateway"}
        return {"seed": self.seed, "kinds": kinds}

    def quiet_config(self) -> dict[str, Any]:
        """The same latency without errors (for the nightly run)."""
        return {"seed": self.seed, "kinds": {"*": {"latency": self.latency}}}

    def describe(self) -> str:
        """One line for the table's notes."""
        total = sum(self.mix.values())
        mix = ", ".join(f"{s} {100 * w / total:.0f} %" for s, w in sorted(self.mix.items()))
        writes = "; ".join(
            f"{kind}: {100 * plain:.3f} % errors + {100 * commit:.3f} % commit-then-fail "
            f"({COMMIT_STATUS})" for kind in COMMIT_KINDS
            for plain, commit in [self.write_rates(kind)])
        text = (f"{100 * self.rate:.3f} % of requests ({self.expected_errors:,.0f} expected for "
                f"{self.records:,} records): {mix}, 404 only where a request names a "
                f"deposition (create, lists, searches and OAI-PMH get the others in their "
                f"ratio); {writes}; latency {1000 * self.latency:.0f} ms")
        if self.substituted:
            text += (f"; the sandbox cannot inject {', '.join(map(str, self.substituted))}: "
                     "sent as the other statuses, in their 2019 ratio")
        return text


def plan_faults(records: int, *, seed: int, latency: float = LATENCY_S,
                injects: Callable[[int], bool] = sandbox_injects) -> FaultPlan:
    """Return the 2019 error mix for ``records`` specimens, as far as the sandbox injects it.

    :param injects: which statuses the sandbox can inject (default: asks its validator).
    """
    mix = {status: weight for status, weight in ERROR_MIX.items() if injects(status)}
    if not mix:
        raise ValueError(f"the sandbox injects none of the 2019 statuses {sorted(ERROR_MIX)}")
    missing = tuple(sorted(set(ERROR_MIX) - set(mix)))
    return FaultPlan(records, error_rate(), mix, missing, latency, seed)
