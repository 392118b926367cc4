"""The descriptor (``meta.xml``) and dataset metadata (``eml.xml``) of the run's Darwin Core
Archive: an Occurrence core and an Audubon Core multimedia extension, built with ElementTree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

DWC = "http://rs.tdwg.org/dwc/terms/"
DCTERMS = "http://purl.org/dc/terms/"
DC = "http://purl.org/dc/elements/1.1/"
AC = "http://rs.tdwg.org/ac/terms/"
OCCURRENCE = DWC + "Occurrence"
MULTIMEDIA = AC + "Multimedia"
CORE_FILE = "occurrence.txt"
MEDIA_FILE = "multimedia.txt"

#: The core's columns after ``id``: (column, term URI).
CORE_TERMS: tuple[tuple[str, str], ...] = (
    *((t, DWC + t) for t in (
        "occurrenceID", "basisOfRecord", "catalogNumber", "institutionCode", "collectionCode",
        "scientificName", "kingdom", "family", "genus", "recordedBy", "eventDate",
        "countryCode", "locality", "decimalLatitude", "decimalLongitude")),
    ("license", DCTERMS + "license"), ("rightsHolder", DCTERMS + "rightsHolder"),
    ("references", DCTERMS + "references"),
)
#: The multimedia extension's columns after ``coreid``.
MEDIA_TERMS: tuple[tuple[str, str], ...] = (
    ("identifier", DCTERMS + "identifier"), ("accessURI", AC + "accessURI"),
    ("type", DC + "type"), ("format", DC + "format"), ("title", DCTERMS + "title"),
    ("creator", DC + "creator"), ("license", DCTERMS + "license"),
    ("rightsHolder", DCTERMS + "rightsHolder"),
    ("furtherInformationURL", AC + "furtherInformationURL"),
    ("hashFunction", AC + "hashFunction"), ("hashValue", AC + "hashValue"),
)


@dataclass(frozen=True)
class DatasetInfo:
    """What ``eml.xml`` says about the dataset: title, abstract, creators, publication day
    (None: no ``pubDate``, for an archive whose bytes must not depend on the day)."""

    title: str
    description: str
    creators: Sequence[str]
    pub_date: date | None
    package_id: str


def _table(parent: ET.Element, tag: str, row_type: str, location: str, id_tag: str,
           terms: Sequence[tuple[str, str]]) -> None:
    table = ET.SubElement(parent, tag, {
        "encoding": "UTF-8", "fieldsTerminatedBy": "\\t", "linesTerminatedBy": "\\n",
        "fieldsEnclosedBy": "", "ignoreHeaderLines": "1", "rowType": row_type})
    ET.SubElement(ET.SubElement(table, "files"), "location").text = location
    ET.SubElement(table, id_tag, {"index": "0"})
    for index, (_name, uri) in enumerate(terms, start=1):
        ET.SubElement(table, "field", {"index": str(index), "term": uri})


def meta_xml() -> bytes:
    """Return ``meta.xml``: the core and extension files, their columns' terms and format."""
    archive = ET.Element("archive", {"xmlns": "http://rs.tdwg.org/dwc/text/",
                                     "metadata": "eml.xml"})
    _table(archive, "core", OCCURRENCE, CORE_FILE, "id", CORE_TERMS)
    _table(archive, "extension", MULTIMEDIA, MEDIA_FILE, "coreid", MEDIA_TERMS)
    ET.indent(archive)
    return ET.tostring(archive, encoding="utf-8", xml_declaration=True)


def _party(parent: ET.Element, tag: str, name: str) -> None:
    ET.SubElement(ET.SubElement(parent, tag), "organizationName").text = name


def eml_xml(info: DatasetInfo) -> bytes:
    """Return ``eml.xml`` (EML 2.1.1, GBIF profile): title, creators, contact, date, abstract."""
    eml = ET.Element("eml:eml", {
        "xmlns:eml": "eml://ecoinformatics.org/eml-2.1.1",
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:schemaLocation": "eml://ecoinformatics.org/eml-2.1.1 "
                              "http://rs.gbif.org/schema/eml-gbif-profile/1.1/eml.xsd",
        "packageId": info.package_id, "system": "http://gbif.org", "scope": "system",
        "xml:lang": "en"})
    dataset = ET.SubElement(eml, "dataset")
    ET.SubElement(dataset, "title", {"xml:lang": "en"}).text = info.title
    for name in info.creators:
        _party(dataset, "creator", name)
    if info.pub_date is not None:
        ET.SubElement(dataset, "pubDate").text = info.pub_date.isoformat()
    ET.SubElement(dataset, "language").text = "en"
    ET.SubElement(ET.SubElement(dataset, "abstract"), "para").text = info.description
    for name in info.creators[:1]:
        _party(dataset, "contact", name)
    ET.indent(eml)
    return ET.tostring(eml, encoding="utf-8", xml_declaration=True)
