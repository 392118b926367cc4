"""Deposition life cycle: create, read, update, delete, search and the four actions."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from zenodo_sandbox import serialize
from zenodo_sandbox.core import (
    NOT_FOUND,
    VALIDATION_FAILED,
    ApiError,
    Context,
    current_metadata,
    iso,
    owned,
)
from zenodo_sandbox.query import QueryError, matches, parse, sort_docs
from zenodo_sandbox.storage import Deposition
from zenodo_sandbox.validation import MetadataError, load_deposit_body, validate_for_publish

MAX_RESULTS = 10_000


def _load(body: Any) -> dict[str, Any]:
    try:
        return load_deposit_body(body)
    except MetadataError as exc:
        raise ApiError(400, VALIDATION_FAILED, exc.errors) from exc


def reindex(ctx: Context, dep: Deposition, *, removed: bool = False, published: bool = False,
            ) -> None:
    """Queue the deposition (and, after a publish, the record) into the lagging indexes.

    :param removed: the deposition was deleted (drop it from the deposit index)
    :param published: the record was (re)published (refresh the records and OAI indexes)
    """
    now, delays = ctx.clock(), ctx.config.delays
    doc = None if removed else {
        "id": dep.id, "recid": str(dep.id), "conceptrecid": dep.conceptrecid,
        "owner": dep.owner, "state": dep.state, "submitted": dep.submitted,
        "doi": ctx.doi(dep.id) if dep.submitted else None,
        "title": current_metadata(dep).get("title", ""), "created": iso(dep.created),
        "modified": iso(dep.modified), "metadata": current_metadata(dep),
    }
    ctx.storage.index_put("deposit", dep.id, doc=doc, owner=dep.owner,
                          visible_at=now + delays.deposit)
    if published or (dep.deleted and dep.submitted):
        files = ctx.storage.files(dep.id)
        rec = None if dep.deleted else serialize.record(ctx, dep, files, index=0, is_last=True)
        ctx.storage.index_put("records", dep.id, doc=rec, visible_at=now + delays.records,
                              updated=dep.updated)
        sets = tuple(f"{ctx.config.oai_set_prefix}{slug}" for slug in dep.communities)
        oai = None if dep.deleted else {
            "recid": dep.id, "doi": ctx.doi(dep.id), "conceptdoi": ctx.doi(dep.conceptrecid),
            "conceptrecid": dep.conceptrecid, "updated": dep.updated, "sets": list(sets),
            "metadata": dep.record,
        }
        ctx.storage.index_put("oai", dep.id, doc=oai, visible_at=now + delays.oai,
                              updated=dep.updated, sets=sets)


def render(ctx: Context, dep: Deposition) -> dict[str, Any]:
    """Return the deposition resource of ``dep``."""
    return serialize.deposition(ctx, dep, ctx.storage.files(dep.id))


def create(ctx: Context, user: str, body: Any) -> dict[str, Any]:
    """Create a draft (body ``{}`` or ``{"metadata": {...}}``)."""
    metadata = _load(body if body is not None else {})
    now = ctx.clock()
    with ctx.storage.transaction() as db:
        concept = db.new_pid()
        dep = Deposition(id=db.new_pid(), conceptrecid=str(concept), owner=user,
                         state="unsubmitted", bucket=str(uuid.uuid4()), created=now,
                         modified=now, draft=metadata)
        db.save(dep)
        reindex(ctx, dep)
    return render(ctx, dep)


def update(ctx: Context, user: str, depid: int, body: Any) -> dict[str, Any]:
    """Replace the draft metadata (a PUT drops every field it does not send)."""
    metadata = _load(body if body is not None else {})
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, depid)
        if dep.draft is None:
            raise ApiError(404, NOT_FOUND)
        dep.draft, dep.modified, dep.revision = metadata, ctx.clock(), dep.revision + 1
        db.save(dep)
        reindex(ctx, dep)
    return render(ctx, dep)


def delete(ctx: Context, user: str, depid: int) -> None:
    """Delete an unpublished draft with its files (published: 404)."""
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, depid)
        if dep.submitted:
            raise ApiError(404, NOT_FOUND)
        paths = [f.path for f in db.files(depid)]
        db.delete(depid)
        reindex(ctx, dep, removed=True)
    for path in paths:
        ctx.blobs.remove(path)


def _default_license(metadata: dict[str, Any]) -> None:
    if "license" not in metadata and metadata.get("access_right") in ("open", "embargoed"):
        metadata["license"] = "cc0-1.0" if metadata.get("upload_type") == "dataset" else "cc-by-4.0"


def publish(ctx: Context, user: str, depid: int) -> dict[str, Any]:
    """Publish the draft (202); validation failures answer 400 with field errors."""
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, depid)
        if dep.draft is None:
            raise ApiError(404, NOT_FOUND)
        metadata = copy.deepcopy(dep.draft)
        errors = validate_for_publish(metadata, db.file_stats(depid)[0])
        if errors:
            raise ApiError(400, VALIDATION_FAILED, errors)
        _default_license(metadata)
        now = ctx.clock()
        allowed = ctx.config.communities
        for entry in metadata.get("communities", []):
            slug = entry["identifier"]
            if (not allowed or slug in allowed) and slug not in dep.communities:
                dep.communities.append(slug)
        dep.published = dep.published or now
        dep.record, dep.draft, dep.state, dep.submitted = metadata, None, "done", True
        dep.updated, dep.modified, dep.revision = now, now, dep.revision + 1
        db.save(dep)
        reindex(ctx, dep, published=True)
    return render(ctx, dep)


def edit(ctx: Context, user: str, depid: int) -> dict[str, Any]:
    """Open an edit draft on a published record (201)."""
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, depid)
        if not dep.submitted:
            raise ApiError(400, "The deposition has not been published and cannot be edited.")
        if dep.draft is None:
            dep.draft, dep.state = copy.deepcopy(dep.record), "inprogress"
            dep.modified, dep.revision = ctx.clock(), dep.revision + 1
            db.save(dep)
            reindex(ctx, dep)
    return render(ctx, dep)


def discard(ctx: Context, user: str, depid: int) -> dict[str, Any]:
    """Drop the edit draft of a published record (201)."""
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, depid)
        if dep.state != "inprogress":
            raise ApiError(400, "The deposition is not being edited.")
        dep.draft, dep.state = None, "done"
        dep.modified, dep.revision = ctx.clock(), dep.revision + 1
        db.save(dep)
        reindex(ctx, dep)
    return render(ctx, dep)


def _copy_files(ctx: Context, source: Deposition, target: Deposition) -> None:
    for stored in ctx.storage.files(source.id):
        now = ctx.clock()
        stored.id, stored.depid, stored.path = str(uuid.uuid4()), target.id, ctx.blobs.copy(
            stored.path)
        stored.version_id, stored.created, stored.updated = str(uuid.uuid4()), now, now
        ctx.storage.put_file(stored)


def newversion(ctx: Context, user: str, depid: int) -> dict[str, Any]:
    """Create (or reuse) the concept's new-version draft with the files copied (201)."""
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, depid)
        if not dep.submitted:
            raise ApiError(404, NOT_FOUND)
        pending = [d for d in db.by_concept(dep.conceptrecid)
                   if not d.submitted and d.id != dep.id]
        if pending:
            draft = pending[-1]
            if db.file_stats(draft.id)[0]:
                raise ApiError(400, VALIDATION_FAILED, [
                    {"field": "files.enabled", "messages": ["Please remove all files first."]}])
        else:
            now = ctx.clock()
            metadata = copy.deepcopy(dep.record or {})
            metadata.pop("version", None)
            metadata["publication_date"] = dt.datetime.fromtimestamp(now, dt.UTC).date().isoformat()
            draft = Deposition(id=db.new_pid(), conceptrecid=dep.conceptrecid, owner=user,
                               state="unsubmitted", bucket=str(uuid.uuid4()), created=now,
                               modified=now, draft=metadata)
            db.save(draft)
        _copy_files(ctx, dep, draft)
        reindex(ctx, draft)
    return render(ctx, draft)


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    try:
        value = int(params.get(name) or default)
    except ValueError as exc:
        raise ApiError(400, "Invalid querystring parameters.") from exc
    if value < 1:
        raise ApiError(400, "Invalid pagination parameters.")
    return value


