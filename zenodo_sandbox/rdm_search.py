"""``GET /api/user/records``: search the caller's records and drafts.

Hits are chosen from the lagging deposit index (like the deposit search) and rendered from
the database; a ``q`` term matches if it matches the RDM form or the deposit form. Sort
options are Zenodo's (``RDM_SEARCH["sort"]`` in its ``invenio.cfg``): ``newest`` without a
query, ``bestmatch`` with one; an option outside that list is 400. Without statistics,
``mostviewed``/``mostdownloaded`` and the conference and journal sorts order as ``newest``;
``bestmatch`` does too (no relevance score).
"""

from __future__ import annotations

from typing import Any

from zenodo_sandbox.core import ApiError, Context
from zenodo_sandbox.deposits import flag, latest_per_concept, page_links, paging
from zenodo_sandbox.query import QueryError, index_words, matches, parse
from zenodo_sandbox.rdm import load_state, render_draft, render_record
from zenodo_sandbox.storage import Deposition

SORTS = ("mostviewed", "mostdownloaded", "bestmatch", "newest", "oldest", "version",
         "publication-desc", "publication-asc", "conference-desc", "journal-desc")
INVALID = "Invalid querystring parameters."


def _match_doc(ctx: Context, dep: Deposition, body: dict[str, Any]) -> dict[str, Any]:
    """Return the searchable RDM fields of ``dep``."""
    doc: dict[str, Any] = {"id": str(dep.id), "parent": {"id": dep.conceptrecid},
                           "is_published": dep.submitted,
                           "metadata": body.get("metadata") or {},
                           "custom_fields": body.get("custom_fields") or {}}
    if dep.submitted:
        doc["pids"] = {"doi": {"identifier": ctx.doi(dep.id)}}
    return doc


def _body(state: dict[str, Any]) -> dict[str, Any]:
    return state["draft"] if state["draft"] is not None else state["record"] or {}


def _ordered(found: list[tuple[Deposition, dict[str, Any]]], sort: str,
             ) -> list[tuple[Deposition, dict[str, Any]]]:
    if sort == "oldest":
        return sorted(found, key=lambda f: f[0].id)
    if sort.startswith("publication-"):
        ordered = sorted(found, key=lambda f: (
            str((_body(f[1]).get("metadata") or {}).get("publication_date") or ""), f[0].id))
        return ordered if sort == "publication-asc" else ordered[::-1]
    if sort == "version":
        return sorted(found, key=lambda f: (f[0].conceptrecid, f[0].id), reverse=True)
    return sorted(found, key=lambda f: f[0].id, reverse=True)


def search(ctx: Context, user: str, params: dict[str, str]) -> dict[str, Any]:
    """Search the caller's records and drafts (``q``, ``sort``, ``page``, ``size``,
    ``allversions``)."""
    page, size = paging(params, 100)
    sort = params.get("sort") or ("bestmatch" if params.get("q") else "newest")
    if sort not in SORTS:
        raise ApiError(400, INVALID)
    try:
        terms = parse(params.get("q") or "")
        docs = ctx.storage.index_docs("deposit", ctx.clock(), owner=user,
                                      words=index_words(terms))
        if not flag(params, "allversions") and not flag(params, "all_versions"):
            docs = latest_per_concept(docs)
    except QueryError as exc:
        raise ApiError(400, str(exc)) from exc
    found: list[tuple[Deposition, dict[str, Any]]] = []
    for doc in docs:
        dep = ctx.storage.get(doc["id"])
        if dep is None or dep.deleted:
            continue
        state = load_state(ctx, dep)
        rdm_doc = _match_doc(ctx, dep, _body(state)) if terms else {}
        if all(matches([t], rdm_doc) or matches([t], doc) for t in terms):
            found.append((dep, state))
    found = _ordered(found, sort)
    args: list[tuple[str, Any]] = [("sort", sort)]
    if params.get("q"):
        args.append(("q", params["q"]))
    links = page_links(ctx, "/api/user/records", args, page, size, len(found))
    hits = [render_draft(ctx, dep, state) if state["draft"] is not None
            else render_record(ctx, dep, state)
            for dep, state in found[(page - 1) * size: page * size]]
    return {"hits": {"hits": hits, "total": len(found)}, "aggregations": {},
            "links": links, "sortBy": sort}
