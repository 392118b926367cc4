"""The controlled vocabularies Zenodo checks legacy deposit metadata against.

Zenodo stores deposits as InvenioRDM records: a resource type, language, relation type,
contributor role or date type that is not in its vocabulary makes the draft's commit fail
with 400 ``Invalid value <id>.`` (invenio-records' relation check). The ids are those of
invenio-rdm-records' vocabulary fixtures, which Zenodo loads; languages are ISO 639-3 ids
(from pycountry). Also here: the funder DOIs Zenodo resolves to ROR ids, and an EDTF level-0
date check (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` and ``A/B`` intervals).
"""

from __future__ import annotations

import datetime as dt
import re

import pycountry

RESOURCE_TYPES = frozenset({
    "publication", "poster", "presentation", "event", "dataset", "image", "model", "video",
    "audio", "software", "lesson", "other", "physicalobject", "workflow", "project",
    "instrument", "software-computationalnotebook",
    *(f"publication-{sub}" for sub in (
        "annotationcollection", "book", "section", "conferencepaper", "conferenceproceeding",
        "datamanagementplan", "journal", "article", "patent", "peerreview", "preprint",
        "deliverable", "milestone", "proposal", "report", "softwaredocumentation",
        "taxonomictreatment", "technicalnote", "workingpaper", "datapaper", "dissertation",
        "standard", "studyregistration", "other")),
    *(f"image-{sub}" for sub in ("figure", "plot", "drawing", "diagram", "photo", "other")),
})

#: RDM relation type id -> the legacy spelling Zenodo echoes (relations it cannot spell in
#: legacy form are echoed without ``relation``)
RELATIONS = {
    name.lower(): name for name in (
        "isCitedBy", "cites", "isSupplementTo", "isSupplementedBy", "isContinuedBy",
        "continues", "isDescribedBy", "describes", "hasMetadata", "isMetadataFor", "hasVersion",
        "isVersionOf", "isNewVersionOf", "isPreviousVersionOf", "isPartOf", "hasPart",
        "isPublishedIn", "isReferencedBy", "references", "isDocumentedBy", "documents",
        "isCompiledBy", "compiles", "isVariantFormOf", "isOriginalFormOf", "isIdenticalTo",
        "isReviewedBy", "reviews", "isDerivedFrom", "isSourceOf", "isRequiredBy", "requires",
        "isObsoletedBy", "obsoletes")
}
RELATION_TYPES = frozenset(RELATIONS) | {"istranslationof", "hastranslation", "iscollectedby",
                                         "collects", "other"}

#: RDM role id -> legacy contributor type
ROLES = {
    name.lower(): name for name in (
        "ContactPerson", "DataCollector", "DataCurator", "DataManager", "Distributor", "Editor",
        "HostingInstitution", "Producer", "ProjectLeader", "ProjectManager", "ProjectMember",
        "RegistrationAgency", "RegistrationAuthority", "RelatedPerson", "Researcher",
        "ResearchGroup", "RightsHolder", "Sponsor", "Supervisor", "WorkPackageLeader", "Other")
}
ROLE_IDS = frozenset(ROLES) | {"translator"}

DATE_TYPES = frozenset({"accepted", "available", "collected", "copyrighted", "created",
                        "issued", "other", "submitted", "updated", "valid", "withdrawn",
                        "coverage"})

#: default funder of a grant id without ``::`` (the European Commission)
EC_FUNDER = "10.13039/501100000780"
#: funder DOI -> ROR id (zenodo-rdm ``legacy/zenodo_legacy/funders.py``)
FUNDER_ROR = {
    "10.13039/501100001665": "00rbzpz17", "10.13039/501100002341": "05k73zm37",
    "10.13039/501100000923": "05mmh0f86", "10.13039/100018231": "03zj4c476",
    "10.13039/501100000024": "01gavpb45", "10.13039/501100000780": "00k4n6c32",
    "10.13039/501100000806": "02k4b9v70", "10.13039/501100001871": "00snfqn58",
    "10.13039/501100002428": "013tf3c58", "10.13039/501100004488": "03n51vw80",
    "10.13039/501100004564": "01znas443", "10.13039/501100000925": "011kf5r70",
    "10.13039/100000002": "01cwqze88", "10.13039/501100000038": "01h531d29",
    "10.13039/100000001": "021nxhr62", "10.13039/501100003246": "04jsz6e67",
    "10.13039/501100000690": "001aqnf71", "10.13039/100014013": "001aqnf71",
    "10.13039/501100001602": "0271asj38", "10.13039/501100001711": "00yjd3n13",
    "10.13039/100001345": "006cvnv84", "10.13039/501100004410": "04w9kkr77",
    "10.13039/100004440": "029chgv08", "10.13039/501100006364": "03m8vkq32",
    "10.13039/501100011730": "00x0z1472",
}
#: ROR id -> the funder DOI Zenodo echoes (RCUK's awards now resolve to UKRI)
FUNDER_DOI = {ror: doi for doi, ror in FUNDER_ROR.items()}
FUNDER_DOI["001aqnf71"] = "10.13039/100014013"

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def language_id(code: str) -> str | None:
    """Return the ISO 639-3 id of a 2- or 3-letter code as Zenodo's deserialiser does.

    Three letters pass unchanged; two letters are mapped through pycountry (None if unknown).
    """
    if len(code) == 3:
        return code
    found = pycountry.languages.get(alpha_2=code)
    return found.alpha_3 if found else None


def known_language(code: str) -> bool:
    """Return whether ``code`` is in Zenodo's (ISO 639-3) language vocabulary."""
    return pycountry.languages.get(alpha_3=code) is not None


def _edtf_date(text: str) -> tuple[str, str] | None:
    """Return the (earliest, latest) day of an EDTF level-0 date, or None if invalid."""
    match = _DATE.fullmatch(text)
    if not match:
        return None
    year, month, day = match.groups()
    try:
        if day:
            return (dt.date(int(year), int(month), int(day)).isoformat(),) * 2
        if month:
            if not 1 <= int(month) <= 12:
                return None
            return f"{year}-{month}-01", f"{year}-{month}-31"
    except ValueError:
        return None
    return f"{year}-01-01", f"{year}-12-31"


def valid_edtf(text: object) -> bool:
    """Return whether ``text`` is an EDTF level-0 date or chronological interval."""
    if not isinstance(text, str):
        return False
    parts = text.split("/")
    if len(parts) > 2:
        return False
    bounds = [_edtf_date(part) for part in parts]
    if any(b is None for b in bounds):
        return False
    return len(bounds) == 1 or bounds[0][0] <= bounds[1][1]
