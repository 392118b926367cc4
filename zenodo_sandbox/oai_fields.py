"""Helpers the OAI-PMH serialisers share: repository settings, the lxml element helpers
(user text is escaped; characters XML 1.0 cannot carry are dropped) and the two ways
InvenioRDM cleans HTML descriptions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from zenodo_sandbox.oai_record import OaiRecord

NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"

_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: what an HTML tokenizer reads as markup: tags, end tags, comments, declarations
_TAG = re.compile(r"<(?:/?[A-Za-z][^>]*|!--.*?--|[!?][^>]*)>", re.DOTALL)
_BARE_AMP = re.compile(r"&(?!#\d+;|#x[0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")


@dataclass(frozen=True)
class FormatContext:
    """Carry the repository settings a serialiser needs.

    :param id_prefix: OAI identifier prefix (``zenodo.org`` gives ``oai:zenodo.org:<recid>``).
    :param site_url: the site root for record and community URLs, without a trailing slash.
    :param set_prefix: prefix of community sets (``user-``); such sets become community links.
    :param datacentre_symbol: the DataCite client symbol shown in ``oai_datacite``.
    """

    id_prefix: str
    site_url: str
    set_prefix: str
    datacentre_symbol: str = "CERN.ZENODO"


def clean_text(value: Any) -> str:
    """Return ``value`` as a string with the characters XML 1.0 cannot hold removed."""
    return _NOT_XML_CHARS.sub("", str(value))


def node(parent: etree._Element, tag: str, **attrs: Any) -> etree._Element:
    """Append a child element with the given attributes (empty values are skipped)."""
    element = etree.SubElement(parent, tag)
    for name, value in attrs.items():
        if value not in (None, ""):
            element.set(name, clean_text(value))
    return element


def text_node(parent: etree._Element, tag: str, text: Any, **attrs: Any) -> etree._Element | None:
    """Append a text element, or nothing when ``text`` is empty."""
    if text in (None, ""):
        return None
    element = node(parent, tag, **attrs)
    element.text = clean_text(text)
    return element


def communities(record: OaiRecord, ctx: FormatContext) -> list[str]:
    """Return the record's community slugs, taken from its ``user-<slug>`` sets."""
    return [spec[len(ctx.set_prefix):] for spec in record.sets if spec.startswith(ctx.set_prefix)]


def community_urls(record: OaiRecord, ctx: FormatContext) -> Iterator[str]:
    """Yield the record's community pages as InvenioRDM links them (trailing ``/``)."""
    for slug in communities(record, ctx):
        yield f"{ctx.site_url}/communities/{slug}/"


def escape_html(text: str) -> str:
    """Escape tags as ``bleach.clean(tags=[])`` does (Dublin Core and MARC descriptions):
    ``<p>`` becomes ``&lt;p&gt;``, entities stay, a bare ``&`` becomes ``&amp;``."""
    return _BARE_AMP.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def strip_html(text: str) -> str:
    """Drop tags, unescape entities and trim, as marshmallow-utils' ``strip_html`` does
    (DataCite titles and descriptions)."""
    return html.unescape(_TAG.sub("", text)).strip()
