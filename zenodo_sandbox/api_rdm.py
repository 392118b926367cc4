"""Routes of the InvenioRDM records API (drafts, files, publish, versions, communities).

Bearer auth: an anonymous caller (no token, or an unknown one) gets 403 ``Permission
denied.``, as InvenioRDM answers (``test_resources_review.py``); another user's record is
404. Same JSON error bodies, rate limits and faults as the deposit API. Record ids are the
sandbox's integer ids; responses carry them as strings (``"id": "123"``), as InvenioRDM
does, and paths accept them as such.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from zenodo_sandbox import rdm, rdm_community, rdm_files, rdm_search
from zenodo_sandbox.core import PERMISSION_DENIED, ApiError
from zenodo_sandbox.http import context, json_body, query_params, record_id, reply

router = APIRouter()
DRAFT = "/api/records/{recid}/draft"


def user_of(request: Request) -> str:
    """The caller's user name; 403 for anonymous callers."""
    user = request.state.user
    if user is None:
        raise ApiError(403, PERMISSION_DENIED)
    return user


@router.post("/api/records")
async def create_draft(request: Request) -> Response:
    """Create a draft (201 with ``id``, ``links`` and ``errors``)."""
    user, body = user_of(request), await json_body(request)
    return reply(await run_in_threadpool(rdm.create, context(request), user, body), 201)


@router.get(DRAFT)
def get_draft(request: Request, recid: str) -> Response:
    """Read the caller's draft."""
    return reply(rdm.read_draft(context(request), user_of(request), record_id(recid)))


@router.put(DRAFT)
async def put_draft(request: Request, recid: str) -> Response:
    """Replace the draft body."""
    user, body = user_of(request), await json_body(request)
    data = await run_in_threadpool(rdm.update_draft, context(request), user, record_id(recid),
                                   body)
    return reply(data)


@router.delete(DRAFT)
def delete_draft(request: Request, recid: str) -> Response:
    """Delete a new draft, or discard the edit draft of a published record (204)."""
    rdm.delete_draft(context(request), user_of(request), record_id(recid))
    return Response(status_code=204)


@router.post(DRAFT)
def edit_record(request: Request, recid: str) -> Response:
    """Open an edit draft on a published record (201)."""
    return reply(rdm.edit(context(request), user_of(request), record_id(recid)), 201)


@router.post(DRAFT + "/actions/publish")
def publish(request: Request, recid: str) -> Response:
    """Publish the draft (202)."""
    return reply(rdm.publish(context(request), user_of(request), record_id(recid)), 202)


@router.post("/api/records/{recid}/versions")
def new_version(request: Request, recid: str) -> Response:
    """Create a new-version draft without files (201)."""
    return reply(rdm.new_version(context(request), user_of(request), record_id(recid)), 201)


@router.get(DRAFT + "/files")
def list_files(request: Request, recid: str) -> Response:
    """List the draft's files (committed and pending)."""
    return reply(rdm_files.list_files(context(request), user_of(request), record_id(recid)))


@router.post(DRAFT + "/files")
async def declare_files(request: Request, recid: str) -> Response:
    """Declare file keys; entries start ``pending`` (201)."""
    user, body = user_of(request), await json_body(request)
    data = await run_in_threadpool(rdm_files.declare, context(request), user,
                                   record_id(recid), body)
    return reply(data, 201)


@router.put(DRAFT + "/files/{key:path}/content")
async def upload_content(request: Request, recid: str, key: str) -> Response:
    """Stream a declared file's bytes (``application/octet-stream`` only)."""
    user = user_of(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("", "application/octet-stream"):
        raise ApiError(415, "Unsupported media type: send application/octet-stream.")
    data = await rdm_files.upload(context(request), user, record_id(recid), key,
                                  request.stream())
    return reply(data)


@router.post(DRAFT + "/files/{key:path}/commit")
def commit_file(request: Request, recid: str, key: str) -> Response:
    """Commit an uploaded file (status ``completed``, ``md5:`` checksum)."""
    return reply(rdm_files.commit(context(request), user_of(request), record_id(recid), key))


@router.get(DRAFT + "/files/{key:path}")
def read_file(request: Request, recid: str, key: str) -> Response:
    """Read one file entry of the draft."""
    return reply(rdm_files.read_file(context(request), user_of(request), record_id(recid), key))


@router.delete(DRAFT + "/files/{key:path}")
def delete_file(request: Request, recid: str, key: str) -> Response:
    """Delete a draft file (204)."""
    rdm_files.delete(context(request), user_of(request), record_id(recid), key)
    return Response(status_code=204)


@router.post(DRAFT + "/actions/files-import")
def import_files(request: Request, recid: str) -> Response:
    """Copy the previous version's files into a new-version draft (201)."""
    data = rdm_files.import_files(context(request), user_of(request), record_id(recid))
    return reply(data, 201)


@router.get(DRAFT + "/review")
def get_review(request: Request, recid: str) -> Response:
    """Read the draft's review request."""
    return reply(rdm_community.read_review(context(request), user_of(request), record_id(recid)))


@router.put(DRAFT + "/review")
async def put_review(request: Request, recid: str) -> Response:
    """Set a community-submission review on the draft."""
    user, body = user_of(request), await json_body(request)
    data = await run_in_threadpool(rdm_community.put_review, context(request), user,
                                   record_id(recid), body)
    return reply(data)


@router.delete(DRAFT + "/review")
def delete_review(request: Request, recid: str) -> Response:
    """Remove the draft's review (204; an open one: 400)."""
    rdm_community.delete_review(context(request), user_of(request), record_id(recid))
    return Response(status_code=204)


@router.post(DRAFT + "/actions/submit-review")
async def submit_review(request: Request, recid: str) -> Response:
    """Submit the review (202); a curator's submission is accepted and published at once."""
    user, body = user_of(request), await json_body(request)
    data = await run_in_threadpool(rdm_community.submit_review, context(request), user,
                                   record_id(recid), body)
    return reply(data, 202)


@router.post("/api/records/{recid}/communities")
async def add_communities(request: Request, recid: str) -> Response:
    """Ask a published record's inclusion in communities (200, or 400 with ``errors``)."""
    user, body = user_of(request), await json_body(request)
    data, status = await run_in_threadpool(rdm_community.add_communities, context(request),
                                           user, record_id(recid), body)
    return reply(data, status)


@router.get("/api/records/{recid}/files")
def record_files(request: Request, recid: str) -> Response:
    """List a published record's files (public)."""
    return reply(rdm_files.record_files(context(request), record_id(recid)))


@router.get("/api/records/{recid}/files/{key:path}")
def record_file(request: Request, recid: str, key: str) -> Response:
    """One file entry of a published record (public)."""
    return reply(rdm_files.record_file(context(request), record_id(recid), key))


@router.get("/api/user/records")
def user_records(request: Request) -> Response:
    """Search the caller's records and drafts."""
    return reply(rdm_search.search(context(request), user_of(request), query_params(request)))


@router.get("/api/communities/{name}")
def get_community(request: Request, name: str) -> Response:
    """A community by slug or id (its ``id`` is what a review's receiver names)."""
    return reply(rdm_community.community(context(request), name))


@router.get("/api/requests/{request_id}")
def read_request(request: Request, request_id: str) -> Response:
    """Read a request of the caller's records."""
    return reply(rdm_community.read_request(context(request), user_of(request), request_id))


@router.post("/api/requests/{request_id}/actions/{action}")
def request_action(request: Request, request_id: str, action: str) -> Response:
    """Accept, decline or cancel an open request (the caller counts as curator)."""
    return reply(rdm_community.act(context(request), user_of(request), request_id, action))
