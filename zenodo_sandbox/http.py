"""Request helpers shared by the routers: context, caller, JSON bodies and responses."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from zenodo_sandbox.core import NOT_FOUND, PERMISSION_DENIED, ApiError, Context

UNAUTHORIZED = (
    "The server could not verify that you are authorized to access the URL requested. You "
    "either supplied the wrong credentials (e.g. a bad password), or your browser doesn't "
    "understand how to supply the credentials required."
)


def context(request: Request) -> Context:
    """Return the server context stored on the app."""
    return request.app.state.ctx


def user_of(request: Request) -> str:
    """Return the caller's user name; 401 when the token is missing or unknown."""
    user = request.state.user
    if user is None:
        raise ApiError(401, UNAUTHORIZED)
    return user


def depositor(request: Request) -> str:
    """Return the caller of a deposit or bucket endpoint; 403 without a known token.

    zenodo.org answers 403 ``Permission denied.`` to anonymous callers there (its tests pin
    it, with a TODO for 401); the other APIs keep :func:`user_of`'s 401.
    """
    user = request.state.user
    if user is None:
        raise ApiError(403, PERMISSION_DENIED)
    return user


def record_id(value: str) -> int:
    """Return a numeric id from the path; anything else is 404, as on Zenodo.

    Only ASCII digits count: ``str.isdigit`` also accepts ``²``, which ``int`` refuses.
    """
    if not (value.isascii() and value.isdigit()):
        raise ApiError(404, NOT_FOUND)
    return int(value)


def content_length(value: str | None) -> int | None:
    """Return a ``Content-Length`` header's value, or None when absent or not a number."""
    return int(value) if value and value.isascii() and value.isdigit() else None


def query_params(request: Request) -> dict[str, str]:
    """Return single-valued query parameters, ``access_token`` removed."""
    return {k: v for k, v in request.query_params.items() if k != "access_token"}


async def json_body(request: Request) -> Any:
    """Return the parsed JSON body (None when empty); 415 on a non-JSON content type."""
    raw = await request.body()
    if not raw.strip():
        return None
    ctype = request.headers.get("content-type", "")
    if "json" not in ctype.lower():
        raise ApiError(415, "Unsupported media type.")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "The browser (or proxy) sent a request that this server could "
                            "not understand.") from exc


def reply(data: Any, status: int = 200) -> Response:
    """Return a JSON response with an ``ETag`` (md5 of the body)."""
    body = json.dumps(data, separators=(",", ":")).encode()
    etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
    return Response(body, status_code=status, media_type="application/json",
                    headers={"ETag": f'"{etag}"'})
