"""Vocabulary facts the records API and the OAI-PMH formats show, carried by hand.

Sources: invenio-rdm-records ``fixtures/data/vocabularies`` (resource types with their
DataCite and eu-repo props, roles, date and description types), zenodo-rdm
``legacy/serializers/schemas/common.py`` (legacy relation names), ``legacy/zenodo_legacy``
(``funders.py``: funder DOIs, RORs, acronyms) and ``app_data/vocabularies`` (funders,
awards). Presentations and posters are ``Text`` in DataCite as zenodo.org answers
(oaipmh-scythe's cassette ``list_records.yaml``), not as the fixture says.
"""

from __future__ import annotations

#: resource type id -> (title, DataCite resourceTypeGeneral, DataCite resourceType, eu-repo)
_OTHER = "info:eu-repo/semantics/other"
RESOURCE_TYPES: dict[str, tuple[str, str, str, str]] = {
    "publication": ("Publication", "Text", "", _OTHER),
    "publication-annotationcollection": ("Annotation collection", "Collection", "",
                                         "info:eu-repo/semantics/technicalDocumentation"),
    "publication-book": ("Book", "Book", "", "info:eu-repo/semantics/book"),
    "publication-section": ("Book chapter", "BookChapter", "", "info:eu-repo/semantics/bookPart"),
    "publication-conferencepaper": ("Conference paper", "ConferencePaper", "",
                                    "info:eu-repo/semantics/conferencePaper"),
    "publication-conferenceproceeding": ("Conference proceeding", "ConferenceProceeding", "",
                                         "info:eu-repo/semantics/conferenceProceedings"),
    "publication-datamanagementplan": ("Output management plan", "OutputManagementPlan", "",
                                       "info:eu-repo/semantics/technicalDocumentation"),
    "publication-journal": ("Journal", "Journal", "", "info:eu-repo/semantics/article"),
    "publication-article": ("Journal article", "JournalArticle", "",
                            "info:eu-repo/semantics/article"),
    "publication-patent": ("Patent", "Text", "Patent", "info:eu-repo/semantics/patent"),
    "publication-peerreview": ("Peer review", "PeerReview", "", "info:eu-repo/semantics/review"),
    "publication-preprint": ("Preprint", "Preprint", "", "info:eu-repo/semantics/preprint"),
    "publication-deliverable": ("Project deliverable", "Text", "Project deliverable",
                                "info:eu-repo/semantics/report"),
    "publication-milestone": ("Project milestone", "Text", "Project milestone",
                              "info:eu-repo/semantics/report"),
    "publication-proposal": ("Proposal", "Text", "Proposal",
                             "info:eu-repo/semantics/researchProposal"),
    "publication-report": ("Report", "Report", "", "info:eu-repo/semantics/report"),
    "publication-softwaredocumentation": ("Software documentation", "Text",
                                          "Software documentation",
                                          "info:eu-repo/semantics/technicalDocumentation"),
    "publication-taxonomictreatment": ("Taxonomic treatment", "Text", "Taxonomic treatment",
                                       _OTHER),
    "publication-technicalnote": ("Technical note", "Text", "Technical note",
                                  "info:eu-repo/semantics/technicalDocumentation"),
    "publication-workingpaper": ("Working paper", "Text", "Working paper",
                                 "info:eu-repo/semantics/workingPaper"),
    "publication-datapaper": ("Data paper", "DataPaper", "", "info:eu-repo/semantics/workingPaper"),
    "publication-dissertation": ("Thesis", "Dissertation", "", _OTHER),
    "publication-thesis": ("Thesis", "Dissertation", "", _OTHER),
    "publication-standard": ("Standard", "Standard", "", _OTHER),
    "publication-studyregistration": ("Study Registration", "StudyRegistration", "", _OTHER),
    "publication-other": ("Other", "Text", "Other", _OTHER),
    "poster": ("Poster", "Text", "Poster", "info:eu-repo/semantics/conferencePoster"),
    "presentation": ("Presentation", "Text", "Presentation", "info:eu-repo/semantics/lecture"),
    "event": ("Event", "Event", "", _OTHER),
    "dataset": ("Dataset", "Dataset", "", _OTHER),
    "image": ("Image", "Image", "", _OTHER),
    **{f"image-{sub}": (sub.capitalize(), "Image", sub.capitalize(), _OTHER)
       for sub in ("figure", "plot", "drawing", "diagram", "photo", "other")},
    "model": ("Model", "Model", "", _OTHER),
    "video": ("Video", "Audiovisual", "", _OTHER),
    "audio": ("Audio", "Sound", "", _OTHER),
    "software": ("Software", "Software", "", _OTHER),
    "software-computationalnotebook": ("Computational notebook", "ComputationalNotebook", "",
                                       _OTHER),
    "lesson": ("Lesson", "InteractiveResource", "", "info:eu-repo/semantics/lecture"),
    "other": ("Other", "Other", "", _OTHER),
    "physicalobject": ("Physical object", "PhysicalObject", "", _OTHER),
    "workflow": ("Workflow", "Workflow", "", _OTHER),
}

