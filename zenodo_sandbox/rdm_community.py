"""Community review and inclusion through the RDM API (invenio-rdm-records' review and
record-communities services).

Choice (unconfirmed on Zenodo): the sandbox has no curators, so the caller counts as a
curator of every community it knows (any slug, or those given with ``--community``). As a
curator submitting with ``require_review`` false (the default), InvenioRDM includes at
once: ``submit-review`` publishes the draft into the community (202 with the accepted
request), and ``POST /api/records/{id}/communities`` includes a published record. With
``--review curator`` (or ``"require_review": true``) a request stays ``submitted`` until
``POST /api/requests/{id}/actions/accept`` (or ``decline``, ``cancel``).
"""

from __future__ import annotations

from typing import Any

from zenodo_sandbox import rdm_requests as requests
from zenodo_sandbox.core import VALIDATION_FAILED, ApiError, Context
from zenodo_sandbox.deposits import reindex
from zenodo_sandbox.rdm import draft_of, load_state, owned, publish_in, save
from zenodo_sandbox.rdm_validation import schema_errors
from zenodo_sandbox.storage import Deposition, Storage

NO_REVIEW = "Review for draft not found"
OPEN_REVIEW = "An open review cannot be deleted."
INCLUDED = "The record is already included in this community."
OPEN_INCLUSION = "There is already an open inclusion request for this community."


def _closed(state: dict[str, Any], request: dict[str, Any]) -> None:
    """Unset the draft's review; the request stays readable."""
    state["inclusions"].append(request)
    if state["review"] is request:
        state["review"] = None


def put_review(ctx: Context, user: str, recid: int, body: Any) -> dict[str, Any]:
    """Create or replace the draft's community-submission review (200)."""
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        if dep.submitted:
            raise ApiError(400, "You cannot create a review for an already published "
                                "record.")
        if any(d.submitted for d in db.by_concept(dep.conceptrecid)):
            raise ApiError(400, "You cannot create a review for a new version of a "
                                "published record.")
        if (state["review"] or {}).get("status") == "submitted":
            raise ApiError(400, OPEN_REVIEW)
        state["review"] = requests.new_review(ctx, user, body)
        save(db, dep, state)
    return requests.render(ctx, state["review"], dep.id)


def read_review(ctx: Context, user: str, recid: int) -> dict[str, Any]:
    """The draft's review request (404 when it has none)."""
    dep, state = draft_of(ctx, user, recid)
    if state["review"] is None:
        raise ApiError(404, NO_REVIEW)
    return requests.render(ctx, state["review"], dep.id)


def delete_review(ctx: Context, user: str, recid: int) -> None:
    """Remove the draft's review (204); an open one cannot be removed (400)."""
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        if state["review"] is None:
            raise ApiError(404, NO_REVIEW)
        if state["review"]["status"] == "submitted":
            raise ApiError(400, OPEN_REVIEW)
        state["review"] = None
        save(db, dep, state)


def _require_review(body: Any) -> bool:
    value = body.get("require_review", False) if isinstance(body, dict) else False
    if not isinstance(value, bool):
        raise ApiError(400, VALIDATION_FAILED, [{"field": "require_review",
                                                 "messages": ["Must be a boolean, true or "
                                                              "false"]}])
    return value


def _accept_in(ctx: Context, db: Storage, dep: Deposition, state: dict[str, Any],
               request: dict[str, Any]) -> None:
    """Accept an open request: a submission publishes the draft into the community."""
    if request["type"] == requests.SUBMISSION:
        publish_in(ctx, db, dep, state, (request["slug"],), review_done=True)
        requests.set_status(ctx, request, "accepted")
        _closed(state, request)
    else:
        requests.set_status(ctx, request, "accepted")
        if request["slug"] not in dep.communities:
            dep.communities.append(request["slug"])
        dep.modified = ctx.clock()
        reindex(ctx, dep, published=True)
    save(db, dep, state)


def submit_review(ctx: Context, user: str, recid: int, body: Any) -> dict[str, Any]:
    """Submit the draft's review (202); a curator's submission is accepted at once."""
    require = _require_review(body)
    with ctx.storage.transaction() as db:
        dep, state = draft_of(ctx, user, recid)
        review = state["review"]
        if review is None:
            raise ApiError(404, NO_REVIEW)
        if review["status"] != "created":
            raise ApiError(400, f"Cannot submit a request that is {review['status']}.")
        errors = schema_errors(state["draft"])
        if errors:
            raise ApiError(400, VALIDATION_FAILED, errors)
        review["title"] = (state["draft"].get("metadata") or {}).get("title", "")
        requests.set_status(ctx, review, "submitted")
        if require or ctx.config.review_mode == "curator":
            save(db, dep, state)
        else:
            _accept_in(ctx, db, dep, state, review)
    return requests.render(ctx, review, dep.id)


