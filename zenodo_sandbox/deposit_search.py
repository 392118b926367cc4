"""The deposit list (``GET /api/deposit/depositions``) and the paging helpers searches share.

zenodo.org answers it from InvenioRDM's drafts search (``search_user_records``): the
caller's drafts and published records, a record being edited shown as its draft, only the
latest version of each concept unless ``all_versions`` is given. ``status`` is accepted and
ignored (Zenodo's ``ZenodoArgsSchema`` declares it; nothing filters on it). Sort names are
the keys of Zenodo's ``RDM_SORT_OPTIONS`` (``invenio.cfg``); without ``q`` the default is
``newest`` and ``bestmatch`` also means ``newest``; with ``q`` it is ``bestmatch``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from zenodo_sandbox import serialize
from zenodo_sandbox.core import ApiError, Context
from zenodo_sandbox.query import QueryError, index_words, matches, parse

MAX_RESULTS = 10_000
_TRUE = {"", "true", "1", "yes", "y", "t", "on"}
_FALSE = {"false", "0", "no", "n", "f", "off"}


def _pubdate(doc: dict[str, Any]) -> str:
    return str((doc.get("metadata") or {}).get("publication_date") or "")


#: sort name -> (key, descending); ties fall back to the id
SORTS: dict[str, tuple[Callable[[dict[str, Any]], Any], bool]] = {
    "bestmatch": (lambda d: d["id"], True), "-bestmatch": (lambda d: d["id"], False),
    "newest": (lambda d: d["created"], True), "oldest": (lambda d: d["created"], False),
    "mostrecent": (lambda d: d["created"], True), "-mostrecent": (lambda d: d["created"], False),
    "updated-desc": (lambda d: d["modified"], True),
    "updated-asc": (lambda d: d["modified"], False),
    "version": (lambda d: d["id"], True), "-version": (lambda d: d["id"], False),
    "publication-desc": (_pubdate, True), "publication-asc": (_pubdate, False),
    "publication_date": (_pubdate, True), "-publication_date": (_pubdate, False),
    "journal-desc": (_pubdate, True), "journal": (_pubdate, True), "-journal": (_pubdate, False),
    "mostviewed": (lambda d: d["created"], True), "-mostviewed": (lambda d: d["created"], False),
    "mostdownloaded": (lambda d: d["created"], True),
    "newestactivity": (lambda d: d["modified"], True),
    "oldestactivity": (lambda d: d["modified"], False),
    "conference-desc": (lambda d: d["created"], True),
    "conference_session": (lambda d: d["created"], True),
    "-conference_session": (lambda d: d["created"], False),
}


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    try:
        value = int(params.get(name) or default)
    except ValueError as exc:
        raise ApiError(400, "Invalid querystring parameters.") from exc
    if value < 1:
        raise ApiError(400, "Invalid pagination parameters.")
    return value


def paging(params: dict[str, str], max_size: int, default_size: int = 10) -> tuple[int, int]:
    """Return (page, size) from query parameters; 400 when out of range."""
    page = _int_param(params, "page", 1)
    size = _int_param(params, "size", default_size)
    if size > max_size or page * size > MAX_RESULTS:
        raise ApiError(400, "Invalid pagination parameters.")
    return page, size


def page_links(ctx: Context, path: str, args: list[tuple[str, Any]], page: int, size: int,
               total: int) -> dict[str, str]:
    """Return a search answer's ``self``/``next``/``prev`` links (``args`` kept in each)."""

    def link(number: int) -> str:
        return ctx.url(f"{path}?" + urlencode([("page", number), ("size", size), *args]))

    links = {"self": link(page)}
    if page * size < total:
        links["next"] = link(page + 1)
    if page > 1:
        links["prev"] = link(page - 1)
    return links


def flag(params: dict[str, str], name: str) -> bool:
    """Return a boolean query flag (``true``/``1`` vs ``false``/``0``/absent)."""
    value = (params.get(name) or "false").lower()
    if value not in ("true", "1", "false", "0", ""):
        raise ApiError(400, "Invalid querystring parameters.")
    return value in ("true", "1")


def latest_per_concept(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep only the highest id of each concept."""
    best: dict[str, dict[str, Any]] = {}
    for doc in docs:
        key = str(doc["conceptrecid"])
        if key not in best or doc["id"] > best[key]["id"]:
            best[key] = doc
    return list(best.values())


def _all_versions(params: dict[str, str]) -> bool:
    """``all_versions`` as Zenodo's args schema reads it (a bare ``?all_versions`` is true)."""
    if "all_versions" not in params:
        return False
    value = params["all_versions"].strip().lower()
    if value not in _TRUE | _FALSE:
        raise ApiError(400, "A validation error occurred.")
    return value in _TRUE


def sort_name(params: dict[str, str], has_query: bool) -> str:
    """Return the sort to apply; 400 for a name Zenodo does not know."""
    name = params.get("sort") or ("bestmatch" if has_query else "newest")
    if not has_query and name == "bestmatch":
        name = "newest"
    if name not in SORTS:
        raise ApiError(400, f"Invalid sort option '{name}'.")
    return name


def search(ctx: Context, user: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Search the caller's depositions in the (lagging) deposit index."""
    page, size = paging(params, 100)
    q = params.get("q") or ""
    try:
        terms = parse(q)
    except QueryError as exc:
        raise ApiError(400, str(exc)) from exc
    key, descending = SORTS[sort_name(params, bool(terms))]
    if terms:
        docs = ctx.storage.index_docs("deposit", ctx.clock(), owner=user,
                                      words=index_words(terms))
    else:  # the answer is rendered from the depositions: the sort keys are enough here
        docs = ctx.storage.index_summaries("deposit", ctx.clock(), owner=user)
    if not _all_versions(params):
        docs = latest_per_concept(docs)
    docs = [d for d in docs if matches(terms, d)]
    docs.sort(key=lambda d: d["id"], reverse=descending)
    docs.sort(key=lambda d: key(d) or "", reverse=descending)
    found = []
    for doc in docs[(page - 1) * size: page * size]:
        dep = ctx.storage.get(doc["id"])
        if dep is not None and not dep.deleted:
            found.append(serialize.render(ctx, dep))
    return found
