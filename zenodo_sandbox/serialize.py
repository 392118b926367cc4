"""The deposit API's JSON as zenodo.org builds it: depositions and their file entries.

Depositions follow zenodo-rdm ``legacy/serializers/schemas/legacyjson.py`` and the links of
``LegacyRecordServiceConfig`` (``legacy/services.py``); file entries follow
``serializers/schemas/files.py``. A published record that is not being edited is shown as
the record (its ``self`` link is ``/api/records/{id}``); a draft, or a record with an open
edit, as the draft.
"""

from __future__ import annotations

import copy
import posixpath
from typing import Any
from urllib.parse import quote, urlencode

from zenodo_sandbox.core import Context, current_metadata, iso
from zenodo_sandbox.legacy_in import echo
from zenodo_sandbox.storage import Deposition, StoredFile

#: Zenodo hard-codes the production prefix in ``prereserve_doi``, even on its sandbox.
PRERESERVE_PREFIX = "10.5281"
#: ``APP_RDM_RECORD_THUMBNAIL_SIZES``
THUMB_SIZES = (10, 50, 100, 250, 750, 1200)
#: extensions the IIIF previewer handles (thumbnail links are given when a file has one)
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "tif", "tiff"})
_KEY_SAFE = "/!$&'()*+,;=:@"


def _published_file(dep: Deposition) -> bool:
    return dep.submitted and dep.draft is None


def legacy_file(ctx: Context, dep: Deposition, stored: StoredFile) -> dict[str, Any]:
    """Return an entry of the deposit files API (``GET/POST .../files``): bare md5 checksum."""
    area = "files" if _published_file(dep) else "draft/files"
    return {
        "id": stored.id,
        "filename": stored.key,
        "filesize": stored.size,
        "checksum": stored.md5,
        "links": {
            "self": ctx.url(f"/api/deposit/depositions/{dep.id}/files/{stored.id}"),
            "download": ctx.url(f"/api/records/{dep.id}/{area}/{stored.key}/content"),
        },
    }


def _embedded_file(ctx: Context, dep: Deposition, stored: StoredFile,
                   files_url: str) -> dict[str, Any]:
    """Return a ``files`` entry of a deposition (``LegacySchema.dump_files``)."""
    key = quote(stored.key, safe=_KEY_SAFE)
    return {
        "id": stored.id, "filename": stored.key, "filesize": stored.size,
        "checksum": stored.md5,
        "links": {"self": f"{files_url}/{stored.id}",
                  "download": ctx.url(f"/api/records/{dep.id}/draft/files/{key}/content")},
    }


def bucket_file(ctx: Context, dep: Deposition, stored: StoredFile) -> dict[str, Any]:
    """Return a bucket (files REST) entry with ``md5:`` checksum."""
    self_url = ctx.url(f"/api/files/{dep.bucket}/{quote(stored.key, safe=_KEY_SAFE)}")
    return {
        "created": iso(stored.created),
        "updated": iso(stored.updated),
        "version_id": stored.version_id,
        "key": stored.key,
        "size": stored.size,
        "mimetype": stored.mimetype,
        "checksum": f"md5:{stored.md5}",
        "is_head": True,
        "delete_marker": False,
        "links": {
            "self": self_url,
            "version": f"{self_url}?{urlencode({'version_id': stored.version_id})}",
            "uploads": f"{self_url}?uploads=1",
        },
    }


def _communities(dep: Deposition, metadata: dict[str, Any]) -> list[dict[str, str]]:
    slugs = [c["identifier"] for c in metadata.get("communities") or []
             if isinstance(c, dict) and c.get("identifier")] if dep.draft is not None else []
    slugs += [s for s in dep.communities if s not in slugs]
    return [{"identifier": s} for s in slugs]


def _links(ctx: Context, dep: Deposition, doi: str | None, conceptdoi: str | None,
           files: list[StoredFile]) -> dict[str, Any]:
    api, rec = f"/api/deposit/depositions/{dep.id}", f"/api/records/{dep.id}"
    is_record = _published_file(dep)
    links: dict[str, Any] = {
        "self": ctx.url(rec if is_record else api),
        "html": ctx.url(f"/records/{dep.id}" if is_record else f"/deposit/{dep.id}"),
    }
    if doi:
        links["doi"] = f"https://doi.org/{doi}"
    if is_record and conceptdoi:
        links["parent_doi"] = f"https://doi.org/{conceptdoi}"
    links["badge"] = ctx.url(f"/badge/doi/{quote(doi or '', safe='')}.svg")
    if is_record and conceptdoi:
        links["conceptbadge"] = ctx.url(f"/badge/doi/{quote(conceptdoi, safe='')}.svg")
    links["files"] = ctx.url(f"{rec}/files" if is_record else f"{api}/files")
    links["bucket"] = ctx.url(f"/api/files/{dep.bucket}")
    if any(posixpath.splitext(f.key)[1][1:].lower() in IMAGE_EXTENSIONS for f in files):
        links["thumb250"] = ctx.url(f"/record/{dep.id}/thumb250")
        links["thumbs"] = {str(s): ctx.url(f"/record/{dep.id}/thumb{s}") for s in THUMB_SIZES}
    links.update(latest_draft=ctx.url(api), latest_draft_html=ctx.url(f"/deposit/{dep.id}"))
    for action in ("publish", "edit", "discard", "newversion"):
        links[action] = ctx.url(f"{api}/actions/{action}")
    if dep.submitted:
        links.update(record=ctx.url(rec), record_html=ctx.url(f"/record/{dep.id}"),
                     latest=ctx.url(f"{rec}/versions/latest"),
                     latest_html=ctx.url(f"/records/{dep.id}/latest"))
    return links


def deposition(ctx: Context, dep: Deposition, files: list[StoredFile], *,
               concept_published: bool = False) -> dict[str, Any]:
    """Return the legacy deposition resource.

    :param concept_published: a version of the concept is published (it has a concept DOI)
    """
    metadata = echo(copy.deepcopy(current_metadata(dep)))
    communities = _communities(dep, metadata)
    metadata.pop("communities", None)
    if communities:
        metadata["communities"] = communities
    doi = metadata.get("doi") or (ctx.doi(dep.id) if dep.submitted else None)
    if doi:
        metadata["doi"] = doi
    metadata["prereserve_doi"] = {"doi": f"{PRERESERVE_PREFIX}/zenodo.{dep.id}", "recid": dep.id}
    conceptdoi = ctx.doi(dep.conceptrecid) if dep.submitted or concept_published else None
    links = _links(ctx, dep, doi, conceptdoi, files)
    body: dict[str, Any] = {"created": iso(dep.created), "modified": iso(dep.modified),
                            "id": dep.id, "conceptrecid": dep.conceptrecid}
    if doi:
        body["doi"] = doi
    if conceptdoi:
        body["conceptdoi"] = conceptdoi
    if doi:
        body["doi_url"] = links["doi"]
    title = metadata.get("title")
    body.update(
        metadata=metadata, title=title if isinstance(title, str) else "", links=links,
        record_id=dep.id, owner=ctx.storage.user_id(dep.owner),
        files=[_embedded_file(ctx, dep, f, links["files"]) for f in files],
        state=dep.state, submitted=dep.submitted,
    )
    return body


def render(ctx: Context, dep: Deposition) -> dict[str, Any]:
    """Return the deposition resource of ``dep`` as stored now."""
    concept_published = dep.submitted or any(
        d.submitted for d in ctx.storage.by_concept(dep.conceptrecid))
    return deposition(ctx, dep, ctx.storage.files(dep.id), concept_published=concept_published)
