"""Serialise Zenodo legacy deposit metadata as OAI-PMH metadata formats.

Three formats are offered, as on Zenodo: ``oai_dc`` (Dublin Core, following InvenioRDM's
serializer), ``datacite`` (a bare DataCite 4.3 ``<resource>``) and ``oai_datacite`` (the same
resource wrapped in ``<oai_datacite>`` with ``schemaVersion``, ``datacentreSymbol`` and
``payload``). Every element is built with lxml, so user text is always escaped; characters that
XML 1.0 cannot carry (control characters, lone surrogates) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from zenodo_sandbox.oai_record import OaiRecord

NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_DATACITE = "http://datacite.org/schema/kernel-4"
NS_OAI_DATACITE = "http://schema.datacite.org/oai/oai-1.1/"

#: ``metadataPrefix`` -> (schema, metadataNamespace), as configured in invenio-app-rdm.
METADATA_FORMATS: dict[str, tuple[str, str]] = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", NS_OAI_DC),
    "datacite": ("http://schema.datacite.org/meta/kernel-4.3/metadata.xsd", NS_DATACITE),
    "oai_datacite": ("http://schema.datacite.org/oai/oai-1.1/oai.xsd", NS_OAI_DATACITE),
}

_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_ACCESS_RIGHTS = {
    "open": ("info:eu-repo/semantics/openAccess", "Open Access"),
    "embargoed": ("info:eu-repo/semantics/embargoedAccess", "Embargoed Access"),
    "restricted": ("info:eu-repo/semantics/restrictedAccess", "Restricted Access"),
    "closed": ("info:eu-repo/semantics/closedAccess", "Closed Access"),
}

_CC = "https://creativecommons.org"
_CC_TITLE = "Creative Commons Attribution"
#: licence id -> (title, URL), for the licences specimen uploads use.
_LICENSES = {
    "cc-by-4.0": (f"{_CC_TITLE} 4.0 International", f"{_CC}/licenses/by/4.0/legalcode"),
    "cc-by-sa-4.0": (
        f"{_CC_TITLE} Share Alike 4.0 International", f"{_CC}/licenses/by-sa/4.0/legalcode"
    ),
    "cc-by-nc-4.0": (
        f"{_CC_TITLE} Non Commercial 4.0 International", f"{_CC}/licenses/by-nc/4.0/legalcode"
    ),
    "cc-by-nd-4.0": (
        f"{_CC_TITLE} No Derivatives 4.0 International", f"{_CC}/licenses/by-nd/4.0/legalcode"
    ),
    "cc-by-nc-sa-4.0": (
        f"{_CC_TITLE} Non Commercial Share Alike 4.0 International",
        f"{_CC}/licenses/by-nc-sa/4.0/legalcode",
    ),
    "cc-by-nc-nd-4.0": (
        f"{_CC_TITLE} Non Commercial No Derivatives 4.0 International",
        f"{_CC}/licenses/by-nc-nd/4.0/legalcode",
    ),
    "cc0-1.0": ("Creative Commons Zero v1.0 Universal", f"{_CC}/publicdomain/zero/1.0/legalcode"),
}

_DATACITE_GENERAL = {
    "publication": "Text",
    "poster": "Text",
    "presentation": "Text",
    "lesson": "Text",
    "dataset": "Dataset",
    "image": "Image",
    "video": "Audiovisual",
    "software": "Software",
    "physicalobject": "PhysicalObject",
    "other": "Other",
}
_EUREPO = {
    "poster": "info:eu-repo/semantics/conferencePoster",
    "presentation": "info:eu-repo/semantics/lecture",
    "lesson": "info:eu-repo/semantics/lecture",
    "publication-article": "info:eu-repo/semantics/article",
    "publication-book": "info:eu-repo/semantics/book",
    "publication-preprint": "info:eu-repo/semantics/preprint",
    "publication-report": "info:eu-repo/semantics/report",
}
_EC_FUNDER = "10.13039/501100000780"


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
        "datacite": _datacite_resource,
        "oai_datacite": _oai_datacite,
    }
    return builders[prefix](record, ctx)


def _node(parent: etree._Element, tag: str, **attrs: Any) -> etree._Element:
    """Append a child element with the given attributes (empty values are skipped)."""
    element = etree.SubElement(parent, tag)
    for name, value in attrs.items():
        if value not in (None, ""):
            element.set(name, clean_text(value))
    return element


def _sub(parent: etree._Element, tag: str, text: Any, **attrs: Any) -> etree._Element | None:
    """Append a text element, or nothing when ``text`` is empty."""
    if text in (None, ""):
        return None
    element = _node(parent, tag, **attrs)
    element.text = clean_text(text)
    return element


def _list(value: Any) -> list[Any]:
    """Return ``value`` as a list (``None`` and scalars tolerated)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _dicts(value: Any) -> list[dict[str, Any]]:
    """Return the dictionaries in a list-valued field, ignoring malformed entries."""
    return [item for item in _list(value) if isinstance(item, dict)]