def _find(ctx: Context, user: str, request_id: str,
          ) -> tuple[Deposition, dict[str, Any], dict[str, Any]]:
    for dep in ctx.storage.all_depositions(user):
        state = load_state(ctx, dep)
        for request in [state["review"], *state["inclusions"]]:
            if request and request["id"] == request_id:
                return dep, state, request
    raise ApiError(404, "The persistent identifier does not exist.")


def read_request(ctx: Context, user: str, request_id: str) -> dict[str, Any]:
    """A request of the caller's records."""
    dep, _state, request = _find(ctx, user, request_id)
    return requests.render(ctx, request, dep.id)


def act(ctx: Context, user: str, request_id: str, action: str) -> dict[str, Any]:
    """Accept, decline or cancel an open request of the caller's (200)."""
    if action not in ("accept", "decline", "cancel"):
        raise ApiError(400, f"Invalid action {action}.")
    with ctx.storage.transaction() as db:
        dep, state, request = _find(ctx, user, request_id)
        if request["status"] != "submitted":
            raise ApiError(400, f"The request is {request['status']}: it cannot be "
                                f"{action}ed.")
        if action == "accept":
            _accept_in(ctx, db, dep, state, request)
        else:
            requests.set_status(ctx, request, "declined" if action == "decline"
                                else "cancelled")
            if action == "cancel" and state["review"] is request:
                _closed(state, request)
            save(db, dep, state)
    return requests.render(ctx, request, dep.id)


def community(ctx: Context, name: str) -> dict[str, Any]:
    """A community by slug or id (404 for slugs outside ``--community`` when given)."""
    slug = requests.slug_of(ctx, name)
    if not requests.known(ctx, slug):
        raise ApiError(404, requests.UNKNOWN_COMMUNITY)
    ident = requests.register(ctx, slug)
    return {"id": ident, "slug": slug, "metadata": {"title": slug},
            "access": {"visibility": "public", "member_policy": "open",
                       "record_submission_policy": "open", "review_policy": "open"},
            "links": {"self": ctx.url(f"/api/communities/{ident}"),
                      "self_html": ctx.url(f"/communities/{slug}"),
                      "records": ctx.url(f"/api/communities/{ident}/records")}}


def _include(ctx: Context, user: str, dep: Deposition, state: dict[str, Any],
             item: Any) -> dict[str, Any]:
    name = item.get("id") if isinstance(item, dict) else None
    slug = requests.slug_of(ctx, name)
    result: dict[str, Any] = {"community_id": name}
    if not requests.known(ctx, slug):
        return {**result, "message": requests.UNKNOWN_COMMUNITY}
    if slug in dep.communities:
        return {**result, "message": INCLUDED}
    if any(r["slug"] == slug and r["status"] == "submitted" for r in state["inclusions"]):
        return {**result, "message": OPEN_INCLUSION}
    requests.register(ctx, slug)
    request = requests.new_request(ctx, user, requests.INCLUSION,
                                   {"community": requests.community_id(slug)}, slug, dep.id)
    requests.set_status(ctx, request, "submitted")
    state["inclusions"].append(request)
    review = isinstance(item, dict) and item.get("require_review") is True
    if not review and ctx.config.review_mode != "curator":
        requests.set_status(ctx, request, "accepted")
        dep.communities.append(slug)
    return {**result, "request_id": request["id"],
            "request": requests.render(ctx, request, dep.id)}


def add_communities(ctx: Context, user: str, recid: int, body: Any,
                    ) -> tuple[dict[str, Any], int]:
    """Ask the inclusion of a published record in communities.

    :return: the answer (``processed`` and/or ``errors``) and its status: 200 when one was
        processed, else 400 (the body is then only ``errors``, as InvenioRDM answers)
    """
    wanted = body.get("communities") if isinstance(body, dict) else None
    if not isinstance(wanted, list) or not wanted:
        raise ApiError(400, VALIDATION_FAILED, [{"field": "communities",
                                                 "messages": ["Missing data for required "
                                                              "field."]}])
    processed, errors = [], []
    with ctx.storage.transaction() as db:
        dep = owned(ctx, user, recid)
        if not dep.submitted:
            raise ApiError(404, "The persistent identifier does not exist.")
        state = load_state(ctx, dep)
        for item in wanted:
            result = _include(ctx, user, dep, state, item)
            (errors if "message" in result else processed).append(result)
        if processed:
            dep.modified = ctx.clock()
            save(db, dep, state)
            reindex(ctx, dep, published=True)
    answer: dict[str, Any] = {}
    if processed:
        answer["processed"] = processed
    if errors:
        answer["errors"] = errors
    return answer, 200 if processed else 400
