"""Community inclusion through the RDM API, and the caller's own records search.

Choice (unconfirmed on Zenodo): the sandbox has no curators, so the caller counts as a
curator of every community it knows (any slug, or those given with ``--community``). By
default (``--review auto``) a ``community-submission`` review is accepted at once:
``submit-review`` publishes the draft into the community (202 with the accepted request).
With ``--review curator`` the request stays ``submitted`` until the caller accepts it
(:mod:`zenodo_sandbox.rdm_requests`). ``POST /api/records/{id}/communities`` includes a
published record at once. A community is named by its slug or by its id (a UUID derived from
the slug, as ``GET /api/communities/{slug}`` shows).
"""

from __future__ import annotations

import uuid
from typing import Any

from zenodo_sandbox.core import NOT_FOUND, VALIDATION_FAILED, ApiError, Context, iso, owned
from zenodo_sandbox.deposits import flag, latest_per_concept, page_links, paging, reindex
from zenodo_sandbox.query import QueryError, matches, parse, sort_docs
from zenodo_sandbox.rdm import draft_of, load_state, publish_in, render_draft, render_record, save
from zenodo_sandbox.storage import Deposition

UNKNOWN_COMMUNITY = "Community not found."


def _known(ctx: Context, slug: Any) -> bool:
    allowed = ctx.config.communities
    return isinstance(slug, str) and bool(slug) and (not allowed or slug in allowed)


def slug_of(ctx: Context, name: Any) -> Any:
    """The slug of a community named by slug or by id (ids as ``GET /api/communities`` shows)."""
    return ctx.config.community_slugs.get(name, name) if isinstance(name, str) else name


def _request(ctx: Context, dep: Deposition, review: dict[str, Any]) -> dict[str, Any]:
    status = review["status"]
    return {"id": review["id"], "type": review["type"], "status": status,
            "is_open": status == "submitted", "is_closed": status in ("accepted", "declined"),
            "receiver": review["receiver"], "topic": {"record": str(dep.id)},
            "created": iso(review["created"]), "updated": iso(review["updated"]),
            "links": {"self": ctx.url(f"/api/requests/{review['id']}"),
                      "actions": {"accept": ctx.url(
                          f"/api/requests/{review['id']}/actions/accept")}
                      if status == "submitted" else {}}}


def put_review(ctx: Context, user: str, recid: int, body: Any) -> dict[str, Any]:
    """Set the draft's community-submission review (200); only for never-published drafts."""
    receiver = body.get("receiver") if isinstance(body, dict) else None
    slug = slug_of(ctx, receiver.get("community") if isinstance(receiver, dict) else None)
    if not isinstance(body, dict) or body.get("type") != "community-submission":
        raise ApiError(400, VALIDATION_FAILED, [{"field": "type", "messages": [
            "Invalid request type: expected 'community-submission'."]}])
    if not _known(ctx, slug):
        raise ApiError(400, VALIDATION_FAILED, [{"field": "receiver.community",
                                                 "messages": [UNKNOWN_COMMUNITY]}])
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        if dep.submitted:
            raise ApiError(400, "You cannot create a review for a published record.")
        if (state["review"] or {}).get("status") == "submitted":
            raise ApiError(400, "The draft is in review: its open request must be accepted, "
                                "declined or cancelled first.")
        now = ctx.clock()
        state["review"] = {"id": uuid.uuid4().hex, "type": "community-submission",
                           "receiver": {"community": slug}, "status": "created",
                           "created": now, "updated": now}
        save(db, dep, state)
    return _request(ctx, dep, state["review"])


