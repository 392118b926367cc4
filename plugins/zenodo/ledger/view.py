"""One worker's view of the ledger: one collection, with the lease owner and actor of its writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from zenodo.ledger.actor import Actor
from zenodo.ledger.batch_moves import Move
from zenodo.ledger.states import State
from zenodo.ledger.step_writes import published_detail, published_values

if TYPE_CHECKING:
    from zenodo.ledger.batch_moves import MoveError
    from zenodo.ledger.ledger import Ledger
    from zenodo.ledger.rows import SpecimenRow


@dataclass(frozen=True)
class LedgerView:
    """The ledger's reads and guarded writes for one collection, as ``owner`` and ``actor``.

    Each method is the :class:`~zenodo.ledger.ledger.Ledger` method of the same name with
    ``collection``, ``owner`` and ``actor`` filled in. The view remembers the row each of its
    reads and writes returned, and hands it to the next write of that specimen as ``seen``.
    """

    ledger: Ledger
    collection: str
    owner: str
    actor: Actor = None
    _seen: dict[str, SpecimenRow] = field(default_factory=dict, init=False, repr=False,
                                          compare=False)

    def _keep(self, row: SpecimenRow) -> SpecimenRow:
        """Remember ``row`` as the latest seen of its specimen; return it."""
        self._seen[row.key] = row
        return row

    # -- reads and leases --

    def get(self, key: str) -> SpecimenRow | None:
        """Return a snapshot of one specimen, or None when the ledger has none."""
        row = self.ledger.get(self.collection, key)
        return self._keep(row) if row is not None else None

    def pending_operation(self, row: SpecimenRow) -> str | None:
        """Return the write whose outcome an UNKNOWN specimen waits on (e.g. ``create``)."""
        return self.ledger.pending_operation(row)

    def claim(self, keys: Iterable[str], *, ttl_s: float) -> list[str]:
        """Lease the specimens no other live lease holds; return the claimed keys in order."""
        return self.ledger.claim(self.collection, keys, owner=self.owner, ttl_s=ttl_s)

    def claim_to_create(self, key: str, *, ttl_s: float) -> tuple[SpecimenRow | None, bool]:
        """Lease one specimen; a NEW one also gets its create intent (see the ledger's)."""
        row, intended = self.ledger.claim_to_create(self.collection, key, owner=self.owner,
                                                    ttl_s=ttl_s, actor=self.actor)
        return (self._keep(row) if row is not None else None), intended

    def renew(self, keys: Iterable[str], *, ttl_s: float) -> list[str]:
        """Extend the leases this owner still holds; return those keys."""
        return self.ledger.renew(self.collection, keys, owner=self.owner, ttl_s=ttl_s)

    def release(self, keys: Iterable[str]) -> None:
        """Give up this owner's leases on the keys."""
        keys = list(keys)
        for key in keys:
            self._seen.pop(key, None)
        self.ledger.release(self.collection, keys, owner=self.owner)

    # -- guarded writes --

    def transition(self, key: str, to: State, *, detail: Mapping[str, Any] | None = None,
                   expect: Iterable[State] | None = None, **fields: Any) -> SpecimenRow:
        """Move a leased specimen to ``to`` (or stay) and update fields, atomically."""
        return self._keep(self.ledger.transition(
            self.collection, key, to, owner=self.owner, actor=self.actor, detail=detail,
            expect=expect, seen=self._seen.get(key), **fields))

    def move_many(self, moves: Sequence[Move]) -> dict[str, MoveError]:
        """Apply many leased specimens' moves in one transaction; return the refused ones."""
        for move in moves:
            self._seen.pop(move.key, None)
        return self.ledger.move_many(self.collection, moves, owner=self.owner, actor=self.actor)

    def record_intent(self, key: str, operation: str) -> SpecimenRow:
        """Record that a non-idempotent write is about to be sent (UNKNOWN until answered)."""
        return self._keep(self.ledger.record_unknown(
            self.collection, key, owner=self.owner, actor=self.actor, operation=operation,
            seen=self._seen.get(key)))

    def record_draft(self, key: str, *, deposition_id: int | str,
                     bucket_url: str) -> SpecimenRow:
        """Persist a new (or newly found) draft: DRAFTED."""
        return self._keep(self.ledger.record_draft(
            self.collection, key, owner=self.owner, actor=self.actor,
            deposition_id=deposition_id, bucket_url=bucket_url, seen=self._seen.get(key)))

    def record_file(self, key: str, *, name: str, size: int, md5: str) -> SpecimenRow:
        """Mark one file confirmed by the server."""
        return self._keep(self.ledger.record_file(
            self.collection, key, owner=self.owner, actor=self.actor, name=name, size=size,
            md5=md5, seen=self._seen.get(key)))

    def record_uploaded(self, key: str, *, files: Iterable[tuple[str, int, str]] = (),
                        intent: str | None = None) -> SpecimenRow:
        """Move to UPLOADED (the last files and the next write's intent in one transaction)."""
        return self._keep(self.ledger.record_uploaded(
            self.collection, key, owner=self.owner, actor=self.actor, files=files,
            intent=intent, seen=self._seen.get(key)))

    def record_published(self, key: str, *, record_id: int | str, doi: str,
                         concept_doi: str | None = None, concept_recid: int | str | None = None,
                         release: bool = False) -> SpecimenRow:
        """Persist the published record's ids: PUBLISHED (``release``: give the lease up)."""
        row = self.ledger.record_published(
            self.collection, key, owner=self.owner, actor=self.actor, record_id=record_id,
            doi=doi, concept_doi=concept_doi, concept_recid=concept_recid, release=release,
            seen=self._seen.get(key))
        if release:
            self._seen.pop(key, None)
            return row
        return self._keep(row)

    def published_move(self, key: str, *, record_id: int | str, doi: str,
                       concept_doi: str | None = None, concept_recid: int | str | None = None,
                       ) -> tuple[Move, SpecimenRow] | None:
        """The write :meth:`record_published` (``release=True``) would make, as a
        :class:`Move` for a writer that sends many in one transaction, and the row as it will be
        after it; None when this view has not seen the row (then write it at once)."""
        seen = self._seen.pop(key, None)
        if seen is None:
            return None
        fields = published_values(self.collection, key, record_id=record_id, doi=doi,
                                  concept_doi=concept_doi, concept_recid=concept_recid)
        move = Move(key, State.PUBLISHED, (seen.state,),
                    published_detail(seen.as_mapping(), fields), fields, release=True)
        return move, replace(seen, state=State.PUBLISHED, lease_owner=None, lease_expires=None,
                             **fields)

    def record_failure(self, key: str, *, kind: str, message: str, status: int | None = None,
                       retry_after: datetime | timedelta | float | None = None) -> SpecimenRow:
        """Record a failure: FAILED; retried after ``retry_after`` (None: never)."""
        return self._keep(self.ledger.record_failure(
            self.collection, key, owner=self.owner, actor=self.actor, kind=kind,
            message=message, status=status, retry_after=retry_after, seen=self._seen.get(key)))

    def retry(self, key: str) -> State:
        """Move a FAILED specimen back to the state it failed in and return that state."""
        return self.ledger.retry(self.collection, key, owner=self.owner, actor=self.actor,
                                 seen=self._seen.pop(key, None))
