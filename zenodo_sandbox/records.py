"""Records API: read one published record, search published records (lagging index)."""

from __future__ import annotations

from typing import Any

from zenodo_sandbox import zenodojson
from zenodo_sandbox.core import NOT_FOUND, PERMISSION_DENIED, ApiError, Context, iso
from zenodo_sandbox.deposits import flag, latest_per_concept, page_links, paging
from zenodo_sandbox.query import QueryError, index_words, matches, parse, sort_docs
from zenodo_sandbox.storage import Deposition, StoredFile

GONE = "Record deleted"


class Deleted(ApiError):
    """A deleted record: 410 with InvenioRDM's tombstone (``RecordDeletedException``)."""

    def __init__(self, dep: Deposition) -> None:
        """Keep the tombstone of ``dep`` (deleted by the sandbox's administrator)."""
        super().__init__(410, GONE)
        self.tombstone = {"note": "", "removed_by": {"user": "system"},
                          "removal_date": iso(dep.modified), "citation_text": "",
                          "is_visible": True}

    def body(self) -> dict[str, Any]:
        """Return ``{"status", "message", "tombstone"}``."""
        return {**super().body(), "tombstone": self.tombstone}


#: zenodo.org's sort names (``RDM_SORT_OPTIONS``) -> the sandbox's sort keys
_SORTS = {"newest": "mostrecent", "oldest": "-mostrecent"}


def published(ctx: Context, recid: int) -> Deposition:
    """Return published record ``recid``; 404 if unknown/unpublished, 410 if deleted."""
    dep = ctx.storage.get(recid)
    if dep is None or not dep.submitted:
        raise ApiError(404, NOT_FOUND)
    if dep.deleted:
        raise Deleted(dep)
    return dep


def _viewer_id(ctx: Context, user: str | None) -> int | None:
    return ctx.storage.user_id(user) if user else None


def read(ctx: Context, recid: int, user: str | None = None) -> dict[str, Any]:
    """Return the Zenodo JSON of a published record as ``user`` (None: anonymous) sees it."""
    dep = published(ctx, recid)
    doc = zenodojson.record(ctx, dep, ctx.storage.files(recid))
    return zenodojson.for_viewer(doc, _viewer_id(ctx, user))


def latest_id(ctx: Context, recid: int) -> int:
    """Return the id of the latest published version of ``recid``'s concept."""
    dep = published(ctx, recid)
    return max(d.id for d in ctx.storage.by_concept(dep.conceptrecid)
               if d.submitted and not d.deleted)


def record_file(ctx: Context, recid: int, key: str, *, draft_of: str | None,
                viewer: str | None = None) -> StoredFile:
    """Return a file of a published record, or of a draft when ``draft_of`` is its owner.

    Files of a record whose access is not open are its owner's alone: 403 for anyone else
    (InvenioRDM's ``read_files`` permission).
    """
    if draft_of is None:
        dep = published(ctx, recid)
        access = (dep.record or {}).get("access_right", "open")
        if access not in (None, "open") and viewer != dep.owner:
            raise ApiError(403, PERMISSION_DENIED)
    else:
        dep = ctx.storage.get(recid)
        if dep is None or dep.owner != draft_of or dep.deleted:
            raise ApiError(404, NOT_FOUND)
    for stored in ctx.storage.files(dep.id):
        if stored.key == key:
            return stored
    raise ApiError(404, NOT_FOUND)


def _hit(ctx: Context, doc: dict[str, Any], viewer: int | None) -> dict[str, Any]:
    """Render an index document for the caller; versions as the database says (Zenodo
    reindexes every version of a concept when one is published)."""
    dep = ctx.storage.get(int(doc["id"]))
    if dep is not None:
        index, is_last = zenodojson.versions_of(ctx, dep)
        version = doc["metadata"]["relations"]["version"][0]
        doc["metadata"]["relations"]["version"][0] = {**version, "index": index,
                                                      "is_last": is_last}
    return zenodojson.for_viewer(doc, viewer)


def search(ctx: Context, params: dict[str, str], communities: list[str],
           user: str | None) -> dict[str, Any]:
    """Search published records; ``communities`` filters on membership (unknown: no hits).

    Zenodo's answer (``ZenodoListSchema``): ``hits`` and ``links``, no ``sortBy``; the
    default sort is ``newest`` without ``q`` and ``bestmatch`` with it. Callers with a token
    may ask up to 100 hits a page, guests 25.
    """
    page, size = paging(params, 100 if user else 25)
    q = params.get("q") or ""
    try:
        terms = parse(q)
        docs = ctx.storage.index_docs("records", ctx.clock(), words=index_words(terms))
        if not flag(params, "all_versions"):
            docs = latest_per_concept(docs)
        wanted = set(communities)
        docs = [d for d in docs if matches(terms, d) and (
            not wanted or wanted & {c["id"] for c in d["metadata"].get("communities", [])})]
        sort = params.get("sort") or ("bestmatch" if terms else "newest")
        docs = sort_docs(docs, _SORTS.get(sort, sort), bool(terms))
    except QueryError as exc:
        raise ApiError(400, str(exc)) from exc
    total = len(docs)
    args: list[tuple[str, Any]] = [("sort", sort)]
    args += [(k, params[k]) for k in ("q", "all_versions") if params.get(k)]
    args += [("communities", c) for c in communities]
    viewer = _viewer_id(ctx, user)
    hits = [_hit(ctx, d, viewer) for d in docs[(page - 1) * size: page * size]]
    return {"hits": {"hits": hits, "total": total},
            "links": page_links(ctx, "/api/records", args, page, size, total)}
