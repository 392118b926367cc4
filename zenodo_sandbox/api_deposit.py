"""Routes of the legacy deposit API (``/api/deposit/depositions``) and the bucket API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from zenodo_sandbox import deposits, files
from zenodo_sandbox.blobs import TooLarge
from zenodo_sandbox.core import ApiError, owned
from zenodo_sandbox.http import context, json_body, query_params, record_id, reply, user_of

router = APIRouter()
BASE = "/api/deposit/depositions"
ACTIONS = {"publish": (deposits.publish, 202), "edit": (deposits.edit, 201),
           "discard": (deposits.discard, 201), "newversion": (deposits.newversion, 201)}


@router.get(BASE)
def list_depositions(request: Request) -> Response:
    """Search the caller's depositions."""
    return reply(deposits.search(context(request), user_of(request), query_params(request)))


@router.post(BASE)
async def create_deposition(request: Request) -> Response:
    """Create a draft (201)."""
    user, body = user_of(request), await json_body(request)
    data = await run_in_threadpool(deposits.create, context(request), user, body)
    return reply(data, 201)


@router.get(BASE + "/{depid}")
def get_deposition(request: Request, depid: str) -> Response:
    """Read a deposition."""
    ctx = context(request)
    return reply(deposits.render(ctx, owned(ctx, user_of(request), record_id(depid))))


@router.put(BASE + "/{depid}")
async def update_deposition(request: Request, depid: str) -> Response:
    """Replace a draft's metadata."""
    user, body = user_of(request), await json_body(request)
    data = await run_in_threadpool(deposits.update, context(request), user, record_id(depid),
                                   body)
    return reply(data)


@router.delete(BASE + "/{depid}")
def delete_deposition(request: Request, depid: str) -> Response:
    """Delete an unpublished draft (204)."""
    deposits.delete(context(request), user_of(request), record_id(depid))
    return Response(status_code=204)


@router.post(BASE + "/{depid}/actions/{action}")
def deposition_action(request: Request, depid: str, action: str) -> Response:
    """Run publish (202), edit, discard or newversion (201)."""
    if action not in ACTIONS:
        raise ApiError(404, "Not found.")
    handler, status = ACTIONS[action]
    return reply(handler(context(request), user_of(request), record_id(depid)), status)


@router.get(BASE + "/{depid}/files")
def list_files(request: Request, depid: str) -> Response:
    """List a deposition's files (legacy entries)."""
    return reply(files.legacy_list(context(request), user_of(request), record_id(depid)))


@router.post(BASE + "/{depid}/files")
async def post_file(request: Request, depid: str) -> Response:
    """Upload one file as multipart form data (``file`` + optional ``name``)."""
    ctx, user = context(request), user_of(request)
    length = request.headers.get("content-length")
    dep = await run_in_threadpool(files.legacy_prepare, ctx, user, record_id(depid),
                                  int(length) if length and length.isdigit() else None)
    form = await request.form(max_part_size=ctx.config.multipart_max_bytes)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise ApiError(400, "Missing file in the 'file' form field.")
    name = form.get("name") or upload.filename or ""

    def chunks():
        while chunk := upload.file.read(1 << 20):
            yield chunk

    try:
        blob = await run_in_threadpool(ctx.blobs.write_chunks, chunks())
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
    ctx, user = context(request), user_of(request)
    return reply(files.legacy_get(ctx, user, record_id(depid), file_id))


@router.delete(BASE + "/{depid}/files/{file_id}")
def delete_file(request: Request, depid: str, file_id: str) -> Response:
    """Delete one file (204; published: 403)."""
    files.legacy_delete(context(request), user_of(request), record_id(depid), file_id)
    return Response(status_code=204)


@router.put("/api/files/{bucket}/{key:path}")
async def bucket_put(request: Request, bucket: str, key: str) -> Response:
    """Stream a file into a bucket (201)."""
    user = user_of(request)
    length = request.headers.get("content-length")
    data = await files.bucket_put(context(request), user, bucket, key, request.stream(),
                                  int(length) if length and length.isdigit() else None)
    return reply(data, 201)


@router.get("/api/files/{bucket}")
def bucket_list(request: Request, bucket: str) -> Response:
    """List a bucket."""
    return reply(files.bucket_list(context(request), user_of(request), bucket))


@router.get("/api/files/{bucket}/{key:path}")
def bucket_get(request: Request, bucket: str, key: str) -> Response:
    """Download a file from a bucket."""
    stored = files.bucket_file(context(request), user_of(request), bucket, key)
    return FileResponse(stored.path, media_type=stored.mimetype)


@router.delete("/api/files/{bucket}/{key:path}")
def bucket_delete(request: Request, bucket: str, key: str) -> Response:
    """Delete a file from a bucket (204)."""
    files.bucket_delete(context(request), user_of(request), bucket, key)
    return Response(status_code=204)
