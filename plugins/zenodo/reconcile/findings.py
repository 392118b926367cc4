"""The findings reconciliation keeps until a person acts (duplicates, foreign records, records
missing from the community), and the events it writes for decisions that change no state.

One row per (collection, kind, subject): reported when new or changed, then "known"; after a
full harvest, open ones no longer seen are resolved.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zenodo.ledger.actor import Actor, actor_or_default
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo.store.database import EngineHolder
from zenodo.store.tables import Event, ReconcileFinding

_F = ReconcileFinding.__table__
_E = Event.__table__

DUPLICATE = "duplicate"
FOREIGN = "foreign"
MISSING_FROM_COMMUNITY = "missing_from_community"
FindingKey = tuple[str, str]  # (kind, subject)


@dataclass
class FindingChanges:
    """What one sync changed: new (or changed) findings, resolved ones, and known ones."""

    new: dict[FindingKey, dict[str, Any]] = field(default_factory=dict)
    resolved: dict[FindingKey, dict[str, Any]] = field(default_factory=dict)
    known: dict[FindingKey, dict[str, Any]] = field(default_factory=dict)


class FindingStore:
    """Read and update a collection's reconciliation findings in the ledger database.

    :param ledger: the (migrated) ledger whose engine is used.
    """

    def __init__(self, ledger: Ledger) -> None:
        self._db = EngineHolder(ledger.engine)

    def open_findings(self, collection: str) -> dict[FindingKey, dict[str, Any]]:
        """Return the unresolved findings of a collection."""
        query = sa.select(_F).where(_F.c.collection == collection, _F.c.resolved_at.is_(None))
        with self._db.read() as conn:
            return {(r["kind"], r["subject"]): r["detail"]
                    for r in conn.execute(query).mappings()}

    def sync(self, collection: str, current: Mapping[FindingKey, dict[str, Any]], *,
             now: datetime, resolve: bool, keep: Collection[str] = ()) -> FindingChanges:
        """Store what this run saw; resolve open findings it no longer sees (when ``resolve``).

        :param current: (kind, subject) -> detail of every finding seen now.
        :param resolve: True after a full harvest; an incremental one cannot see absence.
        :param keep: subjects this run could not look at (leased, errors): never resolved.
        """
        changes = FindingChanges()
        with self._db.write() as conn:
            rows = {(r["kind"], r["subject"]): r for r in conn.execute(
                sa.select(_F).where(_F.c.collection == collection)).mappings()}
            for ident, detail in current.items():
                row = rows.get(ident)
                if row is not None and row["resolved_at"] is None and row["detail"] == detail:
                    changes.known[ident] = detail
                    continue
                changes.new[ident] = detail
                where = sa.and_(_F.c.collection == collection, _F.c.kind == ident[0],
                                _F.c.subject == ident[1])
                if row is None:
                    conn.execute(sa.insert(_F).values(collection=collection, kind=ident[0],
                                                      subject=ident[1], detail=detail,
                                                      first_seen=now, resolved_at=None))
                else:
                    conn.execute(sa.update(_F).where(where).values(detail=detail,
                                                                   resolved_at=None))
            if resolve:
                for ident, row in rows.items():
                    if row["resolved_at"] is not None or ident in current or ident[1] in keep:
                        continue
                    changes.resolved[ident] = row["detail"]
                    conn.execute(sa.update(_F).where(
                        _F.c.collection == collection, _F.c.kind == ident[0],
                        _F.c.subject == ident[1]).values(resolved_at=now))
        return changes

    def note(self, collection: str, key: str, state: State, detail: dict[str, Any], *,
             now: datetime, actor: Actor) -> None:
        """Write an event for a decision that leaves the specimen's state as it is."""
        with self._db.write() as conn:
            conn.execute(sa.insert(_E).values(
                collection=collection, key=key, from_state=state.value, to_state=state.value,
                at=now, actor=actor_or_default(actor), detail=detail))
