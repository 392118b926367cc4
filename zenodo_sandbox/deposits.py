"""Deposition life cycle as zenodo.org runs it: create, read, update, delete and the actions.

Zenodo's legacy deposit API sits on InvenioRDM drafts (zenodo-rdm ``legacy/resources.py``):

* a deposition another user owns answers 403, an unknown one 404;
* ``PUT``, ``DELETE`` and ``publish`` need a draft: on a published record that is not being
  edited they answer 404;
* ``DELETE`` and ``actions/discard`` are the same call (``delete_draft``, 204): they delete a
  never-published draft with its files, or drop the edit draft of a published record;
* ``actions/edit`` answers 201 with the draft, also when the draft was never published;
* ``actions/newversion`` answers 201 with the new version's draft, the files imported,
  ``version`` left out and ``publication_date`` set to today, as InvenioRDM's
  ``MetadataComponent.new_version`` does.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from zenodo_sandbox import oai_source, serialize, zenodojson
from zenodo_sandbox.core import (
    NOT_FOUND,
    PERMISSION_DENIED,
    VALIDATION_FAILED,
    ApiError,
    Context,
    current_metadata,
    iso,
)
from zenodo_sandbox.deposit_search import (  # noqa: F401  (shared with the other searches)
    flag,
    latest_per_concept,
    page_links,
    paging,
    search,
)
from zenodo_sandbox.storage import Deposition, Storage
from zenodo_sandbox.validation import (
    InvalidValue,
    MetadataError,
    load_deposit_body,
    publish_errors,
)

#: metadata a new version does not inherit (InvenioRDM's ``new_version_skip_fields``, the
#: DOI and the communities a publish already applied); its publication date is today
NOT_INHERITED = ("publication_date", "version", "doi", "communities")


def today(ctx: Context) -> str:
    """Return the server's date (UTC) as ``YYYY-MM-DD``."""
    return dt.datetime.fromtimestamp(ctx.clock(), dt.UTC).date().isoformat()


def _load(ctx: Context, body: Any) -> dict[str, Any]:
    try:
        return load_deposit_body(body if body is not None else {}, today(ctx))
    except MetadataError as exc:
        raise ApiError(400, VALIDATION_FAILED, exc.errors) from exc
    except InvalidValue as exc:
        raise ApiError(400, str(exc)) from exc


def owned(ctx: Context, user: str, depid: int) -> Deposition:
    """Return deposition ``depid`` of ``user``: 404 if unknown or deleted, 403 if not theirs."""
    dep = ctx.storage.get(depid)
    if dep is None or dep.deleted:
        raise ApiError(404, NOT_FOUND)
    if dep.owner != user:
        raise ApiError(403, PERMISSION_DENIED)
    return dep


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
        rec = None if dep.deleted else zenodojson.record(ctx, dep, files)
        ctx.storage.index_put("records", dep.id, doc=rec, visible_at=now + delays.records,
                              updated=dep.updated)
        oai, sets = oai_source.index_doc(ctx, dep)
        ctx.storage.index_put("oai", dep.id, doc=oai, visible_at=now + delays.oai,
                              updated=dep.updated, sets=sets)


def render(ctx: Context, dep: Deposition) -> dict[str, Any]:
    """Return the deposition resource of ``dep``."""
    return serialize.render(ctx, dep)


def read(ctx: Context, user: str, depid: int) -> dict[str, Any]:
    """Return the caller's deposition (the draft if one is open, else the record)."""
    return render(ctx, owned(ctx, user, depid))


def create(ctx: Context, user: str, body: Any) -> dict[str, Any]:
    """Create a draft (body ``{}`` or ``{"metadata": {...}}``)."""
    metadata = _load(ctx, body)
    now = ctx.clock()
    with ctx.storage.transaction() as db:
        concept = db.new_pid()
        dep = Deposition(id=db.new_pid(), conceptrecid=str(concept), owner=user,
                         state="unsubmitted", bucket=str(uuid.uuid4()), created=now,
                         modified=now, draft=metadata)
        db.save(dep)
        reindex(ctx, dep)
    return render(ctx, dep)


