"""Build the JSON shapes of the InvenioRDM API: drafts, records and file entries."""

from __future__ import annotations

from typing import Any

from zenodo_sandbox.core import Context, iso
from zenodo_sandbox.storage import Deposition, StoredFile

DEFAULT_ACCESS = {"record": "public", "files": "public"}


def completed_entry(ctx: Context, dep: Deposition, stored: StoredFile, *,
                    draft: bool) -> dict[str, Any]:
    """Return the entry of a committed file (``status: completed``, ``md5:`` checksum)."""
    base = f"/api/records/{dep.id}/{'draft/' if draft else ''}files/{stored.key}"
    links = {"self": ctx.url(base), "content": ctx.url(f"{base}/content")}
    if draft:
        links["commit"] = ctx.url(f"{base}/commit")
    return {"key": stored.key, "status": "completed", "size": stored.size,
            "checksum": f"md5:{stored.md5}", "mimetype": stored.mimetype,
            "file_id": stored.id, "version_id": stored.version_id, "storage_class": "L",
            "created": iso(stored.created), "updated": iso(stored.updated), "metadata": None,
            "links": links}


def pending_entry(ctx: Context, dep: Deposition, entry: dict[str, Any]) -> dict[str, Any]:
    """Return the entry of a declared, not yet committed file (``status: pending``)."""
    base = f"/api/records/{dep.id}/draft/files/{entry['key']}"
    return {"key": entry["key"], "status": "pending", "size": entry.get("size"),
            "checksum": entry.get("checksum"), "storage_class": "L",
            "created": iso(entry["created"]), "updated": iso(entry["updated"]),
            "metadata": entry.get("metadata"),
            "links": {"self": ctx.url(base), "content": ctx.url(f"{base}/content"),
                      "commit": ctx.url(f"{base}/commit")}}


def file_entries(ctx: Context, dep: Deposition, pending: dict[str, dict[str, Any]], *,
                 draft: bool) -> list[dict[str, Any]]:
    """Return committed files, then pending ones (drafts only), as RDM entries."""
    entries = [completed_entry(ctx, dep, f, draft=draft) for f in ctx.storage.files(dep.id)]
    if draft:
        entries += [pending_entry(ctx, dep, e) for e in pending.values()]
    return entries


def file_listing(ctx: Context, dep: Deposition, pending: dict[str, dict[str, Any]], *,
                 enabled: bool, draft: bool = True) -> dict[str, Any]:
    """Return the body of ``GET/POST .../draft/files``."""
    base = f"/api/records/{dep.id}/{'draft/' if draft else ''}files"
    return {"enabled": enabled, "entries": file_entries(ctx, dep, pending, draft=draft),
            "default_preview": None, "order": [], "links": {"self": ctx.url(base)}}


def _links(ctx: Context, dep: Deposition, draft: bool) -> dict[str, str]:
    api = f"/api/records/{dep.id}"
    links = {
        "self": ctx.url(f"{api}/draft" if draft else api),
        "self_html": ctx.url(f"/uploads/{dep.id}" if draft else f"/records/{dep.id}"),
        "files": ctx.url(f"{api}/draft/files" if draft else f"{api}/files"),
        "record": ctx.url(api), "draft": ctx.url(f"{api}/draft"),
        "publish": ctx.url(f"{api}/draft/actions/publish"),
        "review": ctx.url(f"{api}/draft/review"),
        "submit-review": ctx.url(f"{api}/draft/actions/submit-review"),
        "versions": ctx.url(f"{api}/versions"),
        "latest": ctx.url(f"{api}/versions/latest"),
        "communities": ctx.url(f"{api}/communities"),
    }
    if dep.submitted:
        links["doi"] = f"https://doi.org/{ctx.doi(dep.id)}"
        links["parent_doi"] = f"https://doi.org/{ctx.doi(dep.conceptrecid)}"
    return links


def _status(ctx: Context, dep: Deposition, draft: bool) -> str:
    if not draft:
        return "published"
    if dep.submitted:
        return "published"
    siblings = ctx.storage.by_concept(dep.conceptrecid)
    return "new_version_draft" if any(d.submitted for d in siblings) else "draft"


def record(ctx: Context, dep: Deposition, body: dict[str, Any],
           pending: dict[str, dict[str, Any]], *, draft: bool,
           errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return a draft (``draft=True``) or published record in InvenioRDM's JSON shape.

    :param body: the stored RDM body (``metadata``, ``custom_fields``, ``access``, ``files``)
    :param pending: declared files not committed yet (shown on drafts)
    :param errors: validation problems, reported on drafts as InvenioRDM does
    """
    files = ctx.storage.files(dep.id)
    siblings = [d for d in ctx.storage.by_concept(dep.conceptrecid) if not d.deleted]
    versions = [d.id for d in siblings]
    published = [d.id for d in siblings if d.submitted]
    enabled = (body.get("files") or {}).get("enabled", True)
    data: dict[str, Any] = {
        "id": str(dep.id),
        "created": iso(dep.created),
        "updated": iso(dep.modified),
        "revision_id": dep.revision,
        "is_published": dep.submitted,
        "is_draft": draft,
        "status": _status(ctx, dep, draft),
        "parent": {
            "id": dep.conceptrecid,
            "communities": {"ids": list(dep.communities),
                            "default": dep.communities[0] if dep.communities else None},
            "access": {"owned_by": {"user": str(ctx.storage.user_id(dep.owner))}},
        },
        "versions": {"index": versions.index(dep.id) + 1,
                     "is_latest": bool(published) and published[-1] == dep.id,
                     "is_latest_draft": versions[-1] == dep.id},
        "pids": {},
        "metadata": body.get("metadata") or {},
        "custom_fields": body.get("custom_fields") or {},
        "access": {**DEFAULT_ACCESS, **(body.get("access") or {})},
        "files": {"enabled": enabled, "count": len(files),
                  "total_bytes": sum(f.size for f in files),
                  "entries": {e["key"]: e for e in file_entries(ctx, dep, pending,
                                                                draft=draft)}},
        "links": _links(ctx, dep, draft),
    }
    if dep.submitted:
        data["pids"] = {"doi": {"identifier": ctx.doi(dep.id), "provider": "datacite",
                                "client": "datacite"},
                        "oai": {"identifier": f"oai:zenodo.org:{dep.id}", "provider": "oai"}}
        data["parent"]["pids"] = {"doi": {"identifier": ctx.doi(dep.conceptrecid),
                                          "provider": "datacite", "client": "datacite"}}
    if draft:
        data["errors"] = errors or []
    return data
