"""Routes of the admin/inspection API (``/admin/...``, admin token required).

Every route needs ``Authorization: Bearer <admin-token>`` (401 otherwise; all 401 when the
server runs without ``--admin-token``). Admin calls are neither rate-limited, faulted nor
written to the request log.

=======  ==============================  =================================================
GET      /admin/counts                   depositions by state: ``total``, ``by_state``,
                                         ``by_owner`` {owner: {state: n}}; states
                                         unsubmitted/inprogress/done/deleted
GET      /admin/depositions              every deposition (``?owner=&state=``): id, owner,
                                         state, submitted, conceptrecid, doi, conceptdoi,
                                         title, metadata (draft or published),
                                         record_metadata, communities, times, files
                                         [{id,key,size,md5}]
GET      /admin/depositions/{id}         one of those
GET      /admin/records                  published records (``?owner=&community=``,
                                         ``conceptrecid=``, ``include_deleted=1``) with
                                         published metadata and version; paged by
                                         ``size=`` records with ids above ``after=``
DELETE   /admin/records/{id}             tombstone a published record (410 afterwards,
                                         gone from search and OAI-PMH)
GET      /admin/requests                 request log and counts (``?kind=&method=&status=
                                         &token=&path=&since=``): ``total``, ``counts``
                                         {by_kind, by_status, by_token, by_fault},
                                         ``requests`` [{time, method, path, status, kind,
                                         token (user name), latency_ms, fault}]; status 599
                                         = connection dropped by a fault; ``dropped``:
                                         requests the bounded log no longer holds
GET      /admin/requests/tally           every request since the last clear, by second,
                                         kind, fault and status: ``rows`` [{second, kind,
                                         fault, status, count, latency_ms (their sum)}]
DELETE   /admin/requests                 clear the request log and its tally
GET/PUT  /admin/faults                   read / replace the fault config (see
                                         :mod:`zenodo_sandbox.faults`; PUT reseeds, zeroes counts);
                                         GET adds ``active`` and ``injected`` counts
POST     /admin/faults/outage            ``{"duration": 120, "start_in": 0}`` (0 = clear)
POST     /admin/faults/storm             ``{"duration": 60, "fraction": 0.5, "start_in": 0}``
GET/PUT  /admin/limits                   read / change limits: ``{"profile": "zenodo"|"none",
                                         "limits": {"api": "100/min,5000/h", "oai": "none"},
                                         "strategy": "moving"|"fixed"}``; counts restart
PUT      /admin/delays                   ``{"deposit": s, "records": s, "oai": s}``
POST     /admin/seed                     bulk-create published records (see
                                         :func:`zenodo_sandbox.admin.seed`)
POST     /admin/reset                    wipe depositions, files, indexes, request log and
                                         rate-limit counts (configuration is kept)
=======  ==============================  =================================================
"""

from __future__ import annotations

import dataclasses
import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from zenodo_sandbox import admin
from zenodo_sandbox.config import LIMIT_PROFILES, parse_limit_list
from zenodo_sandbox.core import ApiError, Context
from zenodo_sandbox.http import UNAUTHORIZED, json_body, query_params, record_id, reply

router = APIRouter(prefix="/admin")


