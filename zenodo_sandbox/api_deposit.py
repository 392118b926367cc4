"""Routes of the legacy deposit API (``/api/deposit/depositions``) and the bucket API.

Status codes follow zenodo-rdm ``legacy/resources.py``: create 201, publish 202, edit and
newversion 201, discard and delete 204; callers without a known token get 403. The bucket
routes take a key without ``/`` (``/files/<bucket_id>/<key>``): other paths are 404. Extra
formats (``.../formats``, one file per MIME type) are served for depositions and records.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from zenodo_sandbox import deposit_search, deposits, extra_formats, files
from zenodo_sandbox.blobs import TooLarge
from zenodo_sandbox.core import NOT_FOUND, ApiError
from zenodo_sandbox.http import (
    content_length,
    context,
    depositor,
    json_body,
    query_params,
    record_id,
    reply,
)

router = APIRouter()
BASE = "/api/deposit/depositions"
ACTIONS = {"publish": (deposits.publish, 202), "edit": (deposits.edit, 201),
           "newversion": (deposits.newversion, 201)}


@router.get(BASE)
def list_depositions(request: Request) -> Response:
    """Search the caller's depositions."""
    return reply(deposit_search.search(context(request), depositor(request),
                                       query_params(request)))


@router.post(BASE)
async def create_deposition(request: Request) -> Response:
    """Create a draft (201)."""
    user, body = depositor(request), await json_body(request)
    data = await run_in_threadpool(deposits.create, context(request), user, body)
    return reply(data, 201)


@router.get(BASE + "/{depid}")
def get_deposition(request: Request, depid: str) -> Response:
    """Read a deposition."""
    return reply(deposits.read(context(request), depositor(request), record_id(depid)))


@router.put(BASE + "/{depid}")
async def update_deposition(request: Request, depid: str) -> Response:
    """Replace a draft's metadata."""
    user, body = depositor(request), await json_body(request)
    data = await run_in_threadpool(deposits.update, context(request), user, record_id(depid),
                                   body)
    return reply(data)


@router.delete(BASE + "/{depid}")
def delete_deposition(request: Request, depid: str) -> Response:
    """Delete a draft: a never-published one entirely, else the open edit (204)."""
    deposits.delete(context(request), depositor(request), record_id(depid))
    return Response(status_code=204)


@router.post(BASE + "/{depid}/actions/{action}")
def deposition_action(request: Request, depid: str, action: str) -> Response:
    """Run publish (202), edit or newversion (201), or discard (204, as DELETE)."""
    user = depositor(request)
    if action == "discard":
        deposits.delete(context(request), user, record_id(depid))
        return Response(status_code=204)
    if action not in ACTIONS:
        raise ApiError(404, "Not found.")
    handler, status = ACTIONS[action]
    return reply(handler(context(request), user, record_id(depid)), status)


@router.get(BASE + "/{depid}/files")
def list_files(request: Request, depid: str) -> Response:
    """List a deposition's files (legacy entries)."""
    return reply(files.legacy_list(context(request), depositor(request), record_id(depid)))


@router.post(BASE + "/{depid}/files")
async def post_file(request: Request, depid: str) -> Response:
    """Upload one file as multipart form data (``file`` + optional ``name``)."""
    ctx, user = context(request), depositor(request)
    length = request.headers.get("content-length")
    dep = await run_in_threadpool(files.legacy_prepare, ctx, user, record_id(depid),
                                  content_length(length))
    form = await request.form(max_part_size=ctx.config.multipart_max_bytes)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise ApiError(400, "Missing file in the 'file' form field.")
    name = form.get("name") or upload.filename or ""

    def chunks():
        while chunk := upload.file.read(1 << 20):
            yield chunk

    try:
        blob = await run_in_threadpool(ctx.blobs.write_chunks, chunks(),
                                       ctx.config.multipart_max_bytes)
    except TooLarge as exc:
        raise ApiError(413, files.TOO_LARGE) from exc
    data = await run_in_threadpool(files.legacy_store, ctx, dep, str(name), blob)
    return reply(data, 201)


@router.put(BASE + "/{depid}/files")
@router.put(BASE + "/{depid}/files/{file_id}")
def unsupported_file_change(request: Request, depid: str) -> Response:
    """Sort and rename are not implemented on today's Zenodo (405)."""
    raise ApiError(405, "The method is not allowed for the requested URL.")


