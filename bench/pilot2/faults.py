"""The 2019 error mix as a sandbox fault configuration, and its arithmetic.

Pilot 2 met 11,532 errors for 281,372 records: 404 50 %, 504 18 %, 502 17 %, 500 15 %. Spread
over requests (the deposit API sends 3 a one-file record), that is a chance ``p`` per request
of ``11,532 / (281,372 x 3)``, about 1.37 %, on every kind of request (OAI-PMH included).
The 504s of the two writes that are not idempotent (create, publish) are commit-then-fail: the
write is done, then the gateway answers 504, as a proxy timing out on a slow Zenodo does.
Every request also waits ``latency`` seconds.

A status the sandbox cannot inject (its fault injector accepts 5xx only) keeps its share of
the errors: it is sent as the other statuses, in their 2019 ratio, so the overall rate stays
the 2019 one; :attr:`FaultPlan.substituted` names it and the table's notes say so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bench.common import REQUESTS_PER_RECORD
from bench.p6_scale import PILOT_RECORDS
from zenodo_sandbox.faults import normalise

#: Errors pilot 2 met over its 281,372 records.
PILOT_ERRORS = 11_532
#: The 2019 errors by HTTP status, in per cent.
ERROR_MIX: Mapping[int, int] = {404: 50, 504: 18, 502: 17, 500: 15}
#: The status a commit-then-fail answers with (the sandbox's ``gateway`` mode).
COMMIT_STATUS = 504
#: The writes whose 504s commit first (not idempotent: a blind retry would duplicate).
COMMIT_KINDS = ("create", "publish")
LATENCY_S = 0.05


def error_rate(errors: int = PILOT_ERRORS, records: int = PILOT_RECORDS,
               requests_per_record: int = REQUESTS_PER_RECORD) -> float:
    """Return the chance of an error per request: ``errors / (records x requests a record)``."""
    return errors / (records * requests_per_record)


def sandbox_injects(status: int) -> bool:
    """Tell whether the sandbox's fault injector accepts ``status`` as an injected error."""
    try:
        normalise({"kinds": {"*": {"error_statuses": [status]}}}, 0.0)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class FaultPlan:
    """The faults of one P7 run.

    :param records: specimens in the collection.
    :param rate: chance of an error per request (:func:`error_rate`).
    :param mix: status -> weight actually injected (the 2019 mix less what the sandbox
        cannot inject, whose share goes to the others in their ratio).
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

    @property
    def commit_share(self) -> float:
        """The share of the injected errors that are :data:`COMMIT_STATUS`."""
        return self.mix.get(COMMIT_STATUS, 0) / sum(self.mix.values())

    def write_rates(self) -> tuple[float, float]:
        """Return ``(error_rate, commit_then_fail)`` of a :data:`COMMIT_KINDS` request.

        The injector draws the error first and commit-then-fail only when no error was
        drawn, so ``commit_then_fail`` is divided by the chance of no error; both together
        make ``rate`` errors a request, ``commit_share`` of them 504s after the write.
        """
        plain = self.rate * (1 - self.commit_share)
        return plain, self.rate * self.commit_share / (1 - plain)

    def statuses(self, *, without: int | None = None) -> list[int]:
        """The sandbox's ``error_statuses`` list: each status repeated by its weight."""
        return [s for s, w in sorted(self.mix.items()) if s != without for _ in range(w)]

    def config(self) -> dict[str, Any]:
        """The sandbox's fault configuration (``--faults`` / ``PUT /admin/faults``)."""
        plain, commit = self.write_rates()
        writes = {"latency": self.latency, "error_rate": plain,
                  "error_statuses": self.statuses(without=COMMIT_STATUS),
                  "commit_then_fail": commit, "commit_fail_mode": "gateway"}
        kinds: dict[str, Any] = {"*": {"latency": self.latency, "error_rate": self.rate,
                                       "error_statuses": self.statuses()}}
        kinds.update({kind: dict(writes) for kind in COMMIT_KINDS})
        return {"seed": self.seed, "kinds": kinds}

    def quiet_config(self) -> dict[str, Any]:
        """The same latency without errors (for the nightly run)."""
        return {"seed": self.seed, "kinds": {"*": {"latency": self.latency}}}

    def describe(self) -> str:
        """One line for the table's notes."""
        total = sum(self.mix.values())
        mix = ", ".join(f"{s} {100 * w / total:.0f} %" for s, w in sorted(self.mix.items()))
        plain, commit = self.write_rates()
        text = (f"{100 * self.rate:.3f} % of requests ({self.expected_errors:,.0f} expected for "
                f"{self.records:,} records): {mix}; create/publish: {100 * plain:.3f} % errors "
                f"+ {100 * commit:.3f} % commit-then-fail ({COMMIT_STATUS}); latency "
                f"{1000 * self.latency:.0f} ms")
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
