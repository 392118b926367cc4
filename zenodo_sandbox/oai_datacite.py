"""The ``datacite``/``datacite4`` (bare ``<resource>``) and ``oai_datacite``/``oai_datacite4``
(wrapped) formats as zenodo.org serves them: invenio-rdm-records' ``DataCite45Schema`` over the
record's InvenioRDM view, written by the datacite library's ``schema45`` (its element order).

The OAI record has no links, so the alternate identifiers are the OAI id (type ``oai``) and the
record's own alternate identifiers (DataCite scheme names), not the record page; DOIs among
them are dropped; subjects are the keywords only; related identifiers whose scheme DataCite
does not list are dropped (``lsid`` among them), then come ``IsVersionOf`` the concept DOI and
``IsPartOf`` each community page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from zenodo_sandbox import licenses, record_licences
from zenodo_sandbox.oai_fields import (
    NS_XSI,
    FormatContext,
    community_urls,
    node,
    strip_html,
    text_node,
)
from zenodo_sandbox.rdm_vocabularies import IDENTIFIER_SCHEMES
from zenodo_sandbox.record_view import Person, RecordView, view_of
from zenodo_sandbox.record_vocab import (
    AWARDS,
    DESCRIPTION_TYPES,
    FUNDER_NAMES,
    FUNDERS,
    ROLES,
    datacite_relation,
    resource_type,
)

if TYPE_CHECKING:
    from zenodo_sandbox.oai_record import OaiRecord

NS_DATACITE = "http://datacite.org/schema/kernel-4"
NS_OAI_DATACITE = "http://schema.datacite.org/oai/oai-1.1/"
DATACITE_SCHEMA = "http://schema.datacite.org/meta/kernel-4.5/metadata.xsd"
OAI_DATACITE_SCHEMA = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"
_Q = f"{{{NS_DATACITE}}}"
#: schemes DataCite accepts for related identifiers (``RELATED_IDENTIFIER_SCHEMES``; the
#: ``lsid1`` spelling is InvenioRDM's, so LSIDs never match)
_RELATED_SCHEMES = frozenset({
    "ark", "arxiv", "bibcode", "doi", "ean13", "eissn", "handle", "igsn", "isbn", "issn", "istc",
    "lissn", "lsid1", "pmid", "purl", "upc", "url", "urn", "w3id"})
#: schemes whose DataCite name is not their label (``RDM_RECORDS_IDENTIFIERS_SCHEMES``)
_DATACITE_NAMES = {"ads": "bibcode", "wikidata": "Other", "w3id": "w3id"}
_PERSON_SCHEMES = {"orcid": "ORCID", "gnd": "GND"}


def datacite_scheme(scheme: str) -> str:
    """Return DataCite's name of an identifier scheme (``url`` -> ``URL``)."""
    if scheme in _DATACITE_NAMES:
        return _DATACITE_NAMES[scheme]
    return IDENTIFIER_SCHEMES[scheme][0] if scheme in IDENTIFIER_SCHEMES else scheme


def _person(parent: etree._Element, kind: str, person: Person) -> etree._Element:
    element = etree.SubElement(parent, f"{_Q}{kind}")
    text_node(element, f"{_Q}{kind}Name", person.name, nameType="Personal")
    text_node(element, f"{_Q}givenName", person.given)
    text_node(element, f"{_Q}familyName", person.family)
    for scheme, value in person.identifiers:
        text_node(element, f"{_Q}nameIdentifier", value,
                  nameIdentifierScheme=_PERSON_SCHEMES.get(scheme, scheme))
    text_node(element, f"{_Q}affiliation", person.affiliation)
    return element


def _head(root: etree._Element, record: OaiRecord, ctx: FormatContext, view: RecordView) -> None:
    """alternateIdentifiers, creators, titles, publisher, publicationYear, subjects,
    contributors, dates, language."""
    alternates = node(root, f"{_Q}alternateIdentifiers")
    text_node(alternates, f"{_Q}alternateIdentifier", f"oai:{ctx.id_prefix}:{record.recid}",
              alternateIdentifierType="oai")
    for ident in view.identifiers:
        text_node(alternates, f"{_Q}alternateIdentifier", ident["identifier"],
                  alternateIdentifierType=datacite_scheme(ident["scheme"]))
    if view.creators:
        creators = node(root, f"{_Q}creators")
        for person in view.creators:
            _person(creators, "creator", person)
    if view.title:
        text_node(node(root, f"{_Q}titles"), f"{_Q}title", strip_html(view.title))
    text_node(root, f"{_Q}publisher", view.publisher)
    text_node(root, f"{_Q}publicationYear", (view.publication_date or "")[:4])
    if view.keywords:
        subjects = node(root, f"{_Q}subjects")
        for keyword in view.keywords:
            text_node(subjects, f"{_Q}subject", keyword)
    if view.contributors:
        contributors = node(root, f"{_Q}contributors")
        for person in view.contributors:
            element = _person(contributors, "contributor", person)
            role = ROLES.get(person.role or "", (None, None))[0]
            if role:
                element.set("contributorType", role)
    dates = node(root, f"{_Q}dates")
    text_node(dates, f"{_Q}date", view.publication_date, dateType="Issued")
    for item in view.dates:
        text_node(dates, f"{_Q}date", item["date"], dateType=item["type"].capitalize(),
                  dateInformation=item.get("description"))
    if not any(item["type"] == "updated" for item in view.dates):
        text_node(dates, f"{_Q}date", record.updated.date().isoformat(), dateType="Updated")
    for language in view.languages[:1]:
        text_node(root, f"{_Q}language", language)


