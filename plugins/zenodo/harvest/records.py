"""Turn one OAI-PMH ``<record>`` (or ``<header>``) into a small frozen :class:`HarvestedRecord`.

Reads ``oai_datacite`` (and ``datacite``, kernel 3 or 4) and ``oai_dc``. The specimen key is the
``specimen-key:<key>`` subject (keyword) the mapping writes, else the record's alternate
identifier (``urn:specimen:<key>`` decoded, another URL or URN as is), which Zenodo lists in
DataCite's ``alternateIdentifier`` and Dublin Core's ``dc:identifier`` (never ``dc:relation``);
Zenodo's own URLs, DOIs and OAI ids never.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from zenodo.harvest.oai_page import OAI_NS
from zenodo.metadata.identity import KEY_KEYWORD_PREFIX
from zenodo.source.specimen import is_uri

_SPECIMEN_URN = "urn:specimen:"
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
#: A repository's own record page: Zenodo's ``/records/123``, InvenioRDM's ``/records/abcde-12345``.
_OWN_RECORD_URL = re.compile(r"/records?/(\d+|[0-9a-z]{5}-[0-9a-z]{5})/?$")
#: A record id as the ledger can store it: 1 to 64 characters, no space, ``/`` or ``:``.
_RECORD_ID = re.compile(r"[^\s/:]{1,64}")
_Q = f"{{{OAI_NS}}}"


class HarvestRecordError(ValueError):
    """An OAI-PMH record lacks what every record must have (names the record and field)."""


@dataclass(frozen=True, slots=True)
class HarvestedRecord:
    """What the community feed says about one published record.

    :param record_id: the record id as text (from ``oai:<repo>:<recid>``): Zenodo's ``"123"``,
        InvenioRDM's ``"abcde-12345"``.
    :param doi: the version DOI (``None`` when the format carries none, e.g. ListIdentifiers).
    :param concept_doi: the concept DOI shared by all versions, when shown.
    :param datestamp: the header datestamp (the record's last update, UTC).
    :param deleted: ``status="deleted"`` in the header; always False on Zenodo, whose feed
        simply drops deleted records (absence is the signal).
    :param specimen_key: the specimen this record is for, ``None`` when it carries no key.
    :param sets: the ``setSpec`` values of the header.
    """

    record_id: str
    doi: str | None
    concept_doi: str | None
    datestamp: str
    deleted: bool
    specimen_key: str | None
    sets: tuple[str, ...] = ()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _texts(root: Element | None, name: str) -> Iterator[tuple[Element, str]]:
    if root is None:
        return
    for element in root.iter():
        if _local(element.tag) == name and (element.text or "").strip():
            yield element, (element.text or "").strip()


def bare_doi(value: str) -> str | None:
    """Return the DOI in ``value`` (``10.x/y``, ``doi:10.x/y`` or a doi.org URL), else None."""
    match = _DOI.match(value.strip())
    return match.group(1) if match else None


def key_from_identifiers(subjects: Iterable[str], alternates: Iterable[str]) -> str | None:
    """Derive the specimen key from a record's subjects and alternate identifiers.

    :param subjects: keyword/subject texts; ``specimen-key:<key>`` wins.
    :param alternates: alternate identifiers (``urn:specimen:...``, or the key as URL/URN).
    """
    for subject in subjects:
        if subject.startswith(KEY_KEYWORD_PREFIX) and len(subject) > len(KEY_KEYWORD_PREFIX):
            return subject[len(KEY_KEYWORD_PREFIX):]
    for identifier in alternates:
        if identifier.lower().startswith(_SPECIMEN_URN):
            return unquote(identifier[len(_SPECIMEN_URN):]) or None
    for identifier in alternates:
        if bare_doi(identifier) or _OWN_RECORD_URL.search(identifier):
            continue
        if is_uri(identifier):
            return identifier
    return None


def record_id_of(identifier: str, *, where: str) -> str:
    """Return the record id of an OAI identifier ``oai:<repository>:<recid>``, as text.

    The id is what follows the last ``:``: Zenodo's ``"123"``, InvenioRDM's ``"abcde-12345"``.

    :param where: names the record in the error (e.g. ``page 3, item 7``).
    """
    scheme, _, rest = identifier.partition(":")
    repository, _, record_id = rest.rpartition(":")
    if scheme != "oai" or not repository or not _RECORD_ID.fullmatch(record_id):
        raise HarvestRecordError(
            f"oai record ({where}): header/identifier: expected oai:<repository>:<recid>, "
            f"got {identifier!r}"
        )
    return record_id


def parse_record(element: Element, *, where: str) -> HarvestedRecord:
    """Read one ``<record>`` or ``<header>`` element of a ListRecords/ListIdentifiers page.

    :param element: the element as parsed by :func:`zenodo.harvest.oai_page.parse_oai_page`.
    :param where: names the record in errors (e.g. ``page 3, item 7``).
    :raises HarvestRecordError: no header, identifier or datestamp.
    """
    header = element if _local(element.tag) == "header" else element.find(f"{_Q}header")
    if header is None:
        raise HarvestRecordError(f"oai record ({where}): header: missing")
    identifier = (header.findtext(f"{_Q}identifier") or "").strip()
    record_id = record_id_of(identifier, where=where)
    stamp = (header.findtext(f"{_Q}datestamp") or "").strip()
    if not stamp:
        raise HarvestRecordError(f"oai record {record_id} ({where}): header/datestamp: missing")
    sets = tuple((s.text or "").strip() for s in header.findall(f"{_Q}setSpec") if s.text)
    deleted = header.get("status") == "deleted"
    metadata = None if header is element else element.find(f"{_Q}metadata")
    doi, concept_doi, key = _from_metadata(metadata)
    return HarvestedRecord(record_id, doi, concept_doi, stamp, deleted, key, sets)


def _from_metadata(metadata: Element | None) -> tuple[str | None, str | None, str | None]:
    """Return (DOI, concept DOI, specimen key) from DataCite or Dublin Core metadata."""
    if metadata is None:
        return None, None, None
    if any(_local(e.tag) == "resource" for e in metadata.iter()):
        return _from_datacite(metadata)
    return _from_dublin_core(metadata)


def _from_datacite(metadata: Element) -> tuple[str | None, str | None, str | None]:
    doi = next((bare_doi(text) for el, text in _texts(metadata, "identifier")
                if el.get("identifierType", "").upper() == "DOI"), None)
    concept = next((bare_doi(text) for el, text in _texts(metadata, "relatedIdentifier")
                    if el.get("relationType") == "IsVersionOf"
                    and el.get("relatedIdentifierType", "").upper() == "DOI"), None)
    subjects = [text for _el, text in _texts(metadata, "subject")]
    alternates = [text for _el, text in _texts(metadata, "alternateIdentifier")]
    return doi, concept, key_from_identifiers(subjects, alternates)


def _from_dublin_core(metadata: Element) -> tuple[str | None, str | None, str | None]:
    # InvenioRDM's DublinCoreSchema: identifiers are the DOI (as a URL), the OAI id and the
    # alternate identifiers; relations the related identifiers, the community pages and,
    # last, the concept DOI; subjects the keywords.
    identifiers = [text for _el, text in _texts(metadata, "identifier")]
    dois = [d for d in map(bare_doi, identifiers) if d]
    doi = dois[0] if dois else None
    relations = [text for _el, text in _texts(metadata, "relation")]
    relation_dois = [d for d in map(bare_doi, relations) if d and d != doi]
    concept = relation_dois[-1] if relation_dois else None
    subjects = [text for _el, text in _texts(metadata, "subject")]
    return doi, concept, key_from_identifiers(subjects, identifiers)
