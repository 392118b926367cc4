"""Read-only aggregate queries of the ledger for the status page and the run report.

Every query is bounded by an index, so a page stays fast with hundreds of thousands of
specimens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from zenodo.engine.statistics import paused_seconds, paused_spans
from zenodo.ledger.states import State
from zenodo.store.tables import BatchStat, Specimen
from zenodo.summary.key import SUMMARY_KEY

_T = Specimen.__table__
_S = BatchStat.__table__


def counts_by_collection(engine: sa.Engine) -> dict[str, dict[str, int]]:
    """Return collection → state → specimens (states with no specimen left out)."""
    query = sa.select(_T.c.collection, _T.c.state, sa.func.count()).where(
        _T.c.key != SUMMARY_KEY).group_by(_T.c.collection, _T.c.state)
    found: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for collection, state, n in conn.execute(query):
            found.setdefault(collection, {})[state] = n
    return found


def collection_counts(engine: sa.Engine, collection: str) -> dict[str, int]:
    """Return state → specimens of one collection (every state listed)."""
    query = (sa.select(_T.c.state, sa.func.count())
             .where(_T.c.collection == collection, _T.c.key != SUMMARY_KEY)
             .group_by(_T.c.state))
    with engine.connect() as conn:
        found = dict(conn.execute(query).tuples().all())
    return {state.value: found.get(state.value, 0) for state in State}


def newest_query(collection: str, state: State, limit: int) -> sa.Select[Any]:
    """Return the query for the newest ``limit`` specimens of one state (for plans and tests)."""
    return (sa.select(_T.c.key, _T.c.state, _T.c.record_id, _T.c.doi, _T.c.last_error_kind,
                      _T.c.last_error_status, _T.c.last_error_message, _T.c.last_error_at,
                      _T.c.quarantine_reasons, _T.c.attempts, _T.c.updated_at)
            .where(_T.c.collection == collection, _T.c.state == state.value,
                   _T.c.key != SUMMARY_KEY)
            .order_by(_T.c.updated_at.desc()).limit(limit))


def newest(engine: sa.Engine, collection: str, states: tuple[State, ...],
           limit: int = 20) -> list[dict[str, Any]]:
    """Return the newest ``limit`` specimens in any of ``states``, newest first."""
    rows: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for state in states:
            rows += [dict(r) for r in conn.execute(newest_query(collection, state, limit))
                     .mappings()]
    rows.sort(key=lambda r: r["updated_at"], reverse=True)
    return rows[:limit]


@dataclass(frozen=True)
class RunSummary:
    """One run's batches summed: what the status page lists under "last runs"."""

    run_id: str
    started_at: Any
    ended_at: Any
    batches: int
    specimens: int
    published: int
    failed: int
    errors: int
    paused_seconds: float


def last_runs(engine: sa.Engine, collection: str, limit: int = 5) -> list[RunSummary]:
    """Return the newest ``limit`` runs of a collection from ``batch_stats``, newest first.

    A batch tried more than once counts once, by its last try, in ``batches``, ``specimens``,
    ``published`` and ``failed`` (see :func:`zenodo.engine.statistics.table4_total`);
    ``paused_seconds`` is the run's time its workers were paused (its batches' pauses merged).
    """
    last_try = _S.c.id.in_(sa.select(sa.func.max(_S.c.id)).where(
        _S.c.collection == collection).group_by(_S.c.run_id, _S.c.batch_id))
    query = (sa.select(_S.c.run_id, sa.func.min(_S.c.started_at), sa.func.max(_S.c.ended_at),
                       sa.func.count(sa.distinct(_S.c.batch_id)),
                       sa.func.sum(sa.case((last_try, _S.c.specimens), else_=0)),
                       sa.func.sum(sa.case((last_try, _S.c.published), else_=0)),
                       sa.func.sum(sa.case((last_try, _S.c.failed), else_=0)),
                       sa.func.sum(_S.c.errors))
             .where(_S.c.collection == collection, _S.c.run_id.is_not(None))
             .group_by(_S.c.run_id).order_by(sa.func.max(_S.c.id).desc()).limit(limit))
    with engine.connect() as conn:
        runs = conn.execute(query).all()
        pauses = conn.execute(sa.select(_S.c.run_id, _S.c.started_at, _S.c.pauses).where(
            _S.c.collection == collection, _S.c.run_id.in_([r[0] for r in runs]),
            _S.c.paused_seconds > 0)).mappings().all()
    return [RunSummary(*row, paused_seconds=paused_seconds(paused_spans(
        p for p in pauses if p["run_id"] == row[0]))) for row in runs]
