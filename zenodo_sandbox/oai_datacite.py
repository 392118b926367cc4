"""Serialise a record as DataCite 4.3: the bare ``<resource>`` of the ``datacite`` format and
the same resource wrapped in ``<oai_datacite>`` (``schemaVersion``, ``datacentreSymbol``,
``payload``) as InvenioRDM does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from zenodo_sandbox.oai_fields import (
    DATACITE_GENERAL,
    NS_XSI,
    FormatContext,
    access_rights,
    clean_text,
    community_urls,
    date_span,
    dicts,
    guess_scheme,
    license_of,
    node,
    people,
    related_identifiers,
    resource_type_of,
    subject_terms,
    text_node,
)

if TYPE_CHECKING:
    from zenodo_sandbox.oai_record import OaiRecord

NS_DATACITE = "http://datacite.org/schema/kernel-4"
NS_OAI_DATACITE = "http://schema.datacite.org/oai/oai-1.1/"
DATACITE_SCHEMA = "http://schema.datacite.org/meta/kernel-4.3/metadata.xsd"
OAI_DATACITE_SCHEMA = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"
_EC_FUNDER = "10.13039/501100000780"


def _datacite_id_type(scheme: str) -> str:
    """Map a lower-case scheme to DataCite's ``relatedIdentifierType`` vocabulary."""
    return {"url": "URL", "doi": "DOI", "ark": "ARK", "lsid": "LSID", "urn": "URN"}.get(
        scheme, "Handle" if scheme == "handle" else "URL"
    )


