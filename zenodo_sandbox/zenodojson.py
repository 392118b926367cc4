"""The records API's JSON (``GET /api/records/{id}`` and its search hits) as zenodo.org
builds it: zenodo-rdm ``legacy/serializers/schemas/zenodojson.py`` over ``common.py``, applied
to the InvenioRDM record the legacy deserializer made (:mod:`zenodo_sandbox.record_view`).

What that gives, unlike the deposit API's legacy JSON: ``resource_type`` is
``{type, subtype, title}`` with the bare subtype (``photo``); ``isAlternateIdentifier``
related identifiers leave ``related_identifiers`` for ``alternate_identifiers`` (identifier
only); grants are objects; ``license`` is ``{"id": <legacy id>}`` (``cc0-1.0`` shows as
``cc-zero``); ``closed`` access shows as ``restricted``; creators always carry
``affiliation`` (``null`` when none); dates keep ``start``/``end`` only for intervals and
their type lower-cased; keys with nothing to show are left out (``communities`` too);
file links quote the key; files are listed only to callers who may read them.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from zenodo_sandbox import licenses
from zenodo_sandbox.core import Context, iso
from zenodo_sandbox.record_view import Person, RecordView, view_of
from zenodo_sandbox.record_vocab import (
    AWARDS,
    FUNDER_NAMES,
    FUNDERS,
    LEGACY_RELATIONS,
    ROLES,
    resource_type,
)
from zenodo_sandbox.storage import Deposition, StoredFile

#: custom field prefixes ``custom`` leaves out (``dump_custom_fields``)
_NOT_CUSTOM = ("legacy:", "thesis:", "imprint:", "meeting:", "journal:", "part_of:")
_STATS = ("downloads", "unique_downloads", "views", "unique_views", "volume",
          "version_downloads", "version_unique_downloads", "version_unique_views",
          "version_views", "version_volume")
#: ``FUNDER_ROR_TO_DOI``: RCUK and UKRI share a ROR that resolves to UKRI
_ROR_TO_DOI = {ror: doi for doi, (ror, _acronym) in FUNDERS.items()} | {
    "001aqnf71": "10.13039/100014013"}


def _person(person: Person, contributor: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": person.name, "affiliation": person.affiliation}
    if contributor:
        out["type"] = ROLES.get(person.role or "", (None, None))[0]
    for scheme, value in person.identifiers:
        out[scheme] = value
    return out


def _date(item: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": item["type"]}
    if item.get("description"):
        out["description"] = item["description"]
    start, sep, end = item["date"].partition("/")
    if sep:
        out.update(start=start, end=end)
    return out


def _location(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if item.get("place"):
        out["place"] = item["place"]
    if item.get("description"):
        out["description"] = item["description"]
    if item.get("lat") and item.get("lon"):
        out.update(lon=item["lon"], lat=item["lat"])
    return out


def grant(funder_doi: str, number: str) -> dict[str, Any]:
    """Return the legacy grant object of one funding entry (``common.MetadataSchema._grant``)."""
    ror = FUNDERS.get(funder_doi, (funder_doi, None))[0]
    doi = _ROR_TO_DOI.get(ror, funder_doi)
    name, country = FUNDER_NAMES.get(ror, (doi, None))
    funder: dict[str, Any] = {"name": name}
    if doi.startswith("10.13039/"):
        funder["doi"] = doi
    if country:
        funder["country"] = country
    acronym = FUNDERS.get(doi, (None, None))[1]
    if acronym:
        funder["acronym"] = acronym
    out: dict[str, Any] = {"code": number, "internal_id": f"{doi}::{number}", "funder": funder}
    award = AWARDS.get(f"{ror}::{number}")
    if award:
        acronym, title, program, url = award
        out.update(title=title, acronym=acronym, program=program, url=url)
    return out


def _custom_groups(view: RecordView, md: dict[str, Any]) -> None:
    fields = view.custom_fields
    for key, name, allowed in (
        ("journal", "journal:journal", ("issue", "pages", "title", "volume", "year")),
        ("meeting", "meeting:meeting", ("title", "acronym", "dates", "place", "url",
                                        "session", "session_part")),
        ("imprint", "imprint:imprint", ("publisher", "place", "isbn")),
        ("thesis", "thesis:thesis", ("university",)),
    ):
        value = {k: v for k, v in (fields.get(name) or {}).items() if k in allowed}
        if value:
            md[key] = value
    custom = {k: v for k, v in fields.items() if not k.startswith(_NOT_CUSTOM)}
    if custom:
        md["custom"] = copy.deepcopy(custom)


def metadata(view: RecordView, *, doi: str | None, communities: list[str],
             version_index: int, is_last: bool, conceptrecid: str) -> dict[str, Any]:
    """Return the ``metadata`` object of the Zenodo JSON."""
    md: dict[str, Any] = {"title": view.title, "doi": doi,
                          "publication_date": view.publication_date,
                          "description": view.description,
                          "access_right": view.access_status()}
    if view.embargo_until:
        md["embargo_date"] = view.embargo_until
    md["creators"] = [_person(p) for p in view.creators]
    if view.contributors:
        md["contributors"] = [_person(p, contributor=True) for p in view.contributors]
    if view.keywords:
        md["keywords"] = list(view.keywords)
    if view.legacy_subjects:
        md["subjects"] = copy.deepcopy(view.legacy_subjects)
    if view.related:
        md["related_identifiers"] = [
            {k: v for k, v in (("identifier", r["identifier"]),
                               ("relation", LEGACY_RELATIONS.get(r["relation"])),
                               ("resource_type", r.get("resource_type")),
                               ("scheme", r["scheme"])) if v is not None}
            for r in view.related]
    if view.locations:
        md["locations"] = [_location(loc) for loc in view.locations]
    if view.dates:
        md["dates"] = [_date(d) for d in view.dates]
    for key, value in (("version", view.version), ("notes", view.notes),
                       ("method", view.method)):
        if value:
            md[key] = value
    if view.references:
        md["references"] = list(view.references)
    if view.languages:
        md["language"] = view.languages[0]
    _custom_groups(view, md)
    if view.resource_type:
        title = resource_type(view.resource_type)[0]
        kind, sep, sub = view.resource_type.partition("-")
        md["resource_type"] = {"title": title, "type": kind, **({"subtype": sub} if sep else {})}
    if view.identifiers:
        md["alternate_identifiers"] = [{"identifier": i["identifier"]} for i in view.identifiers]
    rdm_licence = licenses.rdm_id(view.licence)
    if rdm_licence:
        md["license"] = {"id": licenses.legacy_id(rdm_licence)}
    if view.funding:
        md["grants"] = [grant(funder, number) for funder, number in view.funding]
    if communities:
        md["communities"] = [{"id": slug} for slug in communities]
    md["relations"] = {"version": [{
        "index": version_index, "is_last": is_last,
        "parent": {"pid_type": "recid", "pid_value": conceptrecid}}]}
    return {k: v for k, v in md.items() if v is not None or k == "access_right"}


def record_doi(ctx: Context, dep: Deposition) -> str:
    """Return the record's DOI: an external ``doi`` given at deposit (Zenodo keeps it with the
    ``external`` provider: ``deserializers/schemas.py`` ``_pids``), else the sandbox's."""
    given = (dep.record or {}).get("doi")
    own = (ctx.doi(dep.id), f"10.5281/zenodo.{dep.id}")
    if isinstance(given, str) and given.strip() and not given.startswith("10.5281/") \
            and given.strip() not in own:
        return given.strip()
    return ctx.doi(dep.id)


