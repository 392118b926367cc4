"""One OAI-PMH answer, parsed safely: records, resumption token and error code.

Parsing uses ``defusedxml``: a document that declares entities (billion laughs, external
entities) is refused instead of expanded, and nothing is fetched from the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from zenodo.errors import ZenodoError

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_NS = {"oai": OAI_NS}


class OaiError(ZenodoError):
    """The OAI-PMH server answered with an error other than ``noRecordsMatch``."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, status=422, operation="oai")
        self.code = code


class OaiTokenExpired(OaiError):
    """``badResumptionToken``: the list must be restarted (from its window's start)."""


class UnsafeXml(ZenodoError):
    """The answer declared entities or a DTD we refuse to expand."""


@dataclass(frozen=True)
class OaiPage:
    """One page of an OAI-PMH list.

    :param root: the parsed ``OAI-PMH`` element.
    :param records: the ``record`` (ListRecords/GetRecord) or ``header`` (ListIdentifiers) elements.
    :param resumption_token: the token for the next page, ``None`` at the end.
    :param complete_list_size: the server's count of the whole list, if it gave one.
    :param response_date: the ``responseDate`` text (the next incremental harvest's ``from``).
    :param cursor: how many records of the list came before this page, by the server's count
        of the page its token named (``None`` when the page has no resumption token element).
    """

    root: Element
    records: list[Element]
    resumption_token: str | None
    complete_list_size: int | None
    response_date: str
    cursor: int | None = None


def parse_oai_page(content: bytes) -> OaiPage:
    """Parse one OAI-PMH response body; raise :class:`OaiError` on protocol errors."""
    try:
        root = SafeET.fromstring(
            content, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise UnsafeXml(f"oai: refused unsafe XML ({type(exc).__name__})", operation="oai") from exc
    except SafeET.ParseError as exc:
        raise OaiError(f"oai: answer is not XML: {exc}", code="badXml") from exc
    response_date = root.findtext("oai:responseDate", default="", namespaces=_NS)
    error = root.find("oai:error", _NS)
    if error is not None:
        code = error.get("code", "")
        if code != "noRecordsMatch":
            cls = OaiTokenExpired if code == "badResumptionToken" else OaiError
            raise cls(f"oai: {code}: {(error.text or '').strip()}", code=code)
        return OaiPage(root, [], None, 0, response_date)
    records: list[Element] = []
    token_el: Element | None = None
    for verb in ("ListRecords", "ListIdentifiers", "GetRecord"):
        container = root.find(f"oai:{verb}", _NS)
        if container is None:
            continue
        tag = "header" if verb == "ListIdentifiers" else "record"
        records = container.findall(f"oai:{tag}", _NS)
        token_el = container.find("oai:resumptionToken", _NS)
        break
    token = (token_el.text or "").strip() if token_el is not None else ""
    size = token_el.get("completeListSize") if token_el is not None else None
    cursor = token_el.get("cursor") if token_el is not None else None
    return OaiPage(
        root=root,
        records=records,
        resumption_token=token or None,
        complete_list_size=int(size)
        if size and size.isdigit()
        else (len(records) if token_el is None else None),
        response_date=response_date,
        cursor=int(cursor) if cursor and cursor.isdigit() else None,
    )
