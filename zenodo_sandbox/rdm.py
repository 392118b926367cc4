"""InvenioRDM draft life cycle: create, read, update, delete, publish, edit, new version.

An RDM record is an ordinary sandbox deposition (same id sequence, owner, files table,
indexes) plus an RDM state kept next to it (``Storage.rdm_state``)::

    {"draft": <RDM body or None>, "record": <RDM body or None>,
     "pending": {key: declared file not committed yet}, "review": <request or None>,
     "inclusions": [community-inclusion requests], "default": <community slug or None>}

Every write also stores the legacy view of the body (:func:`rdm_convert.rdm_to_legacy`) in
``Deposition.draft``/``record``, so the records API, the admin API, the deposit API and the
OAI-PMH feed show RDM records like any other. When the legacy view no longer matches the RDM
body (the record was changed through the deposit API, or was created there), the RDM view is
derived from the legacy metadata instead (:func:`rdm_convert.legacy_to_rdm`).

Zenodo's rules (its ``invenio.cfg`` and permission policy) that shape this module: nobody
may disable files (``RDM_ALLOW_METADATA_ONLY_RECORDS = False``) nor restrict a record
(``RDM_ALLOW_RESTRICTED_RECORDS = False``), and DOIs are DataCite's, so a record needs a
``publisher``.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from zenodo_sandbox import rdm_serialize, records
from zenodo_sandbox.core import NOT_FOUND, PERMISSION_DENIED, VALIDATION_FAILED, ApiError, Context
from zenodo_sandbox.deposits import reindex
from zenodo_sandbox.rdm_convert import legacy_to_rdm, rdm_to_legacy
from zenodo_sandbox.rdm_requests import new_review
from zenodo_sandbox.rdm_validation import (
    FILES_OPTIONS,
    RESTRICTED,
    check_vocabularies,
    load_body,
    publisher_problems,
    schema_errors,
)
from zenodo_sandbox.storage import Deposition, Storage

PENDING = "One or more files have not completed their transfer, please wait."
NO_FILES = ("Missing uploaded files. To disable files for this record please mark it as "
            "metadata-only.")
NO_FILES_SHORT = "Missing uploaded files."
OPEN_REVIEW = ("You cannot publish a draft with an open review request. Please cancel the "
               "review request first.")
THESIS = ("publication-thesis", "publication-dissertation")


def load_state(ctx: Context, dep: Deposition) -> dict[str, Any]:
    """Return the RDM state of ``dep``, re-derived from legacy metadata where they differ."""
    state = ctx.storage.rdm_state(dep.id) or {}
    for key, empty in (("pending", {}), ("review", None), ("inclusions", []),
                       ("default", None)):
        state.setdefault(key, empty)
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


def render_draft(ctx: Context, dep: Deposition, state: dict[str, Any],
                 errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return the draft of ``dep``; ``errors`` (create and update only) when there are any."""
    return rdm_serialize.record(ctx, dep, state, draft=True, errors=errors)


def render_record(ctx: Context, dep: Deposition, state: dict[str, Any]) -> dict[str, Any]:
    """Return the published version of ``dep``."""
    return rdm_serialize.record(ctx, dep, state, draft=False)


def read_record(ctx: Context, recid: int) -> dict[str, Any]:
    """Return a published record (public; 404 unknown or never published, 410 deleted)."""
    dep = records.published(ctx, recid)
    return render_record(ctx, dep, load_state(ctx, dep))


def owned(ctx: Context, user: str, recid: int) -> Deposition:
    """The caller's deposition ``recid``: 404 when unknown, 403 when someone else's (as
    InvenioRDM's permission check answers)."""
    dep = ctx.storage.get(recid)
    if dep is None or dep.deleted:
        raise ApiError(404, NOT_FOUND)
    if dep.owner != user:
        raise ApiError(403, PERMISSION_DENIED)
    return dep


def draft_of(ctx: Context, user: str, recid: int) -> tuple[Deposition, dict[str, Any]]:
    """Return the caller's deposition with an open draft and its state (404 otherwise)."""
    dep = owned(ctx, user, recid)
    state = load_state(ctx, dep)
    if state["draft"] is None:
        raise ApiError(404, NOT_FOUND)
    return dep, state


def _thesis(body: dict[str, Any]) -> None:
    """Zenodo's CustomMetadataComponent: ``publication-thesis`` is saved as a dissertation."""
    rtype = (body.get("metadata") or {}).get("resource_type")
    if isinstance(rtype, dict) and rtype.get("id") == THESIS[0]:
        rtype["id"] = THESIS[1]


def _file_count(ctx: Context, dep: Deposition | None, state: dict[str, Any]) -> int:
    return (ctx.storage.file_stats(dep.id)[0] if dep else 0) + len(state["pending"])


def _components(ctx: Context, dep: Deposition | None, state: dict[str, Any],
                kept: dict[str, Any], errors: list[dict[str, Any]], *, update: bool,
                ) -> dict[str, Any]:
    """Build the body to save from the loaded one, as InvenioRDM's service components do;
    append their problems to ``errors`` (400 for a record access change)."""
    current = state["draft"] or {}
    access = copy.deepcopy(current.get("access") or rdm_serialize.DEFAULT_ACCESS)
    if "access" in kept:
        wanted = kept["access"]
        if wanted.get("record") != access.get("record"):
            raise ApiError(400, VALIDATION_FAILED, [{"field": "access",
                                                     "messages": [RESTRICTED]}])
        access = {k: wanted[k] for k in ("record", "files", "embargo") if k in wanted}
    body = {"metadata": kept.get("metadata", {}), "custom_fields": kept.get(
        "custom_fields", {}), "access": access, "files": {"enabled": True}}
    if kept.get("pids"):
        body["pids"] = kept["pids"]
    if (kept.get("files") or {}).get("enabled", True) is not True:
        errors.append({"field": "files.enabled", "messages": [FILES_OPTIONS]})
    elif update and not _file_count(ctx, dep, state):
        errors.append({"field": "files.enabled", "messages": [NO_FILES_SHORT]})
    errors += publisher_problems(body)
    _thesis(body)
    return body