def datacite_resource(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Build the DataCite 4.3 ``<resource>`` of ``record``."""
    md = record.metadata
    q = f"{{{NS_DATACITE}}}"
    root = etree.Element(f"{q}resource", nsmap={None: NS_DATACITE, "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_DATACITE} {DATACITE_SCHEMA}")
    text_node(root, f"{q}identifier", record.doi, identifierType="DOI")

    alternates = node(root, f"{q}alternateIdentifiers")
    own_url = f"{ctx.site_url}/records/{record.recid}"
    text_node(alternates, f"{q}alternateIdentifier", own_url, alternateIdentifierType="url")
    for ident, relation, _rt in related_identifiers(md):
        if relation == "isAlternateIdentifier":
            scheme = guess_scheme(ident)
            text_node(alternates, f"{q}alternateIdentifier", ident,
                      alternateIdentifierType=scheme)

    creators = node(root, f"{q}creators")
    for person in people(md):
        _person(creators, q, "creator", person)
    titles = node(root, f"{q}titles")
    text_node(titles, f"{q}title", md.get("title"))
    text_node(root, f"{q}publisher", md.get("imprint_publisher") or "Zenodo")
    issued = str(md.get("publication_date") or record.updated.date().isoformat())
    text_node(root, f"{q}publicationYear", issued[:4])

    subjects = node(root, f"{q}subjects")
    for term, attrs in subject_terms(md):
        text_node(subjects, f"{q}subject", term, **attrs)
    contributors = people(md, "contributors")
    if contributors:
        parent = node(root, f"{q}contributors")
        for person in contributors:
            element = _person(parent, q, "contributor", person)
            element.set("contributorType", clean_text(person.get("type") or "Other"))

    dates = node(root, f"{q}dates")
    text_node(dates, f"{q}date", issued, dateType="Issued")
    for item in dicts(md.get("dates")):
        text_node(dates, f"{q}date", date_span(item), dateType=item.get("type"),
                  dateInformation=item.get("description"))
    text_node(root, f"{q}language", md.get("language"))
    general, text, _eurepo = resource_type_of(md)
    text_node(root, f"{q}resourceType", text, resourceTypeGeneral=general)

    related = node(root, f"{q}relatedIdentifiers")
    text_node(related, f"{q}relatedIdentifier", record.conceptdoi,
              relatedIdentifierType="DOI", relationType="IsVersionOf")
    for ident, relation, resource_type in related_identifiers(md):
        if relation != "isAlternateIdentifier":
            text_node(related, f"{q}relatedIdentifier", ident,
                      relatedIdentifierType=_datacite_id_type(guess_scheme(ident)),
                      relationType=relation[:1].upper() + relation[1:],
                      resourceTypeGeneral=DATACITE_GENERAL.get(resource_type.split("-")[0]))
    for url in community_urls(record, ctx):
        text_node(related, f"{q}relatedIdentifier", url, relatedIdentifierType="URL",
                  relationType="IsPartOf")

    _rights_and_rest(root, q, md)
    for child in list(root):
        if len(child) == 0 and not child.text:
            root.remove(child)
    return root


def _person(parent: etree._Element, q: str, kind: str, person: dict[str, Any]) -> etree._Element:
    """Append a DataCite creator/contributor for a legacy ``{name, affiliation, orcid}``."""
    element = node(parent, f"{q}{kind}")
    name = str(person["name"])
    text_node(element, f"{q}{kind}Name", name, nameType="Personal")
    if name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
        text_node(element, f"{q}givenName", given)
        text_node(element, f"{q}familyName", family)
    if person.get("orcid"):
        text_node(element, f"{q}nameIdentifier", person["orcid"],
                  nameIdentifierScheme="ORCID", schemeURI="http://orcid.org/")
    text_node(element, f"{q}affiliation", person.get("affiliation"))
    return element


def _rights_and_rest(root: etree._Element, q: str, md: dict[str, Any]) -> None:
    """Append rightsList, descriptions, geoLocations and fundingReferences."""
    rights = node(root, f"{q}rightsList")
    access_uri, access_title = access_rights(md)
    text_node(rights, f"{q}rights", access_title, rightsURI=access_uri)
    licence = license_of(md)
    if licence:
        license_id, title, url = licence
        text_node(rights, f"{q}rights", title, rightsURI=url, rightsIdentifier=license_id,
                  rightsIdentifierScheme="spdx")
    descriptions = node(root, f"{q}descriptions")
    text_node(descriptions, f"{q}description", md.get("description"), descriptionType="Abstract")

    locations = dicts(md.get("locations"))
    if locations:
        geo = node(root, f"{q}geoLocations")
        for loc in locations:
            element = node(geo, f"{q}geoLocation")
            text_node(element, f"{q}geoLocationPlace", loc.get("place"))
            if loc.get("lat") is not None and loc.get("lon") is not None:
                point = node(element, f"{q}geoLocationPoint")
                text_node(point, f"{q}pointLongitude", loc["lon"])
                text_node(point, f"{q}pointLatitude", loc["lat"])

    grants = [grant for grant in dicts(md.get("grants")) if grant.get("id")]
    if grants:
        funding = node(root, f"{q}fundingReferences")
        for grant in grants:
            funder, _sep, award = str(grant["id"]).rpartition("::")
            funder = funder or _EC_FUNDER
            element = node(funding, f"{q}fundingReference")
            name = "European Commission" if funder == _EC_FUNDER else funder
            text_node(element, f"{q}funderName", name)
            text_node(element, f"{q}funderIdentifier", funder,
                      funderIdentifierType="Crossref Funder ID")
            text_node(element, f"{q}awardNumber", award)


def oai_datacite(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Wrap the DataCite resource in ``<oai_datacite>`` as InvenioRDM does."""
    q = f"{{{NS_OAI_DATACITE}}}"
    root = etree.Element(f"{q}oai_datacite", nsmap={None: NS_OAI_DATACITE, "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI_DATACITE} {OAI_DATACITE_SCHEMA}")
    text_node(root, f"{q}schemaVersion", "4.3")
    text_node(root, f"{q}datacentreSymbol", ctx.datacentre_symbol)
    node(root, f"{q}payload").append(datacite_resource(record, ctx))
    return root
