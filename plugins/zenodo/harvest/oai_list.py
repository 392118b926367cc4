"""Follow an OAI-PMH list through the hook: page after page until the resumption tokens end.

A feed that never ends is refused (:class:`FeedRefused`) instead of followed forever: a
resumption token seen before in the list, more pages than the list's own ``completeListSize``
implies (with a margin), or more than :attr:`FeedLimits.max_pages`. The hook refuses a page
larger than :attr:`FeedLimits.max_page_bytes` and stops at the deadline.

A resumption token is sent once: on Zenodo each request reads the list's scroll's *next*
batch whatever page the token names, so a token sent again skips a page, and one whose list
ended is a 500. A page asked with a token that fails (5xx, no answer) raises
:class:`PageLost`: the list must be asked again from its first page (which may be retried).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zenodo.errors import ServerError, ZenodoError
from zenodo.harvest.oai_page import OaiPage, parse_oai_page

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook


class FeedRefused(ZenodoError):
    """The feed does not end as a list must (a repeated token, too many pages): not retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message, operation="oai")


class PageLost(ServerError):
    """A page asked with a resumption token failed; the token is not sent again (on Zenodo
    it would serve the page after): restart the list from its first page."""


@dataclass(frozen=True)
class FeedLimits:
    """How much of a list is followed before it is refused.

    :param max_pages: pages of one list, whatever it says about its size.
    :param page_margin: pages allowed beyond what ``completeListSize`` implies, as a share of
        them (the list may grow while it is harvested) ...
    :param extra_pages: ... plus this many (e.g. Zenodo's last, empty page).
    :param max_page_bytes: the largest page body accepted.
    :param deadline: a ``time.monotonic()`` value: no request is sent, and no body read, after
        it (None: no deadline).
    """

    max_pages: int = 100_000
    page_margin: float = 0.25
    extra_pages: int = 2
    max_page_bytes: int = 32 * 1024 * 1024
    deadline: float | None = None


def oai_page(hook: ZenodoHook, params: dict[str, str],
             limits: FeedLimits | None = None) -> OaiPage:
    """Fetch and parse one OAI-PMH answer.

    The hook retries a 5xx or a lost answer, except for a page asked with a resumption token
    (sent once: Zenodo never serves a token's page twice).
    """
    limits = limits or FeedLimits()
    return parse_oai_page(hook.oai_request(params, max_bytes=limits.max_page_bytes,
                                           deadline=limits.deadline,
                                           retry="resumptionToken" not in params))


def page_allowance(first: OaiPage, limits: FeedLimits) -> tuple[int, str]:
    """Return how many pages a list whose first page is ``first`` may take, and why."""
    size, per_page = first.complete_list_size, len(first.records)
    if size is None or per_page == 0:
        return limits.max_pages, f"the cap of {limits.max_pages} pages"
    expected = math.ceil(size / per_page)
    allowed = math.ceil(expected * (1 + limits.page_margin)) + limits.extra_pages
    if allowed >= limits.max_pages:
        return limits.max_pages, f"the cap of {limits.max_pages} pages"
    return allowed, (f"its completeListSize {size} at {per_page} a page is {expected} pages, "
                     f"{allowed} with the margin")


def oai_pages(
    hook: ZenodoHook,
    *,
    verb: str = "ListRecords",
    metadata_prefix: str = "oai_datacite",
    set_spec: str | None = None,
    from_: str | None = None,
    until: str | None = None,
    resumption_token: str | None = None,
    limits: FeedLimits | None = None,
) -> Iterator[OaiPage]:
    """Yield a list's pages, following resumption tokens until the list ends.

    ``noRecordsMatch`` is one empty page; other OAI errors raise
    :class:`~zenodo.harvest.oai_page.OaiError`.

    :raises FeedRefused: a token comes back, or the list takes more pages than allowed.
    :raises PageLost: a page asked with a token failed (not retried: restart the list).
    """
    limits = limits or FeedLimits()
    params: dict[str, str] = {"verb": verb}
    if resumption_token:
        params["resumptionToken"] = resumption_token
    else:
        params["metadataPrefix"] = metadata_prefix
        for key, value in (("set", set_spec), ("from", from_), ("until", until)):
            if value:
                params[key] = value
    where = f"oai: {verb} of set {set_spec or '-'}"
    tokens: set[str] = {resumption_token} if resumption_token else set()
    allowed, basis = limits.max_pages, ""
    number = 0
    while True:
        number += 1
        try:
            page = oai_page(hook, params, limits)
        except ServerError as exc:
            if "resumptionToken" not in params:
                raise
            raise PageLost(f"{where}: page {number}, asked with a resumption token, failed "
                           f"({exc}); a token is never sent twice (Zenodo would serve the "
                           "next page): the list must restart", status=exc.status,
                           operation="oai") from exc
        if number == 1:
            allowed, basis = page_allowance(page, limits)
        yield page
        token = page.resumption_token
        if not token:
            return
        if token in tokens:
            raise FeedRefused(f"{where}: page {number} repeats resumption token {token[:80]!r} "
                              "(the list would never end)")
        if number >= allowed:
            raise FeedRefused(f"{where}: still not ended after {number} pages ({basis})")
        tokens.add(token)
        params = {"verb": verb, "resumptionToken": token}