def _span(item: dict[str, Any]) -> str:
    """Return a legacy ``dates`` entry as ``start/end`` (or the one bound it has)."""
    return "/".join(str(part) for part in (item.get("start"), item.get("end")) if part)


def _doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}"


def _communities(record: OaiRecord, ctx: FormatContext) -> Iterator[str]:
    """Yield the record's community URLs, taken from its ``user-<slug>`` sets."""
    for spec in record.sets:
        if spec.startswith(ctx.set_prefix):
            yield f"{ctx.site_url}/communities/{spec[len(ctx.set_prefix):]}"


def _scheme(identifier: str) -> str:
    """Guess the scheme of an identifier (lower case, as InvenioRDM's idutils names it)."""
    lowered = identifier.lower()
    if lowered.startswith(("http://", "https://")):
        return "url"
    if re.match(r"^(doi:)?10\.\d{4,9}/\S+$", lowered):
        return "doi"
    for prefix, scheme in (("ark:", "ark"), ("urn:lsid:", "lsid"), ("urn:", "urn")):
        if lowered.startswith(prefix):
            return scheme
    if re.match(r"^\d{4,5}(\.\d+)*/\S+$", lowered):
        return "handle"
    return "other"


def _datacite_id_type(scheme: str) -> str:
    """Map a lower-case scheme to DataCite's ``relatedIdentifierType`` vocabulary."""
    return {"url": "URL", "doi": "DOI", "ark": "ARK", "lsid": "LSID", "urn": "URN"}.get(
        scheme, "Handle" if scheme == "handle" else "URL"
    )


def _as_url(identifier: str) -> str:
    """Return an identifier as a resolvable URL when its scheme allows, else ``scheme:id``."""
    scheme = _scheme(identifier)
    if scheme == "url":
        return identifier
    if scheme == "doi":
        return _doi_url(identifier.removeprefix("doi:"))
    if scheme == "handle":
        return f"https://hdl.handle.net/{identifier}"
    return identifier if scheme in ("ark", "lsid", "urn") else f"{scheme}:{identifier}"