def _draft_of(ctx: Context, user: str, depid: int) -> Deposition:
    dep = owned(ctx, user, depid)
    if dep.draft is None:
        raise ApiError(404, NOT_FOUND)
    return dep


def update(ctx: Context, user: str, depid: int, body: Any) -> dict[str, Any]:
    """Replace the draft metadata (a PUT drops every field it does not send)."""
    metadata = _load(ctx, body)
    with ctx.storage.transaction() as db:
        dep = _draft_of(ctx, user, depid)
        dep.draft, dep.modified, dep.revision = metadata, ctx.clock(), dep.revision + 1
        db.save(dep)
        reindex(ctx, dep)
    return render(ctx, dep)


def _remove(ctx: Context, db: Storage, dep: Deposition) -> list[str]:
    """Delete a never-published draft; return the blob paths to remove afterwards."""
    paths = [f.path for f in db.files(dep.id)]
    db.delete(dep.id)
    reindex(ctx, dep, removed=True)
    return paths


def delete(ctx: Context, user: str, depid: int) -> None:
    """Delete the draft (``DELETE`` and ``actions/discard``, 204); no draft: 404."""
    paths: list[str] = []
    with ctx.storage.transaction() as db:
        dep = _draft_of(ctx, user, depid)
        if not dep.submitted:
            paths = _remove(ctx, db, dep)
        else:
            dep.draft, dep.state = None, "done"
            dep.modified, dep.revision = ctx.clock(), dep.revision + 1
            db.save(dep)
            reindex(ctx, dep)
    for path in paths:
        ctx.blobs.remove(path)


def publish(ctx: Context, user: str, depid: int) -> dict[str, Any]:
    """Publish the draft (202); validation failures answer 400 with field errors."""
    with ctx.storage.transaction() as db:
        dep = _draft_of(ctx, user, depid)
        metadata = copy.deepcopy(dep.draft)
        errors = publish_errors(metadata, db.file_stats(depid)[0], today(ctx))
        if errors:
            raise ApiError(400, VALIDATION_FAILED, errors)
        allowed = ctx.config.communities
        for entry in metadata.pop("communities", None) or []:
            slug = entry.get("identifier") if isinstance(entry, dict) else None
            if slug and (not allowed or slug in allowed) and slug not in dep.communities:
                dep.communities.append(slug)
        now = ctx.clock()
        dep.published = dep.published or now
        dep.record, dep.draft, dep.state, dep.submitted = metadata, None, "done", True
        dep.updated, dep.modified, dep.revision = now, now, dep.revision + 1
        db.save(dep)
        reindex(ctx, dep, published=True)
    return render(ctx, dep)


def edit(ctx: Context, user: str, depid: int) -> dict[str, Any]:
    """Return the draft, opening one on a published record first (201)."""
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, depid)
        if dep.draft is None:
            dep.draft, dep.state = copy.deepcopy(dep.record or {}), "inprogress"
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
    """Create (or reuse) the concept's new-version draft with the files imported (201)."""
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, depid)
        if not dep.submitted:
            raise ApiError(404, NOT_FOUND)
        pending = [d for d in db.by_concept(dep.conceptrecid)
                   if not d.submitted and d.id != dep.id and not d.deleted]
        if pending:
            draft = pending[-1]
            if db.file_stats(draft.id)[0]:
                raise ApiError(400, VALIDATION_FAILED, [
                    {"field": "files.enabled", "messages": ["Please remove all files first."]}])
        else:
            now = ctx.clock()
            metadata = {k: v for k, v in copy.deepcopy(dep.record or {}).items()
                        if k not in NOT_INHERITED}
            metadata["publication_date"] = today(ctx)
            draft = Deposition(id=db.new_pid(), conceptrecid=dep.conceptrecid, owner=user,
                               state="unsubmitted", bucket=str(uuid.uuid4()), created=now,
                               modified=now, draft=metadata)
            db.save(draft)
        _copy_files(ctx, dep, draft)
        reindex(ctx, draft)
    return render(ctx, draft)