#: legacy relation names (``RELATION_TYPE_MAPPING`` values): RDM ids are these lower-cased
LEGACY_RELATIONS = {name.lower(): name for name in (
    "isCitedBy", "cites", "isSupplementTo", "isSupplementedBy", "isContinuedBy", "continues",
    "isDescribedBy", "describes", "hasMetadata", "isMetadataFor", "hasVersion", "isVersionOf",
    "isNewVersionOf", "isPreviousVersionOf", "isPartOf", "hasPart", "isPublishedIn",
    "isReferencedBy", "references", "isDocumentedBy", "documents", "isCompiledBy", "compiles",
    "isVariantFormOf", "isOriginalFormOf", "isIdenticalTo", "isReviewedBy", "reviews",
    "isDerivedFrom", "isSourceOf", "isRequiredBy", "requires", "isObsoletedBy", "obsoletes",
    "isAlternateIdentifier",
)}

#: contributor role id -> (legacy / DataCite name, MARC relator code)
ROLES: dict[str, tuple[str, str]] = {
    "contactperson": ("ContactPerson", "prc"), "datacollector": ("DataCollector", "col"),
    "datacurator": ("DataCurator", "cur"), "datamanager": ("DataManager", "dtm"),
    "distributor": ("Distributor", "dst"), "editor": ("Editor", "edt"),
    "hostinginstitution": ("HostingInstitution", "his"), "producer": ("Producer", "pro"),
    "projectleader": ("ProjectLeader", "pdr"), "projectmanager": ("ProjectManager", "rth"),
    "projectmember": ("ProjectMember", "rtm"),
    "registrationagency": ("RegistrationAgency", "cor"),
    "registrationauthority": ("RegistrationAuthority", "cor"),
    "relatedperson": ("RelatedPerson", "oth"), "researcher": ("Researcher", "res"),
    "researchgroup": ("ResearchGroup", "rtm"), "rightsholder": ("RightsHolder", "cph"),
    "sponsor": ("Sponsor", "spn"), "supervisor": ("Supervisor", "dgs"),
    "workpackageleader": ("WorkPackageLeader", "led"), "other": ("Other", "oth"),
}

#: description type id -> DataCite descriptionType (Zenodo's ``description_types.yaml``)
DESCRIPTION_TYPES = {"abstract": "Abstract", "methods": "Methods", "notes": "Other",
                     "other": "Other"}