def _related(metadata: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Yield (identifier, relation, resource_type) for each well-formed related identifier."""
    for item in _dicts(metadata.get("related_identifiers")):
        if item.get("identifier") and item.get("relation"):
            resource_type = str(item.get("resource_type") or "")
            yield str(item["identifier"]), str(item["relation"]), resource_type


def _license(metadata: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """Return (id, title, url) of the record's licence, or ``None`` when it has none."""
    raw = metadata.get("license")
    license_id = raw.get("id") if isinstance(raw, dict) else raw
    if not license_id:
        return None
    title, url = _LICENSES.get(str(license_id).lower(), (str(license_id), None))
    return str(license_id).lower(), title, url


def _resource_type(metadata: dict[str, Any]) -> tuple[str, str, str]:
    """Return (DataCite resourceTypeGeneral, type text, eu-repo type) for the upload type."""
    upload_type = str(metadata.get("upload_type") or "other")
    subtype = metadata.get({"image": "image_type", "publication": "publication_type"}.get(
        upload_type, ""))
    key = f"{upload_type}-{subtype}" if subtype else upload_type
    text = str(subtype or upload_type).capitalize()
    general = _DATACITE_GENERAL.get(upload_type, "Other")
    return general, text, _EUREPO.get(key, _EUREPO.get(upload_type, "info:eu-repo/semantics/other"))


def _subjects(metadata: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (term, attributes) for keywords and controlled subjects."""
    for keyword in _list(metadata.get("keywords")):
        yield str(keyword), {}
    for subject in _dicts(metadata.get("subjects")):
        if subject.get("term"):
            attrs = {"subjectScheme": subject.get("scheme"), "valueURI": subject.get("identifier")}
            yield str(subject["term"]), attrs


def _creators(metadata: dict[str, Any], key: str = "creators") -> list[dict[str, Any]]:
    """Return the well-formed people of ``creators`` or ``contributors``."""
    return [person for person in _dicts(metadata.get(key)) if person.get("name")]


def _oai_dc(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Build ``<oai_dc:dc>`` (fields in the alphabetical order InvenioRDM emits)."""
    md = record.metadata
    root = etree.Element(
        f"{{{NS_OAI_DC}}}dc", nsmap={"dc": NS_DC, "oai_dc": NS_OAI_DC, "xsi": NS_XSI}
    )
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI_DC} {METADATA_FORMATS['oai_dc'][0]}")

    def dc(name: str, values: Iterable[Any]) -> None:
        for value in values:
            _sub(root, f"{{{NS_DC}}}{name}", value)

    dc("contributor", (c["name"] for c in _creators(md, "contributors")))
    dc("coverage", (loc.get("place") for loc in _dicts(md.get("locations"))))
    dc("creator", (c["name"] for c in _creators(md)))
    dates = [md.get("publication_date")]
    dates += [_span(item) for item in _dicts(md.get("dates"))]
    dc("date", dates)
    dc("description", [md.get("description")])
    dc("identifier", [_doi_url(record.doi), f"oai:{ctx.id_prefix}:{record.recid}"])
    dc("language", [md.get("language")])
    dc("publisher", [md.get("imprint_publisher") or "Zenodo"])
    relations = [_as_url(ident) for ident, _rel, _rt in _related(md)]
    relations += list(_communities(record, ctx))
    relations.append(_doi_url(record.conceptdoi))
    dc("relation", relations)
    access = _ACCESS_RIGHTS.get(str(md.get("access_right") or "open"), _ACCESS_RIGHTS["open"])
    licence = _license(md)
    dc("rights", [access[0], *(licence[1:] if licence else ())])
    dc("subject", (term for term, _attrs in _subjects(md)))
    dc("title", [md.get("title")])
    dc("type", [_resource_type(md)[2]])
    return root


def _datacite_resource(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Build a DataCite 4.3 ``<resource>``."""
    md = record.metadata
    q = f"{{{NS_DATACITE}}}"
    root = etree.Element(f"{q}resource", nsmap={None: NS_DATACITE, "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_DATACITE} {METADATA_FORMATS['datacite'][0]}")
    _sub(root, f"{q}identifier", record.doi, identifierType="DOI")

    alternates = _node(root, f"{q}alternateIdentifiers")
    own_url = f"{ctx.site_url}/records/{record.recid}"
    _sub(alternates, f"{q}alternateIdentifier", own_url, alternateIdentifierType="url")
    for ident, relation, _rt in _related(md):
        if relation == "isAlternateIdentifier":
            scheme = _scheme(ident)
            _sub(alternates, f"{q}alternateIdentifier", ident, alternateIdentifierType=scheme)

    creators = _node(root, f"{q}creators")
    for person in _creators(md):
        _person(creators, q, "creator", person)
    titles = _node(root, f"{q}titles")
    _sub(titles, f"{q}title", md.get("title"))
    _sub(root, f"{q}publisher", md.get("imprint_publisher") or "Zenodo")
    issued = str(md.get("publication_date") or record.updated.date().isoformat())
    _sub(root, f"{q}publicationYear", issued[:4])

    subjects = _node(root, f"{q}subjects")
    for term, attrs in _subjects(md):
        _sub(subjects, f"{q}subject", term, **attrs)
    contributors = _creators(md, "contributors")
    if contributors:
        parent = _node(root, f"{q}contributors")
        for person in contributors:
            element = _person(parent, q, "contributor", person)
            element.set("contributorType", clean_text(person.get("type") or "Other"))

    dates = _node(root, f"{q}dates")
    _sub(dates, f"{q}date", issued, dateType="Issued")
    for item in _dicts(md.get("dates")):
        _sub(dates, f"{q}date", _span(item), dateType=item.get("type"),
             dateInformation=item.get("description"))
    _sub(root, f"{q}language", md.get("language"))
    general, text, _eurepo = _resource_type(md)
    _sub(root, f"{q}resourceType", text, resourceTypeGeneral=general)

    related = _node(root, f"{q}relatedIdentifiers")
    _sub(related, f"{q}relatedIdentifier", record.conceptdoi, relatedIdentifierType="DOI",
         relationType="IsVersionOf")
    for ident, relation, resource_type in _related(md):
        if relation != "isAlternateIdentifier":
            _sub(related, f"{q}relatedIdentifier", ident,
                 relatedIdentifierType=_datacite_id_type(_scheme(ident)),
                 relationType=relation[:1].upper() + relation[1:],
                 resourceTypeGeneral=_DATACITE_GENERAL.get(resource_type.split("-")[0]))
    for url in _communities(record, ctx):
        _sub(related, f"{q}relatedIdentifier", url, relatedIdentifierType="URL",
             relationType="IsPartOf")

    _rights_and_rest(root, q, md)
    for child in list(root):
        if len(child) == 0 and not child.text:
            root.remove(child)
    return root


def _person(parent: etree._Element, q: str, kind: str, person: dict[str, Any]) -> etree._Element:
    """Append a DataCite creator/contributor for a legacy ``{name, affiliation, orcid}``."""
    element = _node(parent, f"{q}{kind}")
    name = str(person["name"])
    _sub(element, f"{q}{kind}Name", name, nameType="Personal")
    if name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
        _sub(element, f"{q}givenName", given)
        _sub(element, f"{q}familyName", family)
    if person.get("orcid"):
        _sub(element, f"{q}nameIdentifier", person["orcid"], nameIdentifierScheme="ORCID",
             schemeURI="http://orcid.org/")
    _sub(element, f"{q}affiliation", person.get("affiliation"))
    return element


def _rights_and_rest(root: etree._Element, q: str, md: dict[str, Any]) -> None:
    """Append rightsList, descriptions, geoLocations and fundingReferences."""
    rights = _node(root, f"{q}rightsList")
    access_uri, access_title = _ACCESS_RIGHTS.get(
        str(md.get("access_right") or "open"), _ACCESS_RIGHTS["open"]
    )
    _sub(rights, f"{q}rights", access_title, rightsURI=access_uri)
    licence = _license(md)
    if licence:
        license_id, title, url = licence
        _sub(rights, f"{q}rights", title, rightsURI=url, rightsIdentifier=license_id,
             rightsIdentifierScheme="spdx")
    descriptions = _node(root, f"{q}descriptions")
    _sub(descriptions, f"{q}description", md.get("description"), descriptionType="Abstract")

    locations = _dicts(md.get("locations"))
    if locations:
        geo = _node(root, f"{q}geoLocations")
        for loc in locations:
            element = _node(geo, f"{q}geoLocation")
            _sub(element, f"{q}geoLocationPlace", loc.get("place"))
            if loc.get("lat") is not None and loc.get("lon") is not None:
                point = _node(element, f"{q}geoLocationPoint")
                _sub(point, f"{q}pointLongitude", loc["lon"])
                _sub(point, f"{q}pointLatitude", loc["lat"])

    grants = [grant for grant in _dicts(md.get("grants")) if grant.get("id")]
    if grants:
        funding = _node(root, f"{q}fundingReferences")
        for grant in grants:
            funder, _sep, award = str(grant["id"]).rpartition("::")
            funder = funder or _EC_FUNDER
            element = _node(funding, f"{q}fundingReference")
            name = "European Commission" if funder == _EC_FUNDER else funder
            _sub(element, f"{q}funderName", name)
            _sub(element, f"{q}funderIdentifier", funder, funderIdentifierType="Crossref Funder ID")
            _sub(element, f"{q}awardNumber", award)


def _oai_datacite(record: OaiRecord, ctx: FormatContext) -> etree._Element:
    """Wrap the DataCite resource in ``<oai_datacite>`` as InvenioRDM does."""
    q = f"{{{NS_OAI_DATACITE}}}"
    root = etree.Element(f"{q}oai_datacite", nsmap={None: NS_OAI_DATACITE, "xsi": NS_XSI})
    root.set(
        f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI_DATACITE} {METADATA_FORMATS['oai_datacite'][0]}"
    )
    _sub(root, f"{q}schemaVersion", "4.3")
    _sub(root, f"{q}datacentreSymbol", ctx.datacentre_symbol)
    _node(root, f"{q}payload").append(_datacite_resource(record, ctx))
    return root
