"""The vocabularies and identifier schemes zenodo.org checks RDM records against.

The vocabularies shared with the legacy deposit API come from
:mod:`zenodo_sandbox.vocabularies` (resource, relation, date types, roles, languages),
:mod:`zenodo_sandbox.licenses` and :mod:`zenodo_sandbox.custom_fields`. Added here, carried
by hand from invenio-rdm-records (``fixtures/data/vocabularies/*.yaml``, ``config.py``) and
zenodo-rdm (``custom_schemes.py``, ``invenio.cfg``): the title and description types and the
identifier schemes (checked with ``idutils``, as InvenioRDM does).
"""

from __future__ import annotations

import re

import idutils

from zenodo_sandbox import custom_fields, licenses, vocabularies

#: resource types a record may have (tag ``depositable``); ``instrument`` and ``project``
#: may only be named by related identifiers (tag ``linkable``)
LINKABLE_TYPES = vocabularies.RESOURCE_TYPES
DEPOSITABLE_TYPES = LINKABLE_TYPES - {"instrument", "project"}
DATE_TYPES = vocabularies.DATE_TYPES
RELATION_TYPES = vocabularies.RELATION_TYPES
ROLES = vocabularies.ROLE_IDS
TITLE_TYPES = frozenset({"alternative-title", "other", "subtitle", "translated-title"})
DESCRIPTION_TYPES = frozenset({"abstract", "methods", "other", "series-information",
                               "table-of-contents", "technical-info"})


def _always(_value: str) -> bool:
    return True


def _edmo(value: str) -> bool:
    """Zenodo's EDMO check (``custom_schemes.is_edmo``)."""
    return bool(re.match(r"^(?:https?://)?(?:edmo\.seadatanet\.org/report/)?(\d+)$", value,
                         re.IGNORECASE) or re.match(r"^edmo:(\d+)$", value))


#: scheme -> (label, validator): ``RDM_RECORDS_IDENTIFIERS_SCHEMES`` (also used for related
#: identifiers and references)
IDENTIFIER_SCHEMES = {
    "ark": ("ARK", idutils.is_ark), "arxiv": ("arXiv", idutils.is_arxiv),
    "ads": ("Bibcode", idutils.is_ads), "crossreffunderid": ("Crossref Funder ID", _always),
    "cstr": ("CSTR", idutils.is_cstr), "doi": ("DOI", idutils.is_doi),
    "ean13": ("EAN13", idutils.is_ean13), "eissn": ("EISSN", idutils.is_issn),
    "grid": ("GRID", _always), "handle": ("Handle", idutils.is_handle),
    "igsn": ("IGSN", _always), "isbn": ("ISBN", idutils.is_isbn),
    "isni": ("ISNI", idutils.is_isni), "issn": ("ISSN", idutils.is_issn),
    "istc": ("ISTC", idutils.is_istc), "lissn": ("LISSN", idutils.is_issn),
    "lsid": ("LSID", idutils.is_lsid), "pmid": ("PMID", idutils.is_pmid),
    "purl": ("PURL", idutils.is_purl), "rrid": ("RRID", idutils.is_rrid),
    "upc": ("UPC", _always), "url": ("URL", idutils.is_url), "urn": ("URN", idutils.is_urn),
    "wikidata": ("Wikidata", idutils.is_wikidata), "w3id": ("W3ID", _always),
    "other": ("Other", _always),
}
#: ``RDM_RECORDS_PERSONORG_SCHEMES`` with Zenodo's ``edmo``
PERSONORG_SCHEMES = {
    "orcid": ("ORCID", idutils.is_orcid), "isni": ("ISNI", idutils.is_isni),
    "gnd": ("GND", idutils.is_gnd), "ror": ("ROR", idutils.is_ror), "edmo": ("EDMO", _edmo),
}
LOCATION_SCHEMES = {"wikidata": ("Wikidata", idutils.is_wikidata),
                    "geonames": ("GeoNames", _always)}



def _kind(name: str) -> str:
    for kind, names in (("isodate", custom_fields.ISO_DATES), ("edtf", custom_fields.EDTF_DATES),
                        ("double", custom_fields.NUMBERS), ("integer", custom_fields.INTEGERS),
                        ("relationships", custom_fields.RELATIONSHIPS)):
        if name in names:
            return kind
    return "text"


#: Zenodo's custom fields (``RDM_CUSTOM_FIELDS``): name -> kind of value. The list-valued
#: ones are :mod:`zenodo_sandbox.custom_fields`'; ``code:codeRepository`` holds one string,
#: the contrib objects (journal, meeting, imprint, thesis) a mapping each.
CUSTOM_FIELDS: dict[str, str] = {
    **{name: _kind(name) for name in sorted(custom_fields.LIST_FIELDS)},
    "code:codeRepository": "keyword1", "code:programmingLanguage": "vocabularies",
    "code:developmentStatus": "vocabulary",
    "journal:journal": "object", "meeting:meeting": "object", "imprint:imprint": "object",
    "thesis:thesis": "object", "legacy:communities": "text", "legacy:subjects": "subjects",
}


def known_language(code: str) -> bool:
    """Whether ``code`` is in InvenioRDM's ``languages`` vocabulary (ISO 639-3)."""
    return vocabularies.known_language(code)


def licence_ids() -> frozenset[str]:
    """Zenodo's ``licenses`` vocabulary (:data:`zenodo_sandbox.licenses.RDM_IDS`)."""
    return licenses.RDM_IDS


def known_licence(licence_id: str) -> bool:
    """Whether ``licence_id`` is in Zenodo's ``licenses`` vocabulary."""
    return licence_id in licenses.RDM_IDS


def vocabulary_error(value: object) -> str:
    """InvenioRDM's answer to an id missing from its vocabulary (``InvalidRelationValue``)."""
    return f"Invalid value {value}."
