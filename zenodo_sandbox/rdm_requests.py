"""Communities and requests (community submissions and inclusions) of the RDM API.

A community is named by its slug or by its id, a UUID derived from the slug (what
``GET /api/communities/{slug}`` answers); InvenioRDM's ``parent.communities`` lists ids.
Requests follow invenio-requests: ``created`` (a draft request), ``submitted`` (open), then
``accepted``, ``declined`` or ``cancelled`` (closed); ``number`` counts them.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from zenodo_sandbox.core import VALIDATION_FAILED, ApiError, Context, iso

UNKNOWN_COMMUNITY = "Community not found."
SUBMISSION = "community-submission"
INCLUSION = "community-inclusion"
_NUMBERS = itertools.count(1)


def community_id(slug: str) -> str:
    """The id of the community ``slug`` (stable: a UUID5 of the slug)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"community:{slug}"))


def known(ctx: Context, slug: Any) -> bool:
    """Whether ``slug`` names a community (any slug, or those given with ``--community``)."""
    allowed = ctx.config.communities
    return isinstance(slug, str) and bool(slug) and (not allowed or slug in allowed)


def slug_of(ctx: Context, name: Any) -> Any:
    """The slug of a community named by slug or by id."""
    if not isinstance(name, str):
        return name
    if name in ctx.config.community_slugs:
        return ctx.config.community_slugs[name]
    for slug in ctx.config.communities:
        if community_id(slug) == name:
            return slug
    return name


def register(ctx: Context, slug: str) -> str:
    """Remember ``slug``'s id (so that the id names it later) and return the id."""
    ident = community_id(slug)
    ctx.config.community_slugs[ident] = slug
    return ident


def new_request(ctx: Context, user: str, kind: str, receiver: dict[str, Any],
                slug: str, recid: int | None = None) -> dict[str, Any]:
    """A new request in state ``created``."""
    now = ctx.clock()
    return {"id": str(uuid.uuid4()), "type": kind, "receiver": receiver, "slug": slug,
            "status": "created", "number": str(next(_NUMBERS)), "title": "",
            "created_by": {"user": str(ctx.storage.user_id(user))}, "recid": recid,
            "created": now, "updated": now}


def new_review(ctx: Context, user: str, data: Any) -> dict[str, Any]:
    """A community-submission review from ``{"type", "receiver": {"community"}}``.

    400 for another request type (``Invalid review type.``) or an unknown community.
    """
    if not isinstance(data, dict) or data.get("type") != SUBMISSION:
        raise ApiError(400, VALIDATION_FAILED, [{"field": "type",
                                                 "messages": ["Invalid review type."]}])
    receiver = data.get("receiver")
    name = receiver.get("community") if isinstance(receiver, dict) else None
    slug = slug_of(ctx, name)
    if not known(ctx, slug):
        raise ApiError(400, VALIDATION_FAILED, [{"field": "receiver.community",
                                                 "messages": [UNKNOWN_COMMUNITY]}])
    register(ctx, slug)
    return new_request(ctx, user, SUBMISSION, {"community": name}, slug)


def set_status(ctx: Context, request: dict[str, Any], status: str) -> None:
    """Move ``request`` to ``status`` now."""
    request.update(status=status, updated=ctx.clock())


def render(ctx: Context, request: dict[str, Any], recid: int) -> dict[str, Any]:
    """The JSON of a request (invenio-requests' shape); the caller may act as creator and as
    the community's curator."""
    status = request["status"]
    base = f"/api/requests/{request['id']}"
    actions = {"created": ("submit", "cancel"), "submitted": ("accept", "decline", "cancel")}
    return {
        "id": request["id"], "type": request["type"], "title": request.get("title", ""),
        "number": request.get("number", ""), "status": status,
        "is_open": status == "submitted", "is_expired": False,
        "is_closed": status in ("accepted", "declined", "cancelled", "expired"),
        "created_by": request.get("created_by", {}), "receiver": request["receiver"],
        "topic": {"record": str(recid)}, "expires_at": None,
        "created": iso(request["created"]), "updated": iso(request["updated"]),
        "revision_id": 1,
        "links": {"self": ctx.url(base), "self_html": ctx.url(f"/requests/{request['id']}"),
                  "comments": ctx.url(f"{base}/comments"),
                  "timeline": ctx.url(f"{base}/timeline"),
                  "actions": {a: ctx.url(f"{base}/actions/{a}")
                              for a in actions.get(status, ())}},
    }