#: Crossref funder DOI -> (ROR id, acronym) (``FUNDER_DOI_TO_ROR``, ``FUNDER_ACRONYMS``)
FUNDERS: dict[str, tuple[str, str]] = {
    "10.13039/501100001665": ("00rbzpz17", "ANR"), "10.13039/501100002341": ("05k73zm37", "AKA"),
    "10.13039/501100000923": ("05mmh0f86", "ARC"), "10.13039/100018231": ("03zj4c476", "ASAP"),
    "10.13039/501100000024": ("01gavpb45", "CIHR"), "10.13039/501100000780": ("00k4n6c32", "EC"),
    "10.13039/501100000806": ("02k4b9v70", "EEA"), "10.13039/501100001871": ("00snfqn58", "FCT"),
    "10.13039/501100002428": ("013tf3c58", "FWF"), "10.13039/501100004488": ("03n51vw80", "HRZZ"),
    "10.13039/501100004564": ("01znas443", "MESTD"),
    "10.13039/501100000925": ("011kf5r70", "NHMRC"), "10.13039/100000002": ("01cwqze88", "NIH"),
    "10.13039/501100000038": ("01h531d29", "NSERC"), "10.13039/100000001": ("021nxhr62", "NSF"),
    "10.13039/501100003246": ("04jsz6e67", "NWO"), "10.13039/501100000690": ("001aqnf71", "RCUK"),
    "10.13039/100014013": ("001aqnf71", "UKRI"), "10.13039/501100001602": ("0271asj38", "SFI"),
    "10.13039/501100001711": ("00yjd3n13", "SNSF"), "10.13039/100001345": ("006cvnv84", "SSHRC"),
    "10.13039/501100004410": ("04w9kkr77", "TUBITAK"),
    "10.13039/100004440": ("029chgv08", "WT"), "10.13039/501100006364": ("03m8vkq32", "INCa"),
    "10.13039/501100011730": ("00x0z1472", "TWCF"),
}
#: the funders vocabulary Zenodo ships (``app_data/vocabularies/funders.yaml``): ROR ->
#: (name, country); other funders show their DOI as name here
FUNDER_NAMES = {"00k4n6c32": ("European Commission", "BE"),
                "01cwqze88": ("National Institutes of Health", "US")}
#: ``app_data/vocabularies/awards.yaml``: award id -> (acronym, title, program, URL)
AWARDS = {"00k4n6c32::283595": (
    "OpenAIREplus", "2nd-Generation Open Access Infrastructure for Research in Europe",
    "FP7-INFRASTRUCTURES", "https://cordis.europa.eu/project/id/283595")}
#: the FP7 funder a bare legacy grant id belongs to
FP7_FUNDER = "10.13039/501100000780"

_CC = "https://creativecommons.org"
#: licence URLs (the ``url`` prop of Zenodo's licences vocabulary) for common licences
LICENCE_URLS = {
    **{f"cc-{kind}-4.0": f"{_CC}/licenses/{kind}/4.0/legalcode"
       for kind in ("by", "by-sa", "by-nc", "by-nd", "by-nc-sa", "by-nc-nd")},
    **{f"cc-{kind}-3.0": f"{_CC}/licenses/{kind}/3.0/legalcode"
       for kind in ("by", "by-sa", "by-nc", "by-nd", "by-nc-sa", "by-nc-nd")},
    "cc0-1.0": f"{_CC}/publicdomain/zero/1.0/legalcode",
    "cc-pdm-1.0": f"{_CC}/publicdomain/mark/1.0/",
    "apache-2.0": "http://www.apache.org/licenses/LICENSE-2.0",
    "mit": "https://opensource.org/licenses/MIT",
}


def resource_type(type_id: str) -> tuple[str, str, str, str]:
    """Return (title, DataCite general, DataCite type, eu-repo) of a resource type id."""
    return RESOURCE_TYPES.get(type_id, (type_id, "Other", "", _OTHER))


def datacite_relation(relation_id: str) -> str:
    """Return DataCite's ``relationType`` of an RDM relation id (``iscitedby`` -> ``IsCitedBy``)."""
    name = LEGACY_RELATIONS.get(relation_id, relation_id)
    return name[:1].upper() + name[1:]