@router.get(BASE + "/{depid}/files/{file_id}")
def get_file(request: Request, depid: str, file_id: str) -> Response:
    """Read one legacy file entry."""
    ctx, user = context(request), depositor(request)
    return reply(files.legacy_get(ctx, user, record_id(depid), file_id))


@router.delete(BASE + "/{depid}/files/{file_id}")
def delete_file(request: Request, depid: str, file_id: str) -> Response:
    """Delete one file (204; published: 403)."""
    files.legacy_delete(context(request), depositor(request), record_id(depid), file_id)
    return Response(status_code=204)


@router.put("/api/files/{bucket}/{key}")
async def bucket_put(request: Request, bucket: str, key: str) -> Response:
    """Stream a file into a bucket (201)."""
    user = depositor(request)
    length = request.headers.get("content-length")
    data = await files.bucket_put(context(request), user, bucket, key, request.stream(),
                                  content_length(length))
    return reply(data, 201)


@router.get("/api/files/{bucket}")
def bucket_list(request: Request, bucket: str) -> Response:
    """List a bucket."""
    return reply(files.bucket_list(context(request), depositor(request), bucket))


@router.get("/api/files/{bucket}/{key}")
def bucket_get(request: Request, bucket: str, key: str) -> Response:
    """Download a file from a bucket."""
    stored = files.bucket_file(context(request), depositor(request), bucket, key)
    return FileResponse(stored.path, media_type=stored.mimetype)


@router.delete("/api/files/{bucket}/{key}")
def bucket_delete(request: Request, bucket: str, key: str) -> Response:
    """Delete a file from a bucket (204)."""
    files.bucket_delete(context(request), depositor(request), bucket, key)
    return Response(status_code=204)


def _first_accepted(request: Request) -> str | None:
    """Return the Accept header's preferred MIME type (highest quality first, as Werkzeug)."""
    ranked = []
    for position, part in enumerate((request.headers.get("accept") or "").split(",")):
        kind, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if kind:
            ranked.append((-quality, position, kind))
    return min(ranked)[2] if ranked else None


def _asked_format(request: Request) -> str:
    return extra_formats.mimetype(request.query_params.get("mimetype")
                                  or _first_accepted(request))


def _own_formats(request: Request, depid: str) -> int:
    return deposits.owned(context(request), depositor(request), record_id(depid)).id


def _published_formats(request: Request, recid: str) -> int:
    dep = context(request).storage.get(record_id(recid))
    if dep is None or not dep.submitted or dep.deleted:
        raise ApiError(404, NOT_FOUND)
    return dep.id


@router.get(BASE + "/{depid}/formats")
def get_format(request: Request, depid: str) -> Response:
    """Download an extra format named by ``?mimetype`` or ``Accept``."""
    path = extra_formats.path_of(context(request), _own_formats(request, depid),
                                 _asked_format(request))
    return FileResponse(path, media_type="application/octet-stream")


@router.put(BASE + "/{depid}/formats")
async def put_format(request: Request, depid: str) -> Response:
    """Create or replace the extra format named by ``Content-Type`` (200)."""
    depid_ = await run_in_threadpool(_own_formats, request, depid)
    kind = extra_formats.mimetype(request.headers.get("content-type"))
    return reply(await extra_formats.put(context(request), depid_, kind, request.stream()))


@router.delete(BASE + "/{depid}/formats")
def delete_format(request: Request, depid: str) -> Response:
    """Delete the extra format named by ``Content-Type`` (200)."""
    kind = extra_formats.mimetype(request.headers.get("content-type"))
    return reply(extra_formats.delete(context(request), _own_formats(request, depid), kind))


@router.options(BASE + "/{depid}/formats")
def list_formats(request: Request, depid: str) -> Response:
    """List a deposition's extra formats."""
    return reply(extra_formats.listing(context(request), _own_formats(request, depid)))


@router.get("/api/records/{recid}/formats")
def get_record_format(request: Request, recid: str) -> Response:
    """Download an extra format of a published record."""
    path = extra_formats.path_of(context(request), _published_formats(request, recid),
                                 _asked_format(request))
    return FileResponse(path, media_type="application/octet-stream")


@router.options("/api/records/{recid}/formats")
def list_record_formats(request: Request, recid: str) -> Response:
    """List a published record's extra formats."""
    return reply(extra_formats.listing(context(request), _published_formats(request, recid)))
