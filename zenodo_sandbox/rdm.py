"""InvenioRDM draft life cycle: create, read, update, delete, publish, edit, new version.

An RDM record is an ordinary sandbox deposition (same id sequence, owner, files table,
indexes) plus an RDM state kept next to it (``Storage.rdm_state``)::

    {"draft": <RDM body or None>, "record": <RDM body or None>,
     "pending": {key: declared file not committed yet}, "review": <request or None>}

Every write also stores the legacy view of the body (:func:`rdm_convert.rdm_to_legacy`) in
``Deposition.draft``/``record``, so the records API, the admin API, the deposit API and the
OAI-PMH feed show RDM records like any other. When the legacy view no longer matches the RDM
body (the record was changed through the deposit API, or was created there), the RDM view is
derived from the legacy metadata instead (:func:`rdm_convert.legacy_to_rdm`).
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from zenodo_sandbox import rdm_serialize, records
from zenodo_sandbox.core import NOT_FOUND, VALIDATION_FAILED, ApiError, Context, owned
from zenodo_sandbox.deposits import reindex
from zenodo_sandbox.rdm_convert import legacy_to_rdm, rdm_to_legacy
from zenodo_sandbox.rdm_validation import TOP_KEYS, validate_rdm
from zenodo_sandbox.storage import Deposition, Storage
from zenodo_sandbox.validation import NO_FILES

PENDING = "One or more files have not completed their transfer, please wait."
_STORED_KEYS = TOP_KEYS - {"id", "links", "parent"}


def load_state(ctx: Context, dep: Deposition) -> dict[str, Any]:
    """Return the RDM state of ``dep``, re-derived from legacy metadata where they differ."""
    state = ctx.storage.rdm_state(dep.id) or {}
    state.setdefault("pending", {})
    state.setdefault("review", None)
    for side, legacy in (("draft", dep.draft), ("record", dep.record)):
        body = state.get(side)
        if legacy is None:
            state[side] = None
        elif body is None or rdm_to_legacy(body) != legacy:
            state[side] = legacy_to_rdm(legacy)
    return state


def save(db: Storage, dep: Deposition, state: dict[str, Any]) -> None:
    """Store ``dep`` with the legacy views of the state's draft and record, and the state."""
    dep.draft = rdm_to_legacy(state["draft"]) if state["draft"] is not None else None
    dep.record = rdm_to_legacy(state["record"]) if state["record"] is not None else None
    db.save(dep)
    db.put_rdm_state(dep.id, state)


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, VALIDATION_FAILED, [{"field": "_schema",
                                                 "messages": ["Invalid input type."]}])
    for key in ("metadata", "custom_fields", "access", "files"):
        if key in body and not isinstance(body[key], dict):
            raise ApiError(400, VALIDATION_FAILED, [{"field": key,
                                                     "messages": ["Not a valid mapping."]}])
    kept = {k: copy.deepcopy(v) for k, v in body.items() if k in _STORED_KEYS}
    kept.setdefault("metadata", {})
    kept.setdefault("files", {"enabled": True})
    return kept


def render_draft(ctx: Context, dep: Deposition, state: dict[str, Any]) -> dict[str, Any]:
    """Return the draft of ``dep`` with its validation ``errors``."""
    body = state["draft"] or {}
    return rdm_serialize.record(ctx, dep, body, state["pending"], draft=True,
                                errors=validate_rdm(body))


def render_record(ctx: Context, dep: Deposition, state: dict[str, Any]) -> dict[str, Any]:
    """Return the published version of ``dep``."""
    return rdm_serialize.record(ctx, dep, state["record"] or {}, {}, draft=False)


def read_record(ctx: Context, recid: int) -> dict[str, Any]:
    """Return a published record (public; 404 unknown or never published, 410 deleted)."""
    dep = records.published(ctx, recid)
    return render_record(ctx, dep, load_state(ctx, dep))


def draft_of(ctx: Context, user: str, recid: int) -> tuple[Deposition, dict[str, Any]]:
    """Return the caller's deposition with an open draft and its state (404 otherwise)."""
    dep = owned(ctx, user, recid)
    state = load_state(ctx, dep)
    if state["draft"] is None:
        raise ApiError(404, NOT_FOUND)
    return dep, state


