"""Build the JSON shapes of the InvenioRDM API: drafts, records and file entries.

Shapes follow invenio-rdm-records' service schemas and links (``services/config.py``):
a record's ``files.entries`` hold ``key``, ``id``, ``checksum``, ``ext``, ``size``,
``mimetype``, ``storage_class``, ``metadata``, ``access`` and links; the files API's entries
add ``status`` (``pending`` until committed, then ``completed``), ``file_id``,
``version_id``, ``created`` and ``updated``. ``errors`` appear only when there are some.
"""

from __future__ import annotations

import posixpath
from typing import Any

from zenodo_sandbox import rdm_requests
from zenodo_sandbox.core import Context, iso
from zenodo_sandbox.storage import Deposition, StoredFile

DEFAULT_ACCESS = {"record": "public", "files": "public"}


def _file_links(ctx: Context, dep: Deposition, key: str, draft: bool) -> dict[str, str]:
    base = f"/api/records/{dep.id}/{'draft/' if draft else ''}files/{key}"
    links = {"self": ctx.url(base), "content": ctx.url(f"{base}/content")}
    if draft:
        links["commit"] = ctx.url(f"{base}/commit")
    return links


def _ext(key: str) -> str | None:
    ext = posixpath.splitext(key)[1]
    return ext[1:].lower() if ext else None


def completed_entry(ctx: Context, dep: Deposition, stored: StoredFile, *,
                    draft: bool) -> dict[str, Any]:
    """The files API entry of a committed file (``status: completed``, ``md5:`` checksum)."""
    return {"key": stored.key, "status": "completed", "size": stored.size,
            "checksum": f"md5:{stored.md5}", "mimetype": stored.mimetype,
            "file_id": stored.id, "version_id": stored.version_id,
            "bucket_id": dep.bucket, "storage_class": "L", "metadata": {},
            "access": {"hidden": False}, "transfer": {"type": "L"},
            "created": iso(stored.created), "updated": iso(stored.updated),
            "links": _file_links(ctx, dep, stored.key, draft)}


def pending_entry(ctx: Context, dep: Deposition, entry: dict[str, Any]) -> dict[str, Any]:
    """The files API entry of a declared, not yet committed file (``status: pending``)."""
    out: dict[str, Any] = {"key": entry["key"], "status": "pending", "storage_class": "L",
                           "metadata": entry.get("metadata") or {},
                           "access": {"hidden": False}, "transfer": {"type": "L"},
                           "created": iso(entry["created"]), "updated": iso(entry["updated"]),
                           "links": _file_links(ctx, dep, entry["key"], True)}
    for name in ("size", "checksum"):
        if entry.get(name) is not None:
            out[name] = entry[name]
    return out


def file_entries(ctx: Context, dep: Deposition, pending: dict[str, dict[str, Any]], *,
                 draft: bool) -> list[dict[str, Any]]:
    """Committed files, then pending ones (drafts only), as files API entries."""
    entries = [completed_entry(ctx, dep, f, draft=draft) for f in ctx.storage.files(dep.id)]
    if draft:
        entries += [pending_entry(ctx, dep, e) for e in pending.values()]
    return entries


def file_listing(ctx: Context, dep: Deposition, pending: dict[str, dict[str, Any]], *,
                 enabled: bool, draft: bool = True) -> dict[str, Any]:
    """The body of ``GET/POST .../draft/files`` (and ``GET /api/records/{id}/files``)."""
    base = f"/api/records/{dep.id}/{'draft/' if draft else ''}files"
    return {"enabled": enabled, "entries": file_entries(ctx, dep, pending, draft=draft),
            "default_preview": None, "order": [],
            "links": {"self": ctx.url(base), "archive": ctx.url(f"{base}-archive")}}


def _record_entry(ctx: Context, dep: Deposition, key: str, stored: StoredFile | None,
                  draft: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": key, "metadata": {}, "access": {"hidden": False},
                             "links": _file_links(ctx, dep, key, draft)}
    if stored is not None:
        entry.update(id=stored.id, checksum=f"md5:{stored.md5}", ext=_ext(key),
                     size=stored.size, mimetype=stored.mimetype, storage_class="L")
    return entry


def _links(ctx: Context, dep: Deposition, draft: bool, has_review: bool) -> dict[str, str]:
    api = f"/api/records/{dep.id}"
    links = {
        "self": ctx.url(f"{api}/draft" if draft else api),
        "self_html": ctx.url(f"/uploads/{dep.id}" if draft else f"/records/{dep.id}"),
        "preview_html": ctx.url(f"/records/{dep.id}?preview=1"),
        "reserve_doi": ctx.url(f"{api}/draft/pids/doi"),
        "files": ctx.url(f"{api}/draft/files" if draft else f"{api}/files"),
        "archive": ctx.url(f"{api}/draft/files-archive" if draft else f"{api}/files-archive"),
        "versions": ctx.url(f"{api}/versions"),
        "communities": ctx.url(f"{api}/communities"),
        "requests": ctx.url(f"{api}/requests"),
    }
    if draft:
        links.update(record=ctx.url(api), record_html=ctx.url(f"/records/{dep.id}"),
                     publish=ctx.url(f"{api}/draft/actions/publish"),
                     review=ctx.url(f"{api}/draft/review"))
        if has_review:
            links["submit-review"] = ctx.url(f"{api}/draft/actions/submit-review")
    else:
        links.update(draft=ctx.url(f"{api}/draft"), latest=ctx.url(f"{api}/versions/latest"),
                     latest_html=ctx.url(f"/records/{dep.id}/latest"),
                     parent=ctx.url(f"/api/records/{dep.conceptrecid}"),
                     parent_html=ctx.url(f"/records/{dep.conceptrecid}"))
    if dep.submitted:
        links["doi"] = links["self_doi"] = f"https://doi.org/{ctx.doi(dep.id)}"
        links["parent_doi"] = f"https://doi.org/{ctx.doi(dep.conceptrecid)}"
    return links


