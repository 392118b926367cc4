"""Routes of the public records API (``/api/records``) and the OAI-PMH endpoint."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from zenodo_sandbox import rdm, records
from zenodo_sandbox.http import context, query_params, record_id, reply, user_of

router = APIRouter()
RDM_JSON = "application/vnd.inveniordm.v1+json"


@router.get("/api/records")
def search_records(request: Request) -> Response:
    """Search published records (``q``, ``communities``, ``page``, ``size``, ``sort``)."""
    communities = request.query_params.getlist("communities")
    return reply(records.search(context(request), query_params(request), communities,
                                request.state.user))


@router.get("/communities/{slug}")
def community_page(request: Request, slug: str) -> HTMLResponse:
    """A plain HTML page of a community: its newest records (what the UI's link opens)."""
    found = records.search(context(request), {"size": "25"}, [slug], None)
    items = "".join(
        f'<li><a href="/api/records/{hit["id"]}">{html.escape(str(hit.get("title", "")))}</a>'
        f" ({html.escape(str(hit.get('doi', '')))})</li>"
        for hit in found["hits"]["hits"]
    )
    title = html.escape(slug)
    body = (
        f"<!doctype html><html><head><title>Community {title}</title></head><body>"
        f"<h1>Community {title}</h1><p>{found['hits']['total']} records</p>"
        f"<ul>{items}</ul></body></html>"
    )
    return HTMLResponse(body)


@router.get("/api/records/{recid}")
def get_record(request: Request, recid: str) -> Response:
    """Read a published record (404 unknown, 410 deleted).

    Zenodo's legacy JSON by default; the InvenioRDM JSON when ``Accept`` asks for
    ``application/vnd.inveniordm.v1+json``, as Zenodo and InvenioRDM answer.
    """
    ctx = context(request)
    if RDM_JSON in request.headers.get("accept", ""):
        return reply(rdm.read_record(ctx, record_id(recid)))
    return reply(records.read(ctx, record_id(recid), request.state.user))


@router.get("/api/records/{recid}/versions/latest")
def latest_version(request: Request, recid: str) -> Response:
    """Redirect to the latest published version of the record's concept."""
    ctx = context(request)
    latest = records.latest_id(ctx, record_id(recid))
    return RedirectResponse(ctx.url(f"/api/records/{latest}"), status_code=302)


@router.get("/api/records/{recid}/files/{key:path}/content")
def record_file(request: Request, recid: str, key: str) -> Response:
    """Download a file of a published record (restricted files: the owner only, else 403)."""
    stored = records.record_file(context(request), record_id(recid), key, draft_of=None,
                                 viewer=request.state.user)
    return FileResponse(stored.path, media_type=stored.mimetype)


@router.get("/api/records/{recid}/draft/files/{key:path}/content")
def draft_file(request: Request, recid: str, key: str) -> Response:
    """Download a file of the caller's draft."""
    stored = records.record_file(context(request), record_id(recid), key,
                                 draft_of=user_of(request))
    return FileResponse(stored.path, media_type=stored.mimetype)


@router.api_route("/oai2d", methods=["GET", "POST"])
async def oai2d(request: Request) -> Response:
    """Answer an OAI-PMH request (errors are HTTP 422, as on Zenodo).

    As on Zenodo (invenio-oaiserver parses with webargs' ``location="querystring"``), only the
    query string counts: the arguments of a form-encoded POST body are not read, except that
    a ``verb`` there still picks the verb whose arguments the query string is checked against.
    """
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    form: dict[str, list[str]] = {}
    if request.method == "POST":
        for key, value in (await request.form()).multi_items():
            form.setdefault(key, []).append(str(value))
    endpoint = request.app.state.oai
    status, body = await run_in_threadpool(endpoint.handle, params, form)
    return Response(body, status_code=status, media_type="text/xml")