def _request_body(body: Any) -> Any:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, VALIDATION_FAILED, [{"field": "_schema",
                                                 "messages": ["Invalid input type."]}])
    return body


def create(ctx: Context, user: str, body: Any) -> dict[str, Any]:
    """Create a draft from ``body``; problems are listed in ``errors``, not refused (201).

    A ``parent.review`` creates the draft's community-submission review; an unknown
    vocabulary id refuses the whole draft (400).
    """
    kept, errors = load_body(_request_body(body))
    state: dict[str, Any] = {"draft": None, "record": None, "pending": {}, "review": None,
                             "inclusions": [], "default": None}
    state["draft"] = _components(ctx, None, state, kept, errors, update=False)
    review = (kept.get("parent") or {}).get("review")
    if review is not None:
        state["review"] = new_review(ctx, user, review)
    check_vocabularies(state["draft"])
    now = ctx.clock()
    with ctx.storage.transaction() as db:
        concept = db.new_pid()
        dep = Deposition(id=db.new_pid(), conceptrecid=str(concept), owner=user,
                         state="unsubmitted", bucket=str(uuid.uuid4()), created=now,
                         modified=now)
        save(db, dep, state)
        reindex(ctx, dep)
    return render_draft(ctx, dep, state, errors)


def read_draft(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """Return the caller's draft (InvenioRDM does not list a saved draft's errors here)."""
    dep, state = draft_of(ctx, user, recid)
    return render_draft(ctx, dep, state)


def update_draft(ctx: Context, user: str, recid: int, body: Any) -> dict[str, Any]:
    """Replace the draft body: fields not sent are dropped (``access`` excepted), fields that
    do not load are dropped and listed in ``errors``."""
    kept, errors = load_body(_request_body(body))
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        new = _components(ctx, dep, state, kept, errors, update=True)
        check_vocabularies(new)
        state["draft"] = new
        dep.modified, dep.revision = ctx.clock(), dep.revision + 1
        save(db, dep, state)
        reindex(ctx, dep)
    return render_draft(ctx, dep, state, errors)


def delete_draft(ctx: Context, user: str, recid: int) -> None:
    """Delete a never-published draft with its files, or discard an edit draft (204)."""
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        if (state["review"] or {}).get("status") == "submitted":
            raise ApiError(400, "You cannot delete a draft with an open review. Please "
                                "cancel the review first.")
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


def publish_problem(ctx: Context, dep: Deposition, state: dict[str, Any],
                    *, review_done: bool = False) -> ApiError | None:
    """What stops the draft's publication, in InvenioRDM's order: the record schema (every
    error at once), then files, the DOI's publisher, an open review."""
    draft = state["draft"] or {}
    errors = schema_errors(draft)
    if errors:
        return ApiError(400, VALIDATION_FAILED, errors)
    if not ctx.storage.file_stats(dep.id)[0] and not state["pending"]:
        return ApiError(400, VALIDATION_FAILED, [{"field": "files.enabled",
                                                  "messages": [NO_FILES]}])
    if state["pending"]:
        return ApiError(400, VALIDATION_FAILED, [{"field": "files", "messages": [PENDING]}])
    missing = publisher_problems(draft)
    if missing:
        return ApiError(400, VALIDATION_FAILED, missing)
    review = state["review"]
    if review and not review_done and review["status"] in ("created", "submitted"):
        return ApiError(400, OPEN_REVIEW)
    return None


def publish_in(ctx: Context, db: Storage, dep: Deposition, state: dict[str, Any],
               communities: tuple[str, ...] = (), *, review_done: bool = False) -> None:
    """Publish the draft inside the caller's transaction (400 if it cannot be).

    :param communities: slugs the record joins now (an accepted submission)
    """
    problem = publish_problem(ctx, dep, state, review_done=review_done)
    if problem:
        raise problem
    now = ctx.clock()
    _thesis(state["draft"])
    state["record"], state["draft"] = state["draft"], None
    for slug in communities:
        if slug not in dep.communities:
            dep.communities.append(slug)
        state["default"] = state["default"] or slug
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
    """Create the concept's new-version draft without files, or return the open one (201).

    The metadata comes from the latest published version, without ``version`` and with
    today's ``publication_date``.
    """
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, recid)
        if not dep.submitted:
            raise ApiError(404, NOT_FOUND)
        versions = [d for d in db.by_concept(dep.conceptrecid) if not d.deleted]
        pending = [d for d in versions if not d.submitted]
        if pending:
            draft = pending[-1]
            return render_draft(ctx, draft, load_state(ctx, draft))
        latest = [d for d in versions if d.submitted][-1]
        now = ctx.clock()
        body = copy.deepcopy(load_state(ctx, latest)["record"] or {})
        metadata = body.setdefault("metadata", {})
        metadata.pop("version", None)
        metadata["publication_date"] = dt.datetime.fromtimestamp(now, dt.UTC).date().isoformat()
        draft = Deposition(id=db.new_pid(), conceptrecid=dep.conceptrecid, owner=user,
                           state="unsubmitted", bucket=str(uuid.uuid4()), created=now,
                           modified=now)
        state = {"draft": body, "record": None, "pending": {}, "review": None,
                 "inclusions": [], "default": None}
        save(db, draft, state)
        reindex(ctx, draft)
    return render_draft(ctx, draft, state)
