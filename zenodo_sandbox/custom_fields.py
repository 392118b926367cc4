"""The ``custom`` fields Zenodo keeps from legacy deposit metadata.

Zenodo passes ``metadata.custom`` into its InvenioRDM custom fields (zenodo-rdm
``custom_fields/domain_fields.py``): a key it does not define, a value that is not a list,
or a list item of the wrong type is dropped from the draft without an error; the rest is
echoed. The names and types below are the facts of that file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from zenodo_sandbox.vocabularies import valid_edtf

_DWC = (
    "basisOfRecord catalogNumber class collectionCode country county dateIdentified "
    "decimalLatitude decimalLongitude eventDate family genus identifiedBy individualCount "
    "institutionCode kingdom lifeStage locality materialSampleID namePublishedInID "
    "namePublishedInYear order otherCatalogNumbers phylum preparations recordedBy "
    "scientificName scientificNameAuthorship scientificNameID sex specificEpithet "
    "stateProvince taxonID taxonRank taxonomicStatus typeStatus verbatimElevation "
    "verbatimEventDate sampleSizeValue sampleSizeUnit associatedSequences eventID "
    "samplingProtocol locationID habitat countryCode samplingEffort geodeticDatum occurrenceID "
    "occurrenceStatus organismQuantity organismQuantityType parentEventID datasetID"
)
_OTHERS = (
    "gbif-dwc:identifiedByID gbif-dwc:recordedByID gbif:ampliconSize gbif:DNA_sequence "
    "gbif:pcr_primer_forward gbif:pcr_primer_reverse gbif:pcr_primer_name_forward "
    "gbif:pcr_primer_name_reverse dc:creator dc:rightsHolder openbiodiv:TaxonomicConceptLabel "
    "mixs:0000090 mixs:0000044 mixs:0000045 mixs:0000050 mixs:0000049 mixs:0000058 "
    "mixs:0000012 mixs:0000013 mixs:0000014 ac:associatedSpecimenReference ac:captureDevice "
    "ac:physicalSetting ac:resourceCreationTechnique ac:subjectOrientation ac:subjectPart "
    "ac:digitizationDate obo:RO_0002453 code:codeRepository code:programmingLanguage "
    "code:developmentStatus"
)
#: every list-valued custom field Zenodo defines
LIST_FIELDS = frozenset({f"dwc:{name}" for name in _DWC.split()} | set(_OTHERS.split()))
ISO_DATES = frozenset({"dwc:dateIdentified", "dwc:eventDate"})
EDTF_DATES = frozenset({"ac:digitizationDate"})
NUMBERS = frozenset({"dwc:decimalLatitude", "dwc:decimalLongitude", "dwc:organismQuantity"})
INTEGERS = frozenset({"gbif:ampliconSize"})
RELATIONSHIPS = frozenset({"obo:RO_0002453"})
#: custom-field namespaces the legacy API shows under other keys, never under ``custom``
HIDDEN = ("legacy:", "thesis:", "imprint:", "meeting:", "journal:", "part_of:")


def _iso_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return len(value) == 10


def _number(item: Any, kind: type) -> Any:
    if isinstance(item, bool):
        return None
    try:
        return kind(item) if isinstance(item, int | float | str) else None
    except ValueError:
        return None


def _item(name: str, item: Any) -> Any:
    """Return the item as Zenodo keeps it, or None when it drops it."""
    if name in ISO_DATES:
        return item if isinstance(item, str) and _iso_date(item) else None
    if name in EDTF_DATES:
        return item if valid_edtf(item) else None
    if name in NUMBERS:
        return _number(item, float)
    if name in INTEGERS:
        return _number(item, int)
    if name in RELATIONSHIPS:
        ok = isinstance(item, dict) and set(item) <= {"subject", "object"} and all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in item.values())
        return item if ok else None
    return item.strip() if isinstance(item, str) and item.strip() else None


def load_custom(custom: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Return (the custom fields Zenodo keeps, the names it dropped entirely or in part)."""
    kept, dropped = {}, []
    for name, value in custom.items():
        if name not in LIST_FIELDS or not isinstance(value, list):
            if not name.startswith(HIDDEN):
                dropped.append(name)
            continue
        items = [kept_item for item in value
                 if (kept_item := _item(name, item)) is not None]
        if len(items) != len(value):
            dropped.append(name)
        if items:
            kept[name] = items
    return kept, dropped
