"""Follow an OAI-PMH list through the hook: page after page until the resumption tokens end.

A feed that never ends is refused (:class:`FeedRefused`) instead of followed forever: a
resumption token seen before in the list, more pages than the list's own ``completeListSize``
implies (with a margin), or more than :attr:`FeedLimits.max_pages`. The hook refuses a page
larger than :attr:`FeedLimits.max_page_bytes` and stops at the deadline.

A failed page is asked again (the hook's retries). On Zenodo a request with a resumption token
reads the list's scroll's *next* batch whatever page the token names, so a page asked again
after a failure the server did serve comes back as the page after it: the page between is
skipped, silently. When a page had to be asked again, the list is counted at its end against
``completeListSize`` less the first page's ``cursor``; a list that came out short raises
:class:`PageLost` (restart it from its first page), as does a token page that still fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
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


def oai_page(hook: ZenodoHook, params: dict[str, str], limits: FeedLimits | None = None,
             on_retry: Callable[[BaseException], None] | None = None) -> OaiPage:
    """Fetch and parse one OAI-PMH answer; the hook retries a 5xx or a lost answer."""
    limits = limits or FeedLimits()
    return parse_oai_page(hook.oai_request(params, max_bytes=limits.max_page_bytes,
                                           deadline=limits.deadline, on_retry=on_retry))


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
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> Iterator[OaiPage]:
    """Yield a list's pages, following resumption tokens until the list ends.

    ``noRecordsMatch`` is one empty page; other OAI errors raise
    :class:`~zenodo.harvest.oai_page.OaiError`.

    :param on_retry: told the page number and the failure before a page is asked again.
    :raises FeedRefused: a token comes back, or the list takes more pages than allowed.
    :raises PageLost: a token page still failed after its retries, or a page asked again
        skipped one (the list came out short): restart the list.
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
    number = received = 0
    expected: int | None = None
    asked_again: list[int] = []
    while True:
        number += 1

        def retrying(exc: BaseException, number: int = number,
                     with_token: bool = "resumptionToken" in params) -> None:
            if with_token:
                asked_again.append(number)
            if on_retry is not None:
                on_retry(number, exc)

        try:
            page = oai_page(hook, params, limits, on_retry=retrying)
        except ServerError as exc:
            if "resumptionToken" not in params:
                raise
            raise PageLost(f"{where}: page {number}, asked with a resumption token, still "
                           f"failed after its retries ({exc}): the list must restart",
                           status=exc.status, operation="oai") from exc
        if number == 1:
            allowed, basis = page_allowance(page, limits)
            if page.complete_list_size is not None:
                expected = page.complete_list_size - (page.cursor or 0)
        received += len(page.records)
        yield page
        token = page.resumption_token
        if not token:
            _check_nothing_skipped(where, received, expected, asked_again)
            return
        if token in tokens:
            raise FeedRefused(f"{where}: page {number} repeats resumption token {token[:80]!r} "
                              "(the list would never end)")
        if number >= allowed:
            raise FeedRefused(f"{where}: still not ended after {number} pages ({basis})")
        tokens.add(token)
        params = {"verb": verb, "resumptionToken": token}


def _check_nothing_skipped(where: str, received: int, expected: int | None,
                           asked_again: list[int]) -> None:
    """Raise :class:`PageLost` when a list whose token pages were asked again came out short.

    Without a page asked again a short list is records deleted while it was read, not a gap.
    """
    if not asked_again or expected is None or received >= expected:
        return
    pages = ", ".join(map(str, sorted(set(asked_again))))
    raise PageLost(f"{where}: page(s) {pages} were asked again with their resumption token "
                   f"after a failure and the list came out short ({received} of {expected} "
                   "records): the server had moved on, a page was skipped; the list must "
                   "restart", status=None, operation="oai")
