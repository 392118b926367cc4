"""Follow an OAI-PMH list through the hook: page after page until the resumption tokens end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from zenodo.harvest.oai_page import OaiPage, parse_oai_page

if TYPE_CHECKING:
    from zenodo.hooks.zenodo import ZenodoHook


def oai_page(hook: ZenodoHook, params: dict[str, str]) -> OaiPage:
    """Fetch and parse one OAI-PMH answer (the hook retries a 5xx or a lost answer)."""
    return parse_oai_page(hook.oai_request(params))


def oai_pages(
    hook: ZenodoHook,
    *,
    verb: str = "ListRecords",
    metadata_prefix: str = "oai_datacite",
    set_spec: str | None = None,
    from_: str | None = None,
    until: str | None = None,
    resumption_token: str | None = None,
) -> Iterator[OaiPage]:
    """Yield a list's pages, following resumption tokens until the list ends.

    ``noRecordsMatch`` is one empty page; other OAI errors raise
    :class:`~zenodo.harvest.oai_page.OaiError`.
    """
    params: dict[str, str] = {"verb": verb}
    if resumption_token:
        params["resumptionToken"] = resumption_token
    else:
        params["metadataPrefix"] = metadata_prefix
        for key, value in (("set", set_spec), ("from", from_), ("until", until)):
            if value:
                params[key] = value
    while True:
        page = oai_page(hook, params)
        yield page
        if not page.resumption_token:
            return
        params = {"verb": verb, "resumptionToken": page.resumption_token}