def create(ctx: Context, user: str, body: Any) -> dict[str, Any]:
    """Create a draft from ``body``; problems are listed in ``errors``, not refused (201)."""
    kept = _body(body if body is not None else {})
    now = ctx.clock()
    state = {"draft": kept, "record": None, "pending": {}, "review": None}
    with ctx.storage.transaction() as db:
        concept = db.new_pid()
        dep = Deposition(id=db.new_pid(), conceptrecid=str(concept), owner=user,
                         state="unsubmitted", bucket=str(uuid.uuid4()), created=now,
                         modified=now)
        save(db, dep, state)
        reindex(ctx, dep)
    return render_draft(ctx, dep, state)


def read_draft(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """Return the caller's draft."""
    dep, state = draft_of(ctx, user, recid)
    return render_draft(ctx, dep, state)


def update_draft(ctx: Context, user: str, recid: int, body: Any) -> dict[str, Any]:
    """Replace the draft body (fields not sent are dropped, as InvenioRDM does)."""
    kept = _body(body if body is not None else {})
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        state["draft"] = kept
        dep.modified, dep.revision = ctx.clock(), dep.revision + 1
        save(db, dep, state)
        reindex(ctx, dep)
    return render_draft(ctx, dep, state)


def delete_draft(ctx: Context, user: str, recid: int) -> None:
    """Delete a never-published draft with its files, or discard an edit draft (204)."""
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        if dep.submitted:
            state["draft"], dep.state = None, "done"
            dep.modified, dep.revision = ctx.clock(), dep.revision + 1
            save(db, dep, state)
            reindex(ctx, dep)
            return
        paths = [f.path for f in db.files(dep.id)]
        paths += [e["path"] for e in state["pending"].values() if e.get("path")]
        db.delete(dep.id)
        reindex(ctx, dep, removed=True)
    for path in paths:
        ctx.blobs.remove(path)


def publish_errors(ctx: Context, dep: Deposition, state: dict[str, Any]) -> list[dict]:
    """List why the draft cannot be published: metadata, no files, pending files."""
    errors = validate_rdm(state["draft"])
    if state["pending"]:
        errors.append({"field": "files", "messages": [PENDING]})
    elif not ctx.storage.file_stats(dep.id)[0]:
        errors.append({"field": "files.enabled", "messages": [NO_FILES]})
    return errors


def publish_in(ctx: Context, db: Storage, dep: Deposition, state: dict[str, Any],
               communities: tuple[str, ...] = ()) -> None:
    """Publish the draft inside the caller's transaction (400 with errors if invalid).

    :param communities: slugs the record joins now (accepted inclusion requests)
    """
    errors = publish_errors(ctx, dep, state)
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    now = ctx.clock()
    state["record"], state["draft"] = state["draft"], None
    for slug in communities:
        if slug not in dep.communities:
            dep.communities.append(slug)
    dep.published = dep.published or now
    dep.state, dep.submitted = "done", True
    dep.updated, dep.modified, dep.revision = now, now, dep.revision + 1
    save(db, dep, state)
    reindex(ctx, dep, published=True)


def publish(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """Publish the caller's draft (202 with the record)."""
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        publish_in(ctx, db, dep, state)
    return render_record(ctx, dep, state)


def edit(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """Open (or return) the edit draft of a published record; the DOI stays (201)."""
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, recid)
        state = load_state(ctx, dep)
        if state["draft"] is None:
            if not dep.submitted:
                raise ApiError(404, NOT_FOUND)
            state["draft"], dep.state = copy.deepcopy(state["record"]), "inprogress"
            dep.modified, dep.revision = ctx.clock(), dep.revision + 1
            save(db, dep, state)
            reindex(ctx, dep)
    return render_draft(ctx, dep, state)


def new_version(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """Create the concept's new-version draft without files, or return the open one (201)."""
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, recid)
        if not dep.submitted:
            raise ApiError(404, NOT_FOUND)
        pending = [d for d in db.by_concept(dep.conceptrecid)
                   if not d.submitted and not d.deleted]
        if pending:
            draft = pending[-1]
            return render_draft(ctx, draft, load_state(ctx, draft))
        now = ctx.clock()
        body = copy.deepcopy(load_state(ctx, dep)["record"] or {})
        metadata = body.setdefault("metadata", {})
        metadata.pop("version", None)
        metadata["publication_date"] = dt.datetime.fromtimestamp(now, dt.UTC).date().isoformat()
        draft = Deposition(id=db.new_pid(), conceptrecid=dep.conceptrecid, owner=user,
                           state="unsubmitted", bucket=str(uuid.uuid4()), created=now,
                           modified=now)
        state = {"draft": body, "record": None, "pending": {}, "review": None}
        save(db, draft, state)
        reindex(ctx, draft)
    return render_draft(ctx, draft, state)