def versions_of(ctx: Context, dep: Deposition) -> tuple[int, bool]:
    """Return (0-based version index, whether it is the latest published version)."""
    siblings = [d for d in ctx.storage.by_concept(dep.conceptrecid) if d.submitted]
    index = next((i for i, d in enumerate(siblings) if d.id == dep.id), 0)
    live = [d.id for d in siblings if not d.deleted]
    return index, bool(live) and live[-1] == dep.id


def links(ctx: Context, dep: Deposition) -> dict[str, str]:
    """Return InvenioRDM's links of a published record (``RDMRecordServiceConfig``)."""
    api, html = f"/api/records/{dep.id}", f"/records/{dep.id}"
    doi, parent_doi = record_doi(ctx, dep), ctx.doi(dep.conceptrecid)
    return {
        "self": ctx.url(api), "self_html": ctx.url(html),
        "preview_html": ctx.url(f"{html}?preview=1"),
        "doi": f"https://doi.org/{doi}", "self_doi": f"https://doi.org/{doi}",
        "self_doi_html": ctx.url(f"/doi/{doi}"),
        "reserve_doi": ctx.url(f"{api}/draft/pids/doi"),
        "parent": ctx.url(f"/api/records/{dep.conceptrecid}"),
        "parent_html": ctx.url(f"/records/{dep.conceptrecid}"),
        "parent_doi": f"https://doi.org/{parent_doi}",
        "parent_doi_html": ctx.url(f"/doi/{parent_doi}"),
        "self_iiif_manifest": ctx.url(f"/api/iiif/record:{dep.id}/manifest"),
        "self_iiif_sequence": ctx.url(f"/api/iiif/record:{dep.id}/sequence/default"),
        "files": ctx.url(f"{api}/files"), "media_files": ctx.url(f"{api}/media-files"),
        "archive": ctx.url(f"{api}/files-archive"),
        "archive_media": ctx.url(f"{api}/media-files-archive"),
        "latest": ctx.url(f"{api}/versions/latest"), "latest_html": ctx.url(f"{html}/latest"),
        "versions": ctx.url(f"{api}/versions"), "draft": ctx.url(f"{api}/draft"),
        "access_links": ctx.url(f"{api}/access/links"),
        "access_grants": ctx.url(f"{api}/access/grants"),
        "access_users": ctx.url(f"{api}/access/users"),
        "access_request": ctx.url(f"{api}/access/request"),
        "access": ctx.url(f"{api}/access"),
        "communities": ctx.url(f"{api}/communities"),
        "communities-suggestions": ctx.url(f"{api}/communities-suggestions"),
        "request_deletion": ctx.url(f"{api}/request-deletion"),
        "file_modification": ctx.url(f"{api}/file-modification"),
        "quota_increase": ctx.url(f"{api}/quota-increase"),
        "requests": ctx.url(f"{api}/requests"),
    }