def paging(params: dict[str, str], max_size: int, default_size: int = 10) -> tuple[int, int]:
    """Return (page, size) from query parameters; 400 when out of range."""
    page = _int_param(params, "page", 1)
    size = _int_param(params, "size", default_size)
    if size > max_size or page * size > MAX_RESULTS:
        raise ApiError(400, "Invalid pagination parameters.")
    return page, size


def page_links(ctx: Context, path: str, args: list[tuple[str, Any]], page: int, size: int,
               total: int) -> dict[str, str]:
    """Return a search answer's ``self``/``next``/``prev`` links (``args`` kept in each)."""

    def link(number: int) -> str:
        return ctx.url(f"{path}?" + urlencode([("page", number), ("size", size), *args]))

    links = {"self": link(page)}
    if page * size < total:
        links["next"] = link(page + 1)
    if page > 1:
        links["prev"] = link(page - 1)
    return links


def flag(params: dict[str, str], name: str) -> bool:
    """Return a boolean query flag (``true``/``1`` vs ``false``/``0``/absent)."""
    value = (params.get(name) or "false").lower()
    if value not in ("true", "1", "false", "0", ""):
        raise ApiError(400, "Invalid querystring parameters.")
    return value in ("true", "1")


def latest_per_concept(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep only the highest id of each concept."""
    best: dict[str, dict[str, Any]] = {}
    for doc in docs:
        key = str(doc["conceptrecid"])
        if key not in best or doc["id"] > best[key]["id"]:
            best[key] = doc
    return list(best.values())


def search(ctx: Context, user: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Search the caller's depositions in the (lagging) deposit index."""
    page, size = paging(params, 100)
    status = params.get("status")
    if status not in (None, "", "draft", "published"):
        raise ApiError(400, "Invalid querystring parameters.")
    q = params.get("q") or ""
    try:
        terms = parse(q)
        docs = [d for d in ctx.storage.index_docs("deposit", ctx.clock(), owner=user)
                if not status or d["submitted"] == (status == "published")]
        if not flag(params, "all_versions"):
            docs = latest_per_concept(docs)
        docs = [d for d in docs if matches(terms, d)]
        docs = sort_docs(docs, params.get("sort"), bool(terms))
    except QueryError as exc:
        raise ApiError(400, str(exc)) from exc
    found = []
    for doc in docs[(page - 1) * size: page * size]:
        dep = ctx.storage.get(doc["id"])
        if dep is not None and not dep.deleted:
            found.append(render(ctx, dep))
    return found
