"""The OAI-PMH metadata formats the sandbox serves, as on Zenodo: ``oai_dc`` (Dublin Core,
following InvenioRDM's serializer, built here), ``datacite`` and ``oai_datacite``
(:mod:`zenodo_sandbox.oai_datacite`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from zenodo_sandbox.oai_datacite import (
    DATACITE_SCHEMA,
    NS_DATACITE,
    NS_OAI_DATACITE,
    OAI_DATACITE_SCHEMA,
    datacite_resource,
    oai_datacite,
)
from zenodo_sandbox.oai_fields import (
    NS_XSI,
    FormatContext,
    access_rights,
    as_url,
    community_urls,
    date_span,
    dicts,
    doi_url,
    license_of,
    people,
    related_identifiers,
    resource_type_of,
    subject_terms,
    text_node,
)

if TYPE_CHECKING:
    from zenodo_sandbox.oai_record import OaiRecord

NS_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
NS_DC = "http://purl.org/dc/elements/1.1/"

#: ``metadataPrefix`` -> (schema, metadataNamespace), as configured in invenio-app-rdm.
METADATA_FORMATS: dict[str, tuple[str, str]] = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", NS_OAI_DC),
    "datacite": (DATACITE_SCHEMA, NS_DATACITE),
    "oai_datacite": (OAI_DATACITE_SCHEMA, NS_OAI_DATACITE),
}


def datestamp(moment: datetime) -> str:
    """Format ``moment`` as an OAI-PMH UTC datestamp truncated to seconds (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def serialise(prefix: str, record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Build the ``<metadata>`` child for ``record`` in the format ``prefix``.

    :param prefix: one of :data:`METADATA_FORMATS`.
    :param record: the record to serialise.
    :param ctx: repository settings.
    """
    builders: dict[str, Callable[[OaiRecord, FormatContext], etree._Element]] = {
        "oai_dc": _oai_dc,
        "datacite": datacite_resource,
        "oai_datacite": oai_datacite,
    }
    return builders[prefix](record, ctx)


def _oai_dc(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Build ``<oai_dc:dc>`` (fields in the alphabetical order InvenioRDM emits)."""
    md = record.metadata
    root = etree.Element(
        f"{{{NS_OAI_DC}}}dc", nsmap={"dc": NS_DC, "oai_dc": NS_OAI_DC, "xsi": NS_XSI}
    )
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI_DC} {METADATA_FORMATS['oai_dc'][0]}")

    def dc(name: str, values: Iterable[Any]) -> None:
        for value in values:
            text_node(root, f"{{{NS_DC}}}{name}", value)

    dc("contributor", (c["name"] for c in people(md, "contributors")))
    dc("coverage", (loc.get("place") for loc in dicts(md.get("locations"))))
    dc("creator", (c["name"] for c in people(md)))
    dates = [md.get("publication_date")]
    dates += [date_span(item) for item in dicts(md.get("dates"))]
    dc("date", dates)
    dc("description", [md.get("description")])
    dc("identifier", [doi_url(record.doi), f"oai:{ctx.id_prefix}:{record.recid}"])
    dc("language", [md.get("language")])
    dc("publisher", [md.get("imprint_publisher") or "Zenodo"])
    relations = [as_url(ident) for ident, _rel, _rt in related_identifiers(md)]
    relations += list(community_urls(record, ctx))
    relations.append(doi_url(record.conceptdoi))
    dc("relation", relations)
    access = access_rights(md)
    licence = license_of(md)
    dc("rights", [access[0], *(licence[1:] if licence else ())])
    dc("subject", (term for term, _attrs in subject_terms(md)))
    dc("title", [md.get("title")])
    dc("type", [resource_type_of(md)[2]])
    return root