def _related(root: etree._Element, record: OaiRecord, ctx: FormatContext,
             view: RecordView) -> None:
    related = etree.Element(f"{_Q}relatedIdentifiers")
    for item in view.related:
        scheme = datacite_scheme(item["scheme"])
        if scheme.lower() not in _RELATED_SCHEMES:
            continue
        element = text_node(related, f"{_Q}relatedIdentifier", item["identifier"],
                            relationType=datacite_relation(item["relation"]))
        if element is not None and item.get("resource_type"):
            element.set("resourceTypeGeneral", resource_type(item["resource_type"])[1])
        if element is not None:
            element.set("relatedIdentifierType", scheme)
    text_node(related, f"{_Q}relatedIdentifier", record.conceptdoi, relationType="IsVersionOf",
              relatedIdentifierType="DOI")
    for url in community_urls(record, ctx):
        text_node(related, f"{_Q}relatedIdentifier", url, relationType="IsPartOf",
                  relatedIdentifierType="URL")
    root.append(related)


def _tail(root: etree._Element, view: RecordView) -> None:
    """version, rightsList, descriptions, geoLocations, fundingReferences."""
    text_node(root, f"{_Q}version", view.version)
    rights = node(root, f"{_Q}rightsList")
    rdm_licence = licenses.rdm_id(view.licence)
    if rdm_licence:
        text_node(rights, f"{_Q}rights", record_licences.title(rdm_licence),
                  rightsURI=record_licences.url(rdm_licence),
                  rightsIdentifierScheme=record_licences.scheme(rdm_licence),
                  rightsIdentifier=rdm_licence)
    node(rights, f"{_Q}rights", rightsURI=f"info:eu-repo/semantics/{view.access_status()}Access")
    descriptions = [(view.description, "Abstract"), (view.notes, DESCRIPTION_TYPES["notes"]),
                    (view.method, DESCRIPTION_TYPES["methods"])]
    if any(text for text, _kind in descriptions):
        parent = node(root, f"{_Q}descriptions")
        for text, kind in descriptions:
            if text:
                text_node(parent, f"{_Q}description", strip_html(text), descriptionType=kind)
    if view.locations:
        geo = node(root, f"{_Q}geoLocations")
        for loc in view.locations:
            element = node(geo, f"{_Q}geoLocation")
            text_node(element, f"{_Q}geoLocationPlace", loc.get("place"))
            if loc.get("lat") and loc.get("lon"):
                point = node(element, f"{_Q}geoLocationPoint")
                text_node(point, f"{_Q}pointLongitude", str(loc["lon"]))
                text_node(point, f"{_Q}pointLatitude", str(loc["lat"]))
    if view.funding:
        funding = node(root, f"{_Q}fundingReferences")
        for funder_doi, number in view.funding:
            ror = FUNDERS.get(funder_doi, (funder_doi, None))[0]
            element = node(funding, f"{_Q}fundingReference")
            text_node(element, f"{_Q}funderName", FUNDER_NAMES.get(ror, (funder_doi, None))[0])
            text_node(element, f"{_Q}funderIdentifier", funder_doi,
                      funderIdentifierType="Crossref Funder ID")
            award = AWARDS.get(f"{ror}::{number}")
            text_node(element, f"{_Q}awardNumber", number, awardURI=award[3] if award else None)
            if award:
                text_node(element, f"{_Q}awardTitle", award[1])


def datacite_resource(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Build the DataCite 4.5 ``<resource>`` of ``record``."""
    view = view_of(record.metadata)
    root = etree.Element(f"{_Q}resource", nsmap={None: NS_DATACITE, "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_DATACITE} {DATACITE_SCHEMA}")
    _head(root, record, ctx, view)
    if view.resource_type:
        _title, general, kind, _eurepo = resource_type(view.resource_type)
        node(root, f"{_Q}resourceType", resourceTypeGeneral=general).text = kind
    text_node(root, f"{_Q}identifier", record.doi, identifierType="DOI")
    _related(root, record, ctx, view)
    _tail(root, view)
    return root


def oai_datacite(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Wrap the DataCite resource in ``<oai_datacite>`` (``schemaVersion`` 4.5)."""
    q = f"{{{NS_OAI_DATACITE}}}"
    root = etree.Element(f"{q}oai_datacite", nsmap={None: NS_OAI_DATACITE, "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI_DATACITE} {OAI_DATACITE_SCHEMA}")
    text_node(root, f"{q}schemaVersion", "4.5")
    text_node(root, f"{q}datacentreSymbol", ctx.datacentre_symbol)
    node(root, f"{q}payload").append(datacite_resource(record, ctx))
    return root
