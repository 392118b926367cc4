"""What the OAI-PMH serialisers read from Zenodo legacy deposit metadata, and the lxml
element helpers they build with (user text is escaped; characters XML 1.0 cannot carry are
dropped).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from zenodo_sandbox.oai_record import OaiRecord

NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"

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

DATACITE_GENERAL = {
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


def _list(value: Any) -> list[Any]:
    """Return ``value`` as a list (``None`` and scalars tolerated)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def dicts(value: Any) -> list[dict[str, Any]]:
    """Return the dictionaries in a list-valued field, ignoring malformed entries."""
    return [item for item in _list(value) if isinstance(item, dict)]


def date_span(item: dict[str, Any]) -> str:
    """Return a legacy ``dates`` entry as ``start/end`` (or the one bound it has)."""
    return "/".join(str(part) for part in (item.get("start"), item.get("end")) if part)


def doi_url(doi: str) -> str:
    """Return the resolver URL of a DOI."""
    return f"https://doi.org/{doi}"


def community_urls(record: OaiRecord, ctx: FormatContext) -> Iterator[str]:
    """Yield the record's community URLs, taken from its ``user-<slug>`` sets."""
    for spec in record.sets:
        if spec.startswith(ctx.set_prefix):
            yield f"{ctx.site_url}/communities/{spec[len(ctx.set_prefix):]}"


def guess_scheme(identifier: str) -> str:
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


def as_url(identifier: str) -> str:
    """Return an identifier as a resolvable URL when its scheme allows, else ``scheme:id``."""
    scheme = guess_scheme(identifier)
    if scheme == "url":
        return identifier
    if scheme == "doi":
        return doi_url(identifier.removeprefix("doi:"))
    if scheme == "handle":
        return f"https://hdl.handle.net/{identifier}"
    return identifier if scheme in ("ark", "lsid", "urn") else f"{scheme}:{identifier}"


def related_identifiers(metadata: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Yield (identifier, relation, resource_type) for each well-formed related identifier."""
    for item in dicts(metadata.get("related_identifiers")):
        if item.get("identifier") and item.get("relation"):
            resource_type = str(item.get("resource_type") or "")
            yield str(item["identifier"]), str(item["relation"]), resource_type


def access_rights(metadata: dict[str, Any]) -> tuple[str, str]:
    """Return (eu-repo URI, title) of the record's ``access_right`` (open when unset)."""
    return _ACCESS_RIGHTS.get(str(metadata.get("access_right") or "open"), _ACCESS_RIGHTS["open"])


def license_of(metadata: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """Return (id, title, url) of the record's licence, or ``None`` when it has none."""
    raw = metadata.get("license")
    license_id = raw.get("id") if isinstance(raw, dict) else raw
    if not license_id:
        return None
    title, url = _LICENSES.get(str(license_id).lower(), (str(license_id), None))
    return str(license_id).lower(), title, url


def resource_type_of(metadata: dict[str, Any]) -> tuple[str, str, str]:
    """Return (DataCite resourceTypeGeneral, type text, eu-repo type) for the upload type."""
    upload_type = str(metadata.get("upload_type") or "other")
    subtype = metadata.get({"image": "image_type", "publication": "publication_type"}.get(
        upload_type, ""))
    key = f"{upload_type}-{subtype}" if subtype else upload_type
    text = str(subtype or upload_type).capitalize()
    general = DATACITE_GENERAL.get(upload_type, "Other")
    return general, text, _EUREPO.get(key, _EUREPO.get(upload_type, "info:eu-repo/semantics/other"))


def subject_terms(metadata: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (term, attributes) for keywords and controlled subjects."""
    for keyword in _list(metadata.get("keywords")):
        yield str(keyword), {}
    for subject in dicts(metadata.get("subjects")):
        if subject.get("term"):
            attrs = {"subjectScheme": subject.get("scheme"), "valueURI": subject.get("identifier")}
            yield str(subject["term"]), attrs


def people(metadata: dict[str, Any], key: str = "creators") -> list[dict[str, Any]]:
    """Return the well-formed people of ``creators`` or ``contributors``."""
    return [person for person in dicts(metadata.get(key)) if person.get("name")]
