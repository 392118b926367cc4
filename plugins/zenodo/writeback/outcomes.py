"""The ledger's ``writebacks`` table: which DOIs were written back, which failed, which are due.

A specimen is due when it is online (PUBLISHED or VERIFIED) with a DOI and its last
write-back did not succeed with the same DOI, concept DOI and record id (a new version has a
new DOI and is written again).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zenodo.ledger.states import State
from zenodo.store.tables import Specimen, Writeback
from zenodo.summary.key import SUMMARY_KEY

_S = Specimen.__table__
_W = Writeback.__table__
WRITTEN = "written"
FAILED = "failed"
ONLINE = (State.PUBLISHED.value, State.VERIFIED.value)


@dataclass(frozen=True)
class DueSpecimen:
    """One specimen whose DOI is to be written back, with the values the statement binds."""

    key: str
    doi: str
    concept_doi: str | None
    record_id: str | None

    def parameters(self, record_url: str | None) -> dict[str, Any]:
        """Return every value a statement may bind (:key, :doi, :concept_doi, :url,
        :record_id)."""
        return {"key": self.key, "doi": self.doi, "concept_doi": self.concept_doi,
                "url": record_url, "record_id": self.record_id}


@dataclass(frozen=True)
class Outcome:
    """What happened to one specimen's write-back in this run."""

    due: DueSpecimen
    url: str | None
    written: bool
    attempts: int
    reason: str | None = None


def due_specimens(engine: sa.Engine, collection: str, *, page: int = 1000
                  ) -> Iterator[DueSpecimen]:
    """Yield, by key, the online specimens whose DOI is new or changed since the last
    successful write-back (a page per short read)."""
    joined = _S.outerjoin(_W, sa.and_(_W.c.collection == _S.c.collection, _W.c.key == _S.c.key))
    unchanged = sa.and_(
        _W.c.status == WRITTEN, _W.c.doi == _S.c.doi,
        sa.func.coalesce(_W.c.concept_doi, "") == sa.func.coalesce(_S.c.concept_doi, ""),
        sa.func.coalesce(_W.c.record_id, "") == sa.func.coalesce(_S.c.record_id, ""))
    query = (sa.select(_S.c.key, _S.c.doi, _S.c.concept_doi, _S.c.record_id).select_from(joined)
             .where(_S.c.collection == collection, _S.c.state.in_(ONLINE),
                    _S.c.key != SUMMARY_KEY,  # the summary record is no specimen of the source
                    _S.c.doi.is_not(None), sa.not_(sa.func.coalesce(unchanged, False)))
             .order_by(_S.c.key))
    after: str | None = None
    while True:
        paged = query if after is None else query.where(_S.c.key > after)
        with engine.connect() as conn:
            rows = conn.execute(paged.limit(page)).all()
        yield from (DueSpecimen(r.key, r.doi, r.concept_doi, r.record_id) for r in rows)
        if len(rows) < page:
            return
        after = rows[-1].key


def record_outcomes(engine: sa.Engine, collection: str, outcomes: Iterable[Outcome], *,
                    run_id: str | None, now: datetime) -> None:
    """Store the outcomes of one batch in ``writebacks`` (one row per specimen, replaced)."""
    rows = [{"collection": collection, "key": o.due.key,
             "status": WRITTEN if o.written else FAILED, "doi": o.due.doi,
             "concept_doi": o.due.concept_doi, "record_id": o.due.record_id, "url": o.url,
             "reason": o.reason, "attempts": o.attempts, "run_id": run_id, "updated_at": now}
            for o in outcomes]
    if not rows:
        return
    with engine.begin() as conn:
        conn.execute(_W.delete().where(_W.c.collection == collection,
                                       _W.c.key.in_([r["key"] for r in rows])))
        conn.execute(_W.insert(), rows)


def writeback_status(engine: sa.Engine, collection: str, *, limit: int = 200
                     ) -> dict[str, Any]:
    """Return the collection's write-back state: counts by status and the failed specimens
    (up to ``limit``, with reasons), for the run report."""
    counts = sa.select(_W.c.status, sa.func.count()).where(_W.c.collection == collection) \
        .group_by(_W.c.status)
    failed = (sa.select(_W.c.key, _W.c.doi, _W.c.reason, _W.c.attempts, _W.c.run_id)
              .where(_W.c.collection == collection, _W.c.status == FAILED)
              .order_by(_W.c.key).limit(limit))
    with engine.connect() as conn:
        by_status = {status: n for status, n in conn.execute(counts)}
        failures = [dict(r) for r in conn.execute(failed).mappings()]
    return {"written": by_status.get(WRITTEN, 0), "failed": by_status.get(FAILED, 0),
            "failures": failures}