def read_review(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """The draft's review request (404 when it has none)."""
    dep, state = draft_of(ctx, user, recid)
    if state["review"] is None:
        raise ApiError(404, NOT_FOUND)
    return _request(ctx, dep, state["review"])


def submit_review(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """Submit the review (202): accepted at once (publishing the record) unless curated."""
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        review = state["review"]
        if review is None or review["status"] != "created":
            raise ApiError(400, "No review request to submit: set one with PUT .../review.")
        if ctx.config.review_mode == "curator":
            review.update(status="submitted", updated=ctx.clock())
            save(db, dep, state)
        else:
            review.update(status="accepted", updated=ctx.clock())
            publish_in(ctx, db, dep, state, (review["receiver"]["community"],))
    return _request(ctx, dep, review)


def accept_request(ctx: Context, user: str, request_id: str) -> dict[str, Any]:
    """Accept a submitted community submission of the caller's (who counts as curator): the
    record is published into the community (200 with the request)."""
    with ctx.storage.transaction() as db:
        for dep in ctx.storage.all_depositions(user):
            state = load_state(ctx, dep)
            review = state.get("review")
            if review and review["id"] == request_id and state["draft"] is not None:
                if review["status"] != "submitted":
                    raise ApiError(400, f"The request is {review['status']}, not open.")
                review.update(status="accepted", updated=ctx.clock())
                publish_in(ctx, db, dep, state, (review["receiver"]["community"],))
                return _request(ctx, dep, review)
    raise ApiError(404, NOT_FOUND)


def community(ctx: Context, name: str) -> dict[str, Any]:
    """A community by slug or id (404 for slugs outside ``--community`` when given)."""
    slug = slug_of(ctx, name)
    if not _known(ctx, slug):
        raise ApiError(404, UNKNOWN_COMMUNITY)
    ident = str(uuid.uuid5(uuid.NAMESPACE_URL, f"community:{slug}"))
    ctx.config.community_slugs[ident] = slug
    return {"id": ident, "slug": slug, "metadata": {"title": slug},
            "links": {"self": ctx.url(f"/api/communities/{ident}"),
                      "self_html": ctx.url(f"/communities/{slug}")}}


def add_communities(ctx: Context, user: str, recid: int, body: Any) -> dict[str, Any]:
    """Include a published record in communities (200; 400 when none was processed)."""
    wanted = body.get("communities") if isinstance(body, dict) else None
    if not isinstance(wanted, list) or not wanted:
        raise ApiError(400, VALIDATION_FAILED, [{"field": "communities",
                                                 "messages": ["Missing data for required field."]}])
    processed, errors = [], []
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, recid)
        if not dep.submitted:
            raise ApiError(404, NOT_FOUND)
        for item in wanted:
            slug = item.get("id") if isinstance(item, dict) else None
            if not _known(ctx, slug):
                errors.append({"community": slug, "message": UNKNOWN_COMMUNITY})
            elif slug in dep.communities:
                errors.append({"community": slug,
                               "message": "The record is already included in this community."})
            else:
                dep.communities.append(slug)
                processed.append({"community": slug, "request_id": uuid.uuid4().hex,
                                  "request": {"status": "accepted"}})
        if processed:
            dep.modified = ctx.clock()
            db.save(dep)
            reindex(ctx, dep, published=True)
    result = {"processed": processed, "errors": errors}
    if not processed:
        raise ApiError(400, "No community was processed.", errors)
    return result


def _match_doc(ctx: Context, dep: Deposition) -> dict[str, Any]:
    """Return the searchable RDM fields of ``dep`` (current draft, else the record)."""
    state = load_state(ctx, dep)
    body = state["draft"] if state["draft"] is not None else state["record"] or {}
    doc: dict[str, Any] = {"id": str(dep.id), "parent": {"id": dep.conceptrecid},
                           "is_published": dep.submitted,
                           "metadata": body.get("metadata") or {},
                           "custom_fields": body.get("custom_fields") or {}}
    if dep.submitted:
        doc["pids"] = {"doi": {"identifier": ctx.doi(dep.id)}}
    return doc


def _render(ctx: Context, dep: Deposition) -> dict[str, Any]:
    state = load_state(ctx, dep)
    if state["draft"] is not None:
        return render_draft(ctx, dep, state)
    return render_record(ctx, dep, state)


def search(ctx: Context, user: str, params: dict[str, str]) -> dict[str, Any]:
    """Search the caller's records and drafts (``q`` on RDM or deposit field names).

    Hits are chosen from the lagging deposit index (like the deposit search) and rendered
    from the database; a term matches if it matches the RDM form or the deposit form.
    """
    page, size = paging(params, 100)
    try:
        terms = parse(params.get("q") or "")
        docs = ctx.storage.index_docs("deposit", ctx.clock(), owner=user)
        if not flag(params, "allversions") and not flag(params, "all_versions"):
            docs = latest_per_concept(docs)
        sort = params.get("sort") or ("bestmatch" if terms else "mostrecent")
        docs = sort_docs(docs, sort, bool(terms))
    except QueryError as exc:
        raise ApiError(400, str(exc)) from exc
    found = []
    for doc in docs:
        dep = ctx.storage.get(doc["id"])
        if dep is None or dep.deleted:
            continue
        rdm_doc = _match_doc(ctx, dep) if terms else {}
        if all(matches([t], rdm_doc) or matches([t], doc) for t in terms):
            found.append(dep)
    total = len(found)
    args: list[tuple[str, Any]] = [("sort", sort)]
    if params.get("q"):
        args.append(("q", params["q"]))
    links = page_links(ctx, "/api/user/records", args, page, size, total)
    hits = [_render(ctx, dep) for dep in found[(page - 1) * size: page * size]]
    return {"hits": {"hits": hits, "total": total},
            "links": links, "sortBy": sort}
