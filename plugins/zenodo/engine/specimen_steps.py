"""One specimen's way to Zenodo: each ledger state, the one step it calls for.

Rules (DESIGN.md, "Rules that keep records exactly-once"):

- Before a non-idempotent write (create, publish) the ledger records the intent as UNKNOWN
  with the operation. If the process dies, or the answer is lost, the next worker finds
  UNKNOWN and *looks up* what the server holds instead of writing again.
- The remote id is written to the ledger the moment it is known, before the next request.
- Only the lease holder writes; a lost lease stops the specimen at once.
- A fresh draft (created in this run) is known to hold no files, so it goes straight to the
  file PUTs: a one-file specimen costs 3 requests (create, PUT, publish). A draft resumed
  from an earlier run is read first, its metadata rewritten (the source may have changed
  since) and only missing or different files are sent.

Each handler returns the row its last ledger write returned (the next step starts from it,
without reading the ledger again) or the specimen's :class:`Outcome`. Writes that always
follow each other share one transaction: the last file, UPLOADED and the publish intent; the
published ids and the lease's release. After a lost create answer, a search that finds nothing
*defers* the specimen (``Outcome("deferred", after=wait)``): the caller drives it again after
the wait, and the worker thread serves other specimens meanwhile. The lease stays held. A 5xx
or a dropped connection on an idempotent request (a read, a file PUT, a metadata PUT) defers
the specimen the same way, after each of ``retry_waits`` in turn: the ledger did not change,
so driving it again repeats the step (the hook tries such requests once on the engine's
threads, see :meth:`~zenodo.hooks.zenodo.ZenodoHook.leave_retries_to_caller`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from zenodo.engine import backfill
from zenodo.errors import (
    AuthFailed,
    ChecksumMismatch,
    NotFound,
    ServerError,
    UnknownOutcome,
    ValidationFailed,
    ZenodoError,
)
from zenodo.ledger.ledger import LeaseLost
from zenodo.ledger.payloads import SpecimenPayload
from zenodo.ledger.rows import record_order
from zenodo.ledger.states import State
from zenodo.traffic.breaker import ZenodoUnavailable

if TYPE_CHECKING:
    from zenodo.engine.statistics import BatchStats
    from zenodo.ledger.ledger import Ledger, SpecimenRow
    from zenodo.repository.remote import Remote, RemoteDraft

log = logging.getLogger(__name__)

#: A retryable failure (5xx, network, rate limit exhausted) may be retried after this long.
RETRY_AFTER_SECONDS = 15 * 60
#: Steps one specimen may take in one run before we call it stuck.
MAX_STEPS = 12


class LeaseKeeperLike(Protocol):
    """Something that renews leases while a specimen is being driven."""

    def hold(self, key: str) -> None:
        """Start renewing ``key``."""

    def drop(self, key: str) -> None:
        """Stop renewing ``key``."""


@dataclass(frozen=True)
class Outcome:
    """How a specimen's run ended: ``published``, ``drafted``, ``failed``, ``busy`` …"""

    name: str
    reason: str = ""
    #: ``deferred`` only: drive the specimen again after this many seconds.
    after: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the specimen reached what the run asked for."""
        return self.name in ("published", "drafted", "already_published")


#: What one step leads to: the specimen's row after the step's last write, or how it ended.
Step: TypeAlias = "Outcome | SpecimenRow"


@dataclass
class SpecimenSteps:
    """The per-state steps, shared by the worker threads of one batch.

    :param collection: the ledger namespace.
    :param remote: the repository (deposit API or InvenioRDM records API).
    :param ledger: records every outcome.
    :param owner: the lease owner of this run.
    :param actor: written with every ledger event.
    :param publish: ``False`` stops at UPLOADED (drafts left for review).
    :param lease_seconds: lease length; renewed by the keeper (or before each step without one).
    :param lookup_waits: after a lost create, the waits before each search for its deposition.
    :param retry_waits: after a transient failure of an idempotent request, the waits before
        each new try of the step (stretched by up to half at random); then the specimen fails.
    :param keeper: renews the leases of the specimens being driven, if given.
    :param stats: counts the unknown-outcome lookups and what they found, if given.
    """

    collection: str
    remote: Remote
    ledger: Ledger
    owner: str
    actor: dict[str, Any]
    publish: bool = True
    lease_seconds: float = 900.0
    lookup_waits: tuple[float, ...] = (1.0, 3.0, 6.0)
    retry_waits: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
    keeper: LeaseKeeperLike | None = None
    stats: BatchStats | None = None
    #: Specimens whose draft this run created: the files confirmed on it (name → md5).
    _fresh: dict[str, dict[str, str]] = field(default_factory=dict)
    _waits: dict[str, list[float]] = field(default_factory=dict)
    _steps_left: dict[str, int] = field(default_factory=dict)
    _retries: dict[str, int] = field(default_factory=dict)

    # -- the loop ----------------------------------------------------------------------------

    def drive(self, key: str, payload_for: Callable[[str], SpecimenPayload]) -> Outcome:
        """Claim ``key`` and step it until it is done, failed, deferred or held by another.

        Claiming a NEW specimen records its create intent in the same transaction.
        A ``deferred`` specimen keeps its lease (the keeper renews it) until it is driven
        again, or given up with :meth:`let_go`.
        """
        row, intended = self.ledger.claim_to_create(
            self.collection, key, owner=self.owner, ttl_s=self.lease_seconds, actor=self.actor
        )
        if row is None:
            return Outcome("busy", "another worker holds this specimen's lease")
        if self.keeper is not None:
            self.keeper.hold(key)
        outcome, last = Outcome("stopped", "the batch was stopped"), row
        try:
            outcome, last = self._run(row, payload_for, create_first=intended)
            return outcome
        finally:
            if outcome.name != "deferred":
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
            self.ledger.release(self.collection, [key], owner=self.owner)

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
                    return Outcome("stuck", f"no final state after {MAX_STEPS} steps"), row
                step = (self._send_create(row, payload) if create_first
                        else self._step(row, payload))
                create_first = False
                if isinstance(step, Outcome):  # done, failed, or deferred: not a step taken
                    return step, row
                self._steps_left[key] = self._steps_left.get(key, MAX_STEPS) - 1
                self._retries.pop(key, None)
                row = step
        except LeaseLost as exc:
            return Outcome("lease_lost", str(exc)), row
        except (AuthFailed, ZenodoUnavailable):
            raise
        except (ServerError, UnknownOutcome, ChecksumMismatch) as exc:
            return self._again_later(key, exc), row
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
        tries = self._retries.get(key, 0)
        if tries >= len(self.retry_waits):
            return self._fail_safely(key, exc, str(exc))
        self._retries[key] = tries + 1
        wait = self.retry_waits[tries] * random.uniform(1.0, 1.5)
        log.info("specimen %s: %s; trying again in %.1f s", key, exc, wait)
        return Outcome("deferred", f"retry: {exc}", after=wait)

    def _settled(self, row: SpecimenRow) -> bool:
        """Whether the row's state needs no more writes in this run."""
        state = State(row.state)
        return state in (State.PUBLISHED, State.VERIFIED, State.QUARANTINED) or (
            state is State.UPLOADED and not self.publish)

    def _step(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        if self.keeper is None:  # without a keeper thread, each step renews the lease itself
            self.ledger.renew(
                self.collection, [row.key], owner=self.owner, ttl_s=self.lease_seconds
            )
        state = State(row.state)
        if state in (State.PUBLISHED, State.VERIFIED):
            return Outcome("published")
        if state is State.QUARANTINED:
            return Outcome("quarantined", "invalid input: not sent")
        if state is State.UPLOADED and not self.publish:
            return Outcome("drafted")
        handler = {
            State.NEW: self._create,
            State.UNKNOWN: self._resolve,
            State.DRAFTED: self._upload_files,
            State.UPLOADED: self._publish,
            State.FAILED: self._retry,
            State.STALE: self._refresh,
        }.get(state)
        if handler is None:
            return Outcome("skipped", f"state {state} is not handled by the upload step")
        return handler(row, payload)

    # -- create ------------------------------------------------------------------------------

    def _create(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        return self._send_create(self.write_intent(row.key, "create"), payload)

    def _send_create(self, intent: SpecimenRow, payload: SpecimenPayload) -> Step:
        """Send the create whose ``intent`` is recorded."""
        return self._send(intent, "create", lambda: self.remote.create(payload.metadata))

    def _send(self, intent: SpecimenRow, operation: str, send: Callable[[], RemoteDraft]) -> Step:
        """Send one non-idempotent write whose ``intent`` is recorded; record what it answered.

        A lost answer leaves the specimen UNKNOWN (the next step looks it up); a refusal
        (400) fails it for good: sending the same request again would be refused again.
        """
        key = intent.key
        try:
            draft = send()
        except UnknownOutcome as exc:
            log.warning("specimen %s: %s outcome unknown (%s): looking it up", key, operation, exc)
            return intent
        except ValidationFailed as exc:
            self._fail(key, exc, retryable=False)
            return Outcome("failed", str(exc))
        if operation == "publish":
            return self._record_published(key, draft)
        self._fresh[key] = {}
        return self.record_draft(key, draft)

    def _refresh(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        return backfill.refresh(self, row, payload)

    def record_draft(self, key: str, draft: RemoteDraft) -> SpecimenRow:
        """Write the draft's id and upload target to the ledger (DRAFTED)."""
        return self.ledger.record_draft(
            self.collection,
            key,
            owner=self.owner,
            actor=self.actor,
            deposition_id=draft.id,
            bucket_url=draft.upload_target,
        )

    # -- resolve an unknown outcome by lookup, never by writing again ------------------------

    def _resolve(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        operation = self.ledger.pending_operation(row)
        if operation in ("edit", "newversion"):
            return backfill.resolve(self, row, operation, payload)
        if row.deposition_id and operation != "create":
            return self._resolve_known(row, operation)
        return self._resolve_create(row, payload)

    def _resolve_known(self, row: SpecimenRow, operation: str | None) -> Step:
        """The deposition id is known: read it and continue from what the server holds."""
        try:
            draft = self.remote.get(row.deposition_id)
        except NotFound:
            self.found("vanished")
            return self.transition(row.key, State.NEW, reason="lookup: deposition vanished")
        if draft.published:
            self.found("published")
            return self._record_published(row.key, draft)
        self.found("not done")
        target = State.UPLOADED if operation == "publish" else State.DRAFTED
        return self.transition(
            row.key, target, reason=f"lookup: {operation or 'write'} did not happen"
        )

    def _resolve_create(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        """Search for the deposition a lost create may have made, once per lookup wait.

        The first search waits ``lookup_waits[0]``: the search index lags the database, so a
        search at once would find nothing and only spend a request of the rate limit.
        """
        waits = self._waits.get(row.key)
        if waits is None:
            waits = self._waits[row.key] = list(self.lookup_waits)
            if waits:
                return Outcome("deferred", "lookup: waiting for the search index",
                               after=waits.pop(0))
        found = self.find_depositions(payload)
        if not found:
            if waits:
                return Outcome("deferred", "lookup: nothing found yet", after=waits.pop(0))
            self._waits.pop(row.key, None)
            self.found("nothing")
            return self.transition(row.key, State.NEW, reason="lookup: no deposition, create again")
        self._waits.pop(row.key, None)
        keep = self._choose(found)
        self.found("published" if keep.submitted else "draft")
        for extra in found:
            if extra is not keep and not extra.submitted:
                log.warning("specimen %s: deleting duplicate draft %s", row.key, extra.id)
                self.remote.discard(extra.id)
        if keep.submitted:
            return self._record_published(row.key, keep)
        return self.record_draft(row.key, keep)

    def found(self, what: str) -> None:
        """Count one lookup of an unknown outcome and what it found, in the batch's stats."""
        if self.stats is not None:
            self.stats.lookup(what)

    def find_depositions(self, payload: SpecimenPayload) -> list[RemoteDraft]:
        """Our depositions of this specimen (search hits checked for the exact key)."""
        return self.remote.find(payload)

    @staticmethod
    def _choose(found: list[RemoteDraft]) -> RemoteDraft:
        published = [d for d in found if d.submitted]
        return min(published or found, key=lambda d: record_order(d.id))

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
            except NotFound:
                return self.transition(row.key, State.NEW, reason="draft vanished: create again")
            if draft.published:
                return self._record_published(row.key, draft)
            target = draft.upload_target or target
            self.remote.update(draft, payload.metadata)
            on_server = {name: f.md5 for name, f in draft.files.items()}
            wanted = {f.name for f in payload.files}
            for name in draft.files:
                if name not in wanted:
                    self.remote.delete_file(draft, name)
        last: list[tuple[str, int, str]] = []  # recorded with UPLOADED, in one transaction
        for index, spec in enumerate(payload.files):
            if spec.md5 and on_server.get(spec.name) == spec.md5:
                size, md5 = spec.size or 0, spec.md5
            else:
                size, md5 = self.remote.upload(row.deposition_id, spec, target=target)
            if index == len(payload.files) - 1:
                last.append((spec.name, size, md5))
            else:
                self.ledger.record_file(self.collection, row.key, owner=self.owner,
                                        actor=self.actor, name=spec.name, size=size, md5=md5)
                if fresh is not None:  # a failure later repeats the step without this file
                    fresh[spec.name] = md5
        uploaded = self.ledger.record_uploaded(
            self.collection, row.key, owner=self.owner, actor=self.actor, files=last,
            intent="publish" if self.publish else None,
        )
        if not self.publish:
            return uploaded
        return self._send(uploaded, "publish", self._publisher(uploaded))

    # -- publish -----------------------------------------------------------------------------

    def _publish(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        intent = self.write_intent(row.key, "publish")
        return self._send(intent, "publish", self._publisher(row))

    def _publisher(self, row: SpecimenRow) -> Callable[[], RemoteDraft]:
        """The publish request of ``row``'s draft (a first publication asks for inclusion)."""
        first = row.record_id is None
        return lambda: self.remote.publish(row.deposition_id, first=first)

    def _record_published(self, key: str, draft: RemoteDraft) -> SpecimenRow:
        """Write the published record's ids and give the lease up, in one transaction."""
        return self.ledger.record_published(
            self.collection,
            key,
            owner=self.owner,
            actor=self.actor,
            record_id=draft.record_id or draft.id,
            doi=draft.doi,
            concept_doi=draft.concept_doi,
            concept_recid=draft.concept_recid,
            release=True,
        )

    # -- failures and retries ----------------------------------------------------------------

    def _retry(self, row: SpecimenRow, payload: SpecimenPayload) -> Step:
        """Go back to the state the specimen failed in (UNKNOWN if a write was in doubt)."""
        self.ledger.retry(self.collection, row.key, owner=self.owner, actor=self.actor)
        return self.ledger.get(self.collection, row.key)

    def _fail_safely(self, key: str, exc: BaseException, reason: str) -> Outcome:
        """Record a retryable failure; if even that fails, say so and leave the row as is."""
        try:
            self._fail(key, exc, retryable=True)
        except Exception:
            log.exception("specimen %s: could not record the failure in the ledger", key)
        return Outcome("failed", reason)

    def write_intent(self, key: str, operation: str) -> SpecimenRow:
        """Record that a non-idempotent write is about to be sent (UNKNOWN until answered)."""
        return self.ledger.record_unknown(
            self.collection,
            key,
            owner=self.owner,
            actor=self.actor,
            operation=operation,
            message=f"{operation} sent; outcome not yet seen",
        )

    def transition(self, key: str, to: State, *, reason: str) -> SpecimenRow:
        """Move a specimen to ``to`` with the reason in the event."""
        return self.ledger.transition(
            self.collection, key, to, owner=self.owner, actor=self.actor, detail={"reason": reason}
        )

    def _fail(self, key: str, exc: BaseException, *, retryable: bool) -> None:
        status = getattr(exc, "status", None)
        kind = getattr(exc, "kind", type(exc).__name__)
        self.ledger.record_failure(
            self.collection,
            key,
            owner=self.owner,
            actor=self.actor,
            kind=kind,
            status=status,
            message=str(exc)[:2000],
            retry_after=(time.time() + RETRY_AFTER_SECONDS) if retryable else None,
        )
