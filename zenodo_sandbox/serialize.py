"""Build the JSON shapes Zenodo answers with: depositions, file entries, Zenodo JSON records."""

from __future__ import annotations

import copy
from typing import Any

from zenodo_sandbox.core import Context, current_metadata, iso
from zenodo_sandbox.storage import Deposition, StoredFile
from zenodo_sandbox.validation import license_id

#: Zenodo hard-codes the production prefix in ``prereserve_doi``, even on its sandbox.
PRERESERVE_PREFIX = "10.5281"


def legacy_file(ctx: Context, dep: Deposition, stored: StoredFile) -> dict[str, Any]:
    """Return a legacy deposit file entry (bare hex checksum)."""
    base = f"/api/deposit/depositions/{dep.id}/files/{stored.id}"
    area = "files" if dep.state == "done" and dep.draft is None else "draft/files"
    return {
        "id": stored.id,
        "filename": stored.key,
        "filesize": stored.size,
        "checksum": stored.md5,
        "links": {
            "self": ctx.url(base),
            "download": ctx.url(f"/api/records/{dep.id}/{area}/{stored.key}/content"),
        },
    }


def bucket_file(ctx: Context, dep: Deposition, stored: StoredFile) -> dict[str, Any]:
    """Return a bucket (files REST) entry with ``md5:`` checksum."""
    self_url = ctx.url(f"/api/files/{dep.bucket}/{stored.key}")
    return {
        "key": stored.key,
        "mimetype": stored.mimetype,
        "checksum": f"md5:{stored.md5}",
        "version_id": stored.version_id,
        "size": stored.size,
        "created": iso(stored.created),
        "updated": iso(stored.updated),
        "links": {
            "self": self_url,
            "version": f"{self_url}?versionId={stored.version_id}",
            "uploads": f"{self_url}?uploads",
        },
        "is_head": True,
        "delete_marker": False,
    }


def deposition(ctx: Context, dep: Deposition, files: list[StoredFile]) -> dict[str, Any]:
    """Return the legacy deposition resource."""
    metadata = copy.deepcopy(current_metadata(dep))
    metadata["prereserve_doi"] = {"doi": f"{PRERESERVE_PREFIX}/zenodo.{dep.id}", "recid": dep.id}
    api = f"/api/deposit/depositions/{dep.id}"
    links = {
        "self": ctx.url(api),
        "html": ctx.url(f"/deposit/{dep.id}"),
        "bucket": ctx.url(f"/api/files/{dep.bucket}"),
        "files": ctx.url(f"{api}/files"),
        "publish": ctx.url(f"{api}/actions/publish"),
        "edit": ctx.url(f"{api}/actions/edit"),
        "discard": ctx.url(f"{api}/actions/discard"),
        "newversion": ctx.url(f"{api}/actions/newversion"),
        "latest_draft": ctx.url(api),
        "latest_draft_html": ctx.url(f"/deposit/{dep.id}"),
    }
    body: dict[str, Any] = {
        "id": dep.id,
        "record_id": dep.id,
        "conceptrecid": dep.conceptrecid,
        "created": iso(dep.created),
        "modified": iso(dep.modified),
        "owner": ctx.storage.user_id(dep.owner),
        "state": dep.state,
        "submitted": dep.submitted,
        "title": metadata.get("title", "") if isinstance(metadata.get("title"), str) else "",
        "files": [legacy_file(ctx, dep, f) for f in files],
        "metadata": metadata,
        "links": links,
    }
    if dep.submitted:
        doi = ctx.doi(dep.id)
        metadata["doi"] = doi
        body.update(doi=doi, doi_url=f"https://doi.org/{doi}", conceptdoi=ctx.doi(dep.conceptrecid))
        links.update(
            self=ctx.url(f"/api/records/{dep.id}"),
            record=ctx.url(f"/api/records/{dep.id}"),
            record_html=ctx.url(f"/records/{dep.id}"),
            latest=ctx.url(f"/api/records/{dep.id}/versions/latest"),
            latest_html=ctx.url(f"/records/{dep.id}/latest"),
            doi=f"https://doi.org/{doi}",
            parent_doi=f"https://doi.org/{ctx.doi(dep.conceptrecid)}",
        )
    return body


def _resource_type(metadata: dict[str, Any]) -> dict[str, str]:
    upload_type = metadata.get("upload_type", "other")
    subtype = metadata.get(f"{upload_type}_type")
    result = {"type": upload_type, "title": str(upload_type).capitalize()}
    if subtype:
        result["subtype"] = f"{upload_type}-{subtype}"
    return result


def record(ctx: Context, dep: Deposition, files: list[StoredFile], *, index: int,
           is_last: bool) -> dict[str, Any]:
    """Return the Zenodo JSON of a published record (``GET /api/records/{id}``).

    :param index: 0-based position of this version in its concept
    :param is_last: whether this is the latest published version
    """
    metadata = copy.deepcopy(dep.record or {})
    doi, conceptdoi = ctx.doi(dep.id), ctx.doi(dep.conceptrecid)
    metadata.pop("communities", None)
    metadata.pop("prereserve_doi", None)
    metadata.update(
        doi=doi,
        resource_type=_resource_type(metadata),
        communities=[{"id": slug} for slug in dep.communities],
        relations={"version": [{
            "index": index, "is_last": is_last,
            "parent": {"pid_type": "recid", "pid_value": dep.conceptrecid},
        }]},
    )
    if "license" in metadata:
        metadata["license"] = {"id": license_id(metadata["license"])}
    api = f"/api/records/{dep.id}"
    return {
        "id": dep.id,
        "recid": str(dep.id),
        "conceptrecid": dep.conceptrecid,
        "doi": doi,
        "conceptdoi": conceptdoi,
        "doi_url": f"https://doi.org/{doi}",
        "created": iso(dep.published),
        "modified": iso(dep.modified),
        "updated": iso(dep.updated),
        "revision": dep.revision,
        "title": metadata.get("title", ""),
        "status": "published",
        "state": "done",
        "submitted": True,
        "owners": [{"id": ctx.storage.user_id(dep.owner)}],
        "stats": {"downloads": 0, "unique_downloads": 0, "views": 0, "unique_views": 0,
                  "version_downloads": 0, "version_unique_downloads": 0,
                  "version_views": 0, "version_unique_views": 0},
        "links": {
            "self": ctx.url(api),
            "self_html": ctx.url(f"/records/{dep.id}"),
            "html": ctx.url(f"/records/{dep.id}"),
            "doi": f"https://doi.org/{doi}",
            "parent_doi": f"https://doi.org/{conceptdoi}",
            "files": ctx.url(f"{api}/files"),
            "latest": ctx.url(f"{api}/versions/latest"),
            "latest_html": ctx.url(f"/records/{dep.id}/latest"),
            "versions": ctx.url(f"{api}/versions"),
        },
        "files": [
            {"id": f.id, "key": f.key, "size": f.size, "checksum": f"md5:{f.md5}",
             "links": {"self": ctx.url(f"{api}/files/{f.key}/content")}}
            for f in files
        ],
        "metadata": metadata,
    }