def _status(ctx: Context, dep: Deposition, draft: bool, review: dict[str, Any] | None) -> str:
    if not draft or dep.submitted:
        return "published"
    siblings = ctx.storage.by_concept(dep.conceptrecid)
    first = not any(d.submitted for d in siblings)
    if review is None:
        return "draft" if first else "new_version_draft"
    return {"created": "draft_with_review" if first else "new_version_draft_with_review",
            "submitted": "in_review"}.get(review["status"], review["status"])


def _parent(ctx: Context, dep: Deposition, state: dict[str, Any], draft: bool,
            ) -> dict[str, Any]:
    communities: dict[str, Any] = {}
    if dep.communities:
        communities["ids"] = [rdm_requests.register(ctx, s) for s in dep.communities]
        if state.get("default") in dep.communities:
            communities["default"] = rdm_requests.community_id(state["default"])
    parent: dict[str, Any] = {
        "id": dep.conceptrecid, "communities": communities,
        "access": {"owned_by": {"user": str(ctx.storage.user_id(dep.owner))},
                   "settings": {"allow_user_requests": False,
                                "allow_guest_requests": False}},
    }
    if dep.submitted:
        parent["pids"] = {"doi": {"identifier": ctx.doi(dep.conceptrecid),
                                  "provider": "datacite", "client": "datacite"}}
    review = state.get("review")
    if draft and review is not None:
        parent["review"] = rdm_requests.render(ctx, review, dep.id)
    return parent


def _access(body: dict[str, Any], enabled: bool) -> dict[str, Any]:
    access = {**DEFAULT_ACCESS, **(body.get("access") or {})}
    embargo = access.get("embargo") or {"active": False, "reason": None}
    status = "restricted"
    if embargo.get("active"):
        status = "embargoed"
    elif access["record"] == "public" and not enabled:
        status = "metadata-only"
    elif access["record"] == access["files"] == "public":
        status = "open"
    return {"record": access["record"], "files": access["files"], "embargo": embargo,
            "status": status}


def record(ctx: Context, dep: Deposition, state: dict[str, Any], *, draft: bool,
           errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return a draft (``draft=True``) or published record in InvenioRDM's JSON shape.

    :param state: the RDM state (:mod:`zenodo_sandbox.rdm`): body, pending files, review
    :param errors: problems of the body just sent (create and update only)
    """
    body = (state["draft"] if draft else state["record"]) or {}
    files = ctx.storage.files(dep.id)
    pending = state.get("pending") or {} if draft else {}
    siblings = [d for d in ctx.storage.by_concept(dep.conceptrecid) if not d.deleted]
    versions = [d.id for d in siblings]
    published = [d.id for d in siblings if d.submitted]
    enabled = (body.get("files") or {}).get("enabled", True)
    entries = {f.key: _record_entry(ctx, dep, f.key, f, draft) for f in files}
    entries.update({k: _record_entry(ctx, dep, k, None, draft) for k in pending})
    data: dict[str, Any] = {
        "id": str(dep.id),
        "created": iso(dep.created),
        "updated": iso(dep.modified),
        "revision_id": dep.revision,
        "is_published": dep.submitted,
        "is_draft": draft,
        "status": _status(ctx, dep, draft, state.get("review")),
        "parent": _parent(ctx, dep, state, draft),
        "versions": {"index": versions.index(dep.id) + 1,
                     "is_latest": bool(published) and published[-1] == dep.id,
                     "is_latest_draft": versions[-1] == dep.id},
        "pids": dict(body.get("pids") or {}),
        "metadata": body.get("metadata") or {},
        "custom_fields": body.get("custom_fields") or {},
        "access": _access(body, enabled),
        "files": {"enabled": enabled, "order": [], "count": len(entries),
                  "total_bytes": sum(f.size for f in files), "entries": entries},
        "media_files": {"enabled": False, "order": [], "count": 0, "total_bytes": 0,
                        "entries": {}},
        "deletion_status": {"is_deleted": False, "status": "P"},
        "links": _links(ctx, dep, draft, state.get("review") is not None),
    }
    if dep.submitted:
        data["pids"] = {"doi": {"identifier": ctx.doi(dep.id), "provider": "datacite",
                                "client": "datacite"},
                        "oai": {"identifier": f"oai:zenodo.org:{dep.id}", "provider": "oai"}}
    if errors:
        data["errors"] = errors
    return data