def _admin(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    expected = ctx.config.admin_token
    sent = request.headers.get("authorization", "")
    if not expected or not hmac.compare_digest(sent.encode(), f"Bearer {expected}".encode()):
        raise ApiError(401, UNAUTHORIZED)
    return ctx


async def _body(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    if body is not None and not isinstance(body, dict):
        raise ApiError(400, "Expected a JSON object.")
    return body or {}


@router.get("/counts")
def counts(request: Request) -> Response:
    """Return deposition counts by state."""
    return reply(admin.counts(_admin(request)))


@router.get("/depositions")
def depositions(request: Request) -> Response:
    """List all depositions."""
    return reply(admin.depositions(_admin(request), query_params(request)))


@router.get("/depositions/{depid}")
def deposition(request: Request, depid: str) -> Response:
    """Return one deposition as the server holds it."""
    ctx = _admin(request)
    dep = ctx.storage.get(record_id(depid))
    if dep is None:
        raise ApiError(404, "The persistent identifier does not exist.")
    return reply(admin.summary(ctx, dep))


@router.get("/records")
def records(request: Request) -> Response:
    """List published records."""
    return reply(admin.published(_admin(request), query_params(request)))


@router.delete("/records/{recid}")
def delete_record(request: Request, recid: str) -> Response:
    """Tombstone a published record."""
    return reply(admin.tombstone(_admin(request), record_id(recid)))


@router.get("/requests")
def requests_log(request: Request) -> Response:
    """Return the request log with counts."""
    _admin(request)
    log = request.app.state.request_log
    return reply({**admin.request_report(log.entries(), query_params(request)),
                  "dropped": log.dropped})


@router.get("/requests/tally")
def requests_tally(request: Request) -> Response:
    """Return every request since the last clear, counted by second, kind, fault, status."""
    _admin(request)
    return reply({"rows": request.app.state.request_log.tally()})


@router.delete("/requests")
def clear_requests(request: Request) -> Response:
    """Clear the request log and its tally."""
    _admin(request)
    request.app.state.request_log.clear()
    return Response(status_code=204)


@router.get("/faults")
def get_faults(request: Request) -> Response:
    """Return the fault configuration and state."""
    _admin(request)
    return reply(request.app.state.faults.snapshot())


@router.put("/faults")
async def put_faults(request: Request) -> Response:
    """Replace the fault configuration."""
    _admin(request)
    try:
        request.app.state.faults.configure(await _body(request))
    except (ValueError, TypeError) as exc:
        raise ApiError(400, str(exc)) from exc
    return reply(request.app.state.faults.snapshot())


@router.post("/faults/{window}")
async def fault_window(request: Request, window: str) -> Response:
    """Start (or clear with duration 0) an outage or a 429 storm."""
    _admin(request)
    if window not in ("outage", "storm"):
        raise ApiError(404, "Not found.")
    body = await _body(request)
    try:
        request.app.state.faults.set_window(window, body if body.get("duration") else None)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, str(exc)) from exc
    return reply(request.app.state.faults.snapshot())


@router.get("/limits")
def get_limits(request: Request) -> Response:
    """Return the active rate limits."""
    _admin(request)
    return reply(request.app.state.limiter.limits())


@router.put("/limits")
async def put_limits(request: Request) -> Response:
    """Change rate limits (profile, then per-kind overrides) and restart the counts."""
    _admin(request)
    body = await _body(request)
    try:
        limits = {}
        if "profile" in body:
            profile = LIMIT_PROFILES[body["profile"]]
            limits = {k: parse_limit_list(profile.get(k, "")) for k in ("api", "guest",
                                                                          "search", "oai")}
        limits.update({k: parse_limit_list(v) for k, v in (body.get("limits") or {}).items()})
        limiter = request.app.state.limiter
        if "strategy" in body:
            limiter.set_strategy(body["strategy"])
        limiter.set_limits(limits)
    except (KeyError, ValueError) as exc:
        raise ApiError(400, f"Invalid limits: {exc}") from exc
    return reply(request.app.state.limiter.limits())


@router.put("/delays")
async def put_delays(request: Request) -> Response:
    """Change the indexing delays (seconds) of deposit search, records search and OAI."""
    ctx = _admin(request)
    body = await _body(request)
    try:
        ctx.config.delays = dataclasses.replace(ctx.config.delays, **{
            k: float(v) for k, v in body.items()})
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"Invalid delays: {exc}") from exc
    return reply(dataclasses.asdict(ctx.config.delays))


@router.post("/seed")
async def seed(request: Request) -> Response:
    """Bulk-create published records."""
    ctx = _admin(request)
    return reply(await run_in_threadpool(admin.seed, ctx, await _body(request)), 201)


@router.post("/reset")
def reset(request: Request) -> Response:
    """Wipe all data and counters."""
    ctx = _admin(request)
    ctx.storage.wipe()
    ctx.blobs.wipe()
    request.app.state.request_log.clear()
    request.app.state.limiter.set_limits({})
    return reply({"status": "reset"})

