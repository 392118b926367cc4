"""The ``oai_dc`` format as zenodo.org serves it: invenio-rdm-records' ``DublinCoreSchema``
over the record's InvenioRDM view, written by dcxml (elements in alphabetical order).

Its choices: identifiers are the DOI as URL, the OAI id and the alternate identifiers (as URLs
where idutils can make one); relations are the related identifiers, the community pages (with
a trailing ``/``) and the concept DOI; rights are the eu-repo access right, the licence title
and URL; descriptions are the abstract, notes and methods with their tags escaped (so the text
reads ``&lt;p&gt;``); subjects are the keywords only; dates are the publication date and the
embargo end; there is no ``coverage``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import idutils
from lxml import etree

from zenodo_sandbox import licenses, record_licences
from zenodo_sandbox.oai_fields import NS_XSI, FormatContext, community_urls, escape_html, text_node
from zenodo_sandbox.record_view import view_of
from zenodo_sandbox.record_vocab import resource_type

if TYPE_CHECKING:
    from zenodo_sandbox.oai_record import OaiRecord

NS_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
NS_DC = "http://purl.org/dc/elements/1.1/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"


def as_url(identifier: str, scheme: str) -> str:
    """``DublinCoreSchema._transform_identifier``: a URL if idutils can make one, else the
    identifier prefixed with its scheme (unless it already starts with it)."""
    try:
        url = idutils.to_url(identifier, scheme, url_scheme="https")
    except Exception:  # idutils raises various errors for odd values
        url = None
    if not url and not identifier.startswith(scheme):
        url = f"{scheme}:{identifier}"
    return url or identifier


def oai_dc(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Build ``<oai_dc:dc>`` for ``record``."""
    view = view_of(record.metadata)
    root = etree.Element(f"{{{NS_OAI_DC}}}dc",
                         nsmap={"dc": NS_DC, "oai_dc": NS_OAI_DC, "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI_DC} {OAI_DC_SCHEMA}")
    status = view.access_status()
    rdm_licence = licenses.rdm_id(view.licence)
    dates = [view.publication_date]
    if status == "embargoed":
        dates.append(f"info:eu-repo/date/embargoEnd/{view.embargo_until}")
    descriptions = [view.description, view.notes, view.method]
    identifiers = [as_url(record.doi, "doi"), f"oai:{ctx.id_prefix}:{record.recid}"]
    identifiers += [as_url(i["identifier"], i["scheme"]) for i in view.identifiers]
    relations = [as_url(r["identifier"], r["scheme"]) for r in view.related]
    relations += list(community_urls(record, ctx))
    relations.append(as_url(record.conceptdoi, "doi"))
    rights = [f"info:eu-repo/semantics/{status}Access"]
    if rdm_licence:
        rights += [record_licences.title(rdm_licence), record_licences.url(rdm_licence)]
    eurepo = resource_type(view.resource_type)[3] if view.resource_type else None
    elements = (
        ("contributor", [p.name for p in view.contributors]),
        ("creator", [p.name for p in view.creators]),
        ("date", dates),
        ("description", [escape_html(d) for d in descriptions if d]),
        ("identifier", identifiers),
        ("language", view.languages),
        ("publisher", [view.publisher]),
        ("relation", relations),
        ("rights", rights),
        ("subject", view.keywords),
        ("title", [view.title]),
        ("type", [eurepo]),
    )
    for name, values in elements:
        for value in values:
            text_node(root, f"{{{NS_DC}}}{name}", value)
    return root
