"""Records API: read one published record, search published records (lagging index)."""

from __future__ import annotations

from typing import Any

from zenodo_sandbox import serialize
from zenodo_sandbox.core import NOT_FOUND, ApiError, Context
from zenodo_sandbox.deposits import flag, latest_per_concept, page_links, paging
from zenodo_sandbox.query import QueryError, matches, parse, sort_docs
from zenodo_sandbox.storage import Deposition, StoredFile

GONE = "The record has been deleted."


def published(ctx: Context, recid: int) -> Deposition:
    """Return published record ``recid``; 404 if unknown/unpublished, 410 if deleted."""
    dep = ctx.storage.get(recid)
    if dep is None or not dep.submitted:
        raise ApiError(404, NOT_FOUND)
    if dep.deleted:
        raise ApiError(410, GONE)
    return dep


def read(ctx: Context, recid: int) -> dict[str, Any]:
    """Return the Zenodo JSON of a published record."""
    dep = published(ctx, recid)
    versions = [d.id for d in ctx.storage.by_concept(dep.conceptrecid)
                if d.submitted and not d.deleted]
    return serialize.record(ctx, dep, ctx.storage.files(recid), index=versions.index(dep.id),
                            is_last=versions[-1] == dep.id)


def latest_id(ctx: Context, recid: int) -> int:
    """Return the id of the latest published version of ``recid``'s concept."""
    dep = published(ctx, recid)
    return max(d.id for d in ctx.storage.by_concept(dep.conceptrecid)
               if d.submitted and not d.deleted)


def record_file(ctx: Context, recid: int, key: str, *, draft_of: str | None) -> StoredFile:
    """Return a file of a published record, or of a draft when ``draft_of`` is its owner."""
    if draft_of is None:
        dep = published(ctx, recid)
    else:
        dep = ctx.storage.get(recid)
        if dep is None or dep.owner != draft_of or dep.deleted:
            raise ApiError(404, NOT_FOUND)
    for stored in ctx.storage.files(dep.id):
        if stored.key == key:
            return stored
    raise ApiError(404, NOT_FOUND)


def search(ctx: Context, params: dict[str, str], communities: list[str],
           authenticated: bool) -> dict[str, Any]:
    """Search published records; ``communities`` filters on membership (unknown: no hits).

    :param authenticated: callers with a token may ask up to 100 hits a page, guests 25
    """
    page, size = paging(params, 100 if authenticated else 25)
    q = params.get("q") or ""
    try:
        terms = parse(q)
        docs = ctx.storage.index_docs("records", ctx.clock())
        if not flag(params, "all_versions"):
            docs = latest_per_concept(docs)
        wanted = set(communities)
        docs = [d for d in docs if matches(terms, d) and (
            not wanted or wanted & {c["id"] for c in d["metadata"].get("communities", [])})]
        sort = params.get("sort") or ("bestmatch" if terms else "mostrecent")
        docs = sort_docs(docs, sort, bool(terms))
    except QueryError as exc:
        raise ApiError(400, str(exc)) from exc
    total = len(docs)
    args: list[tuple[str, Any]] = [("sort", sort)]
    args += [(k, params[k]) for k in ("q", "all_versions") if params.get(k)]
    args += [("communities", c) for c in communities]
    links = page_links(ctx, "/api/records", args, page, size, total)
    return {
        "hits": {"hits": docs[(page - 1) * size: page * size], "total": total},
        "aggregations": {},
        "links": links,
        "sortBy": sort,
    }