def file_entry(ctx: Context, dep: Deposition, stored: StoredFile) -> dict[str, Any]:
    """Return one ``files`` entry; the key is quoted as Zenodo quotes it (``dump_files``)."""
    key = quote(stored.key, safe="/!$&'()*+,;=:@")
    return {"id": stored.id, "key": stored.key, "size": stored.size,
            "checksum": f"md5:{stored.md5}",
            "links": {"self": ctx.url(f"/api/records/{dep.id}/files/{key}/content")}}


def record(ctx: Context, dep: Deposition, files: list[StoredFile]) -> dict[str, Any]:
    """Return the Zenodo JSON of published record ``dep`` with all its files listed."""
    view = view_of(dep.record or {})
    doi, conceptdoi = record_doi(ctx, dep), ctx.doi(dep.conceptrecid)
    index, is_last = versions_of(ctx, dep)
    md = metadata(view, doi=doi, communities=list(dep.communities), version_index=index,
                  is_last=is_last, conceptrecid=dep.conceptrecid)
    return {
        "created": iso(dep.published), "modified": iso(dep.updated),
        "id": dep.id, "conceptrecid": dep.conceptrecid, "doi": doi, "conceptdoi": conceptdoi,
        "doi_url": f"https://doi.org/{doi}", "metadata": md, "title": md.get("title") or "",
        "links": links(ctx, dep), "updated": iso(dep.updated), "recid": str(dep.id),
        "revision": dep.revision, "files": [file_entry(ctx, dep, f) for f in files],
        "owners": [{"id": str(ctx.storage.user_id(dep.owner))}], "status": "published",
        "stats": dict.fromkeys(_STATS, 0), "state": "done", "submitted": True,
    }


def for_viewer(doc: dict[str, Any], viewer_id: int | None) -> dict[str, Any]:
    """Return ``doc`` as a caller sees it: files hidden unless open or the caller owns it.

    InvenioRDM dumps ``files.entries`` only with the ``read_files`` permission; restricted
    and embargoed files are the owner's alone.
    """
    owners = {str(o.get("id")) for o in doc.get("owners") or []}
    open_files = (doc.get("metadata") or {}).get("access_right") == "open"
    if open_files or (viewer_id is not None and str(viewer_id) in owners):
        return doc
    return {**doc, "files": []}
