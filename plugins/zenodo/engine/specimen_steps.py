"""One specimen's way to Zenodo: for each ledger state, the one step it calls for.

The rules these steps keep (intent before a write, lookup instead of a second write, leases,
deferrals) are described in docs/exactly-once.md.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from zenodo.engine import backfill
from zenodo.engine.lookup_steps import LookupSteps
from zenodo.engine.outcomes import Outcome, OutcomeKind, Step
from zenodo.errors import (
    AuthFailed,
    ChecksumMismatch,
    NotFound,
    ServerError,
    UnknownOutcome,
    ValidationFailed,
    ZenodoError,
)
from zenodo.ledger.payloads import SpecimenPayload
from zenodo.ledger.rows import LeaseLost
from zenodo.ledger.states import State
from zenodo.source.hashing_reader import UnsafeFile
from zenodo.traffic.breaker import ZenodoUnavailable

if TYPE_CHECKING:
    from zenodo.engine.published_writer import PublishedWriter
    from zenodo.engine.settings import EngineSettings
    from zenodo.engine.statistics import BatchStats
    from zenodo.ledger.rows import SpecimenRow
    from zenodo.ledger.view import LedgerView
    from zenodo.repository.remote import Remote, RemoteDraft

log = logging.getLogger(__name__)

#: A retryable failure (5xx, network, rate limit exhausted) may be retried after this long.
RETRY_AFTER_SECONDS = 15 * 60
#: Steps one specimen may take in one run before we call it stuck.
MAX_STEPS = 12
#: A claim: the leased row (None: another worker holds it) and whether its create intent
#: was recorded with the lease.
Claim = tuple["SpecimenRow | None", bool]


class LeaseKeeperLike(Protocol):
    """Something that renews leases while a specimen is being driven."""

    def hold(self, key: str) -> None:
        """Start renewing ``key``."""

    def drop(self, key: str) -> None:
        """Stop renewing ``key``."""


@dataclass
class SpecimenSteps(LookupSteps):
    """The per-state steps, shared by the worker threads of one batch.

    Each step returns the row its last ledger write returned (the next step starts from it,
    without reading the ledger again) or the specimen's :class:`Outcome`.

    :param ledger: the collection's ledger, bound to this run's lease owner and actor.
    :param remote: the repository (deposit API or InvenioRDM records API).
    :param settings: publish or not, the lease length, the lookup and retry waits.
    :param keeper: renews the leases of the specimens being driven; without one, each step
        renews its specimen's lease itself.
    :param stats: counts the unknown-outcome lookups and what they found, if given.
    :param published: writes the published records in the background, many at a time;
        without one, each is written at once.
    :param aside: runs a new draft's ledger write while its first file is sent; without one,
        the draft is written before.
    """

    ledger: LedgerView
    remote: Remote
    settings: EngineSettings
    keeper: LeaseKeeperLike | None = None
    stats: BatchStats | None = None
    published: PublishedWriter | None = None
    aside: Executor | None = None
    #: Specimens whose draft this run created: the files confirmed on it (name → md5).
    _fresh: dict[str, dict[str, str]] = field(default_factory=dict)
    _waits: dict[str, list[float]] = field(default_factory=dict)
    _steps_left: dict[str, int] = field(default_factory=dict)
    _retries: dict[str, int] = field(default_factory=dict)

    # -- the loop ----------------------------------------------------------------------------

    def claim(self, key: str) -> Claim:
        """Lease ``key``; a NEW specimen's create intent is recorded in the same transaction.
        The row is None when another worker holds it; the flag says an intent was recorded."""
        return self.ledger.claim_to_create(key, ttl_s=self.settings.lease_seconds)

    def unclaim(self, key: str, claimed: Claim) -> None:
        """Give back a claim never driven: its create intent (not sent) is undone, the lease
        released."""
        row, intended = claimed
        if row is None:
            return
        if intended:
            self.ledger.transition(key, State.NEW,
                                   detail={"reason": "the batch stopped before its create"})
        self.let_go(key)

    def drive(self, key: str, payload_for: Callable[[str], SpecimenPayload],
              claimed: Future[Claim] | None = None) -> Outcome:
        """Claim ``key`` (or take its ``claimed`` lease) and step it until it is done, failed,
        deferred or held by another.

        A ``deferred`` specimen keeps its lease (the keeper renews it) until it is driven
        again, or given up with :meth:`let_go`.
        """
        row, intended = claimed.result() if claimed is not None else self.claim(key)
        if row is None:
            return Outcome(OutcomeKind.BUSY, "another worker holds this specimen's lease")
        if self.keeper is not None:
            self.keeper.hold(key)
        last, deferred = row, False
        try:
            outcome, last = self._run(row, payload_for, create_first=intended)
            deferred = outcome.kind is OutcomeKind.DEFERRED
            return outcome
        finally:
            if not deferred:
                self.let_go(key, holding=last.lease_owner is not None)

    def let_go(self, key: str, *, holding: bool = True) -> None:
        """Forget ``key`` and give its lease up (``holding=False``: a write released it)."""
        if self.keeper is not None:
            self.keeper.drop(key)
        self._fresh.pop(key, None)
        self._waits.pop(key, None)
        self._steps_left.pop(key, None)
        self._retries.pop(key, None)
        if holding:
            self.ledger.release([key])

    def _run(
        self, row: SpecimenRow, payload_for: Callable[[str], SpecimenPayload], *,
        create_first: bool = False,
    ) -> tuple[Outcome, SpecimenRow]:
        """Step a claimed specimen; return how it ended and its last row.

        ``create_first``: the claim recorded the create intent, so the first step sends it.

        The budget counts the steps that changed the ledger, across the specimen's deferrals
        in this run: a create that keeps failing with an unknown outcome ends "stuck" instead
        of cycling forever.
        """
        key = row.key
        try:
            payload = payload_for(key)
            while True:
                if self._steps_left.get(key, MAX_STEPS) <= 0 and not self._settled(row):
                    return Outcome(OutcomeKind.STUCK,
                                   f"no final state after {MAX_STEPS} steps"), row
                step = (self._send_create(row, payload) if create_first
                        else self._step(row, payload))
                create_first = False
                if isinstance(step, Outcome):  # done, failed, or deferred: not a step taken
                    return step, row
                self._steps_left[key] = self._steps_left.get(key, MAX_STEPS) - 1
                self._retries.pop(key, None)
                row = step
        except LeaseLost as exc:
            return Outcome(OutcomeKind.LEASE_LOST, str(exc)), row
        except (AuthFailed, ZenodoUnavailable):
            raise
        except (ServerError, UnknownOutcome, ChecksumMismatch, NotFound) as exc:
            return self._again_later(key, exc), row
        except UnsafeFile as exc:  # swapped since validation: sending again will not help
            log.warning("specimen %s: %s", key, exc)
            return self._fail_safely(key, exc, str(exc), retryable=False), row
        except ZenodoError as exc:
            return self._fail_safely(key, exc, str(exc)), row
        except Exception as exc:
            log.exception("specimen %s: unexpected error", key)
            return self._fail_safely(key, exc, f"{type(exc).__name__}: {exc}"), row

    def _again_later(self, key: str, exc: ZenodoError) -> Outcome:
        """Defer ``key`` after a transient failure, or fail it once its retry waits are spent.

        Only idempotent requests get here (a lost create or publish answer is looked up
        instead), and the failed step wrote nothing, so the step is simply tried again.
        """
        waits = self.settings.retry_waits
        tries = self._retries.get(key, 0)
        if tries >= len(waits):
            return self._fail_safely(key, exc, str(exc))
        self._retries[key] = tries + 1
        wait = waits[tries] * random.uniform(1.0, 1.5)
        log.info("specimen %s: %s; trying again in %.1f s", key, exc, wait)
        return Outcome(OutcomeKind.DEFERRED, f"retry: {exc}", after=wait)

    def _settled(self, row: SpecimenRow) -> bool:
        """Whether the row's state needs no more writes in this run."""
        state = State(row.state)
        return state in (State.PUBLISHED, State.VERIFIED, State.QUARANTINED) or (
            state is State.UPLOADED and not self.settings.publish)

    def _step(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        if self.keeper is None:
            self.ledger.renew([row.key], ttl_s=self.settings.lease_seconds)
        state = State(row.state)
        if state in (State.PUBLISHED, State.VERIFIED):
            return Outcome(OutcomeKind.PUBLISHED)
        if state is State.QUARANTINED:
            return Outcome(OutcomeKind.QUARANTINED, "invalid input: not sent")
        if state is State.UPLOADED and not self.settings.publish:
            return Outcome(OutcomeKind.DRAFTED)
        handler = {
            State.NEW: self._create,
            State.UNKNOWN: self._resolve,
            State.DRAFTED: self._upload_files,
            State.UPLOADED: self._publish,
            State.FAILED: self._retry,
            State.STALE: self._refresh,
        }.get(state)
        if handler is None:
            return Outcome(OutcomeKind.SKIPPED, f"state {state} is not handled by the upload step")
        return handler(row, payload)

    # -- create ------------------------------------------------------------------------------

    def _create(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        return self._send_create(self.ledger.record_intent(row.key, "create"), payload)

    def _send_create(self, intent: SpecimenRow, payload: SpecimenPayload) -> Step:
        """Send the create whose ``intent`` is recorded."""
        return self._send(intent, "create", lambda: self.remote.create(payload.metadata),
                          payload)

    def _send(self, intent: SpecimenRow, operation: str, send: Callable[[], RemoteDraft],
              payload: SpecimenPayload | None = None) -> Step:
        """Send one non-idempotent write whose ``intent`` is recorded; record what it answered
        (a new draft's files follow at once, given its ``payload``).

        A lost answer leaves the specimen UNKNOWN (the next step looks it up); a refusal
        (400) fails it for good: sending the same request again would be refused again.
        """
        key = intent.key
        try:
            draft = send()
        except UnknownOutcome as exc:
            log.warning("specimen %s: %s outcome unknown (%s): looking it up", key, operation, exc)
            return intent
        except NotFound as exc:
            if operation == "create":
                raise
            log.warning("specimen %s: %s answered 404 (%s): looking it up", key, operation, exc)
            return intent
        except ValidationFailed as exc:
            self._fail(key, exc, retryable=False)
            return Outcome(OutcomeKind.FAILED, str(exc))
        if operation == "publish":
            return self._record_published(key, draft)
        self._fresh[key] = {}
        if self.aside is None or payload is None:
            return self._record_draft(key, draft)
        drafting = self.aside.submit(self._record_draft, key, draft)
        return self._send_files(key, draft.id, draft.upload_target, payload, {}, self._fresh[key],
                                drafting=drafting)

    def _refresh(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        return backfill.refresh(self.ledger, self.remote, row, payload)

    # -- files -------------------------------------------------------------------------------

    def _upload_files(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        """Send the files; record the last one with UPLOADED (and the publish intent), then
        publish at once: the intent is committed before the publish request leaves."""
        target = row.bucket_url
        fresh = self._fresh.get(row.key)
        on_server: dict[str, str | None] = dict(fresh or {})
        if fresh is None:
            try:
                draft = self.remote.get(row.deposition_id)
            except NotFound as exc:
                return self._not_found(row, payload, exc)
            if draft.published:
                return self._record_published(row.key, draft)
            target = draft.upload_target or target
            self.remote.update(draft, payload.metadata)
            on_server = {name: f.md5 for name, f in draft.files.items()}
            wanted = {f.name for f in payload.files}
            for name in draft.files:
                if name not in wanted:
                    self.remote.delete_file(draft, name)
        return self._send_files(row.key, row.deposition_id, target, payload, on_server, fresh)

    def _send_files(
        self, key: str, deposition_id: str | None, target: str | None,
        payload: SpecimenPayload, on_server: dict[str, str | None],
        fresh: dict[str, str] | None, drafting: Future[SpecimenRow] | None = None,
    ) -> Step:
        """Send the files the draft lacks, record UPLOADED (with the publish intent) and
        publish. ``drafting``: the new draft's ledger write, made aside while the first file
        goes out; every ledger write here waits for it (docs/exactly-once.md, rule 3)."""
        last: list[tuple[str, int, str]] = []  # recorded with UPLOADED, in one transaction
        try:
            for index, spec in enumerate(payload.files):
                if spec.md5 and on_server.get(spec.name) == spec.md5:
                    size, md5 = spec.size or 0, spec.md5
                else:
                    size, md5 = self.remote.upload(deposition_id, spec, target=target)
                if drafting is not None:
                    drafting, written = None, drafting
                    written.result()
                if index == len(payload.files) - 1:
                    last.append((spec.name, size, md5))
                else:
                    self.ledger.record_file(key, name=spec.name, size=size, md5=md5)
                    if fresh is not None:  # a failure later repeats the step without this file
                        fresh[spec.name] = md5
        finally:
            if drafting is not None:
                drafting.result()
        publish = self.settings.publish
        uploaded = self.ledger.record_uploaded(key, files=last,
                                               intent="publish" if publish else None)
        if not publish:
            return uploaded
        return self._send(uploaded, "publish", self._publisher(uploaded))

    # -- publish -----------------------------------------------------------------------------

    def _publish(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        intent = self.ledger.record_intent(row.key, "publish")
        return self._send(intent, "publish", self._publisher(row))

    def _publisher(self, row: SpecimenRow) -> Callable[[], RemoteDraft]:
        """The publish request of ``row``'s draft (a first publication asks for inclusion)."""
        first = row.record_id is None
        return lambda: self.remote.publish(row.deposition_id, first=first)

    # -- failures and retries ----------------------------------------------------------------

    def _retry(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        """Go back to the state the specimen failed in (UNKNOWN if a write was in doubt)."""
        self.ledger.retry(row.key)
        return self.ledger.get(row.key)

    def _fail_safely(self, key: str, exc: BaseException, reason: str, *,
                     retryable: bool = True) -> Outcome:
        """Record a failure (retryable by default); if even that fails, say so and leave the
        row as is."""
        try:
            self._fail(key, exc, retryable=retryable)
        except Exception:
            log.exception("specimen %s: could not record the failure in the ledger", key)
        return Outcome(OutcomeKind.FAILED, reason)

    def _fail(self, key: str, exc: BaseException, *, retryable: bool) -> None:
        self.ledger.record_failure(
            key, kind=getattr(exc, "kind", type(exc).__name__),
            status=getattr(exc, "status", None), message=str(exc)[:2000],
            retry_after=(time.time() + RETRY_AFTER_SECONDS) if retryable else None,
        )
