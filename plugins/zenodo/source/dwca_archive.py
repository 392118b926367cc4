"""Open and check a Darwin Core Archive, then stream its core rows and multimedia references.

An archive is checked whole before a single row is given out, so a bad one stops the prepare
step before anything reaches the ledger: it must be a zip with a ``meta.xml`` whose core is an
Occurrence core with an id column, every data file must decode in its declared encoding, and
every extension row must point to a core row. Each error names the archive, the file, the row
and the value. Rows are read with ``python-dwca-reader`` (it replaces undecodable bytes, hence
the strict check first); the multimedia extension (Audubon Core or GBIF Simple Multimedia)
gives each core row its image references in the extension's order.
"""

from __future__ import annotations

import codecs
import itertools
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from defusedxml import ElementTree
from dwca.exceptions import InvalidArchive
from dwca.read import DwCAReader

OCCURRENCE = "http://rs.tdwg.org/dwc/terms/Occurrence"
#: The multimedia extensions whose rows are a specimen's images: Audubon Core, GBIF's.
MULTIMEDIA_ROW_TYPES = ("http://rs.tdwg.org/ac/terms/Multimedia",
                        "http://rs.gbif.org/terms/1.0/Multimedia")
#: Where a multimedia row names its file, in order of preference.
MEDIA_TERMS = ("http://rs.tdwg.org/ac/terms/accessURI", "http://purl.org/dc/terms/identifier")
DEFAULT_ENCODING = "UTF-8"
#: Orphaned extension rows named in an error (the count is always given).
_SHOWN = 5


class DwcaError(ValueError):
    """Raised for an archive that cannot be read; the message names file, row and value."""


@dataclass(frozen=True)
class DataFile:
    """One data file as ``meta.xml`` declares it."""

    location: str
    row_type: str
    encoding: str
    header_lines: int


@dataclass(frozen=True)
class CoreRow:
    """One row of the core: its 1-based row number, its id and its terms by short name."""

    number: int
    id: str
    terms: dict[str, str]


def short_name(term: str) -> str:
    """Return a term's short name (``http://purl.org/dc/terms/modified`` → ``modified``)."""
    return term.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1]


def _local(tag: Any) -> str:
    return str(tag).rpartition("}")[2]


def _child(element: Any, name: str) -> Any:
    return next((c for c in element if _local(c.tag) == name), None)


def _unpack(archive: Path, label: str, into: Path) -> Path:
    """Extract the zip into ``into``; return the folder holding ``meta.xml``."""
    if not zipfile.is_zipfile(archive):
        raise DwcaError(f"{label}: not a zip file (a Darwin Core Archive is a zip with meta.xml)")
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        tops = {name.split("/", 1)[0] for name in names}
        prefix = f"{next(iter(tops))}/" if len(tops) == 1 and "meta.xml" not in names else ""
        if f"{prefix}meta.xml" not in names:
            shown = ", ".join(sorted(names)[:10]) or "nothing"
            raise DwcaError(f"{label}: no meta.xml in the archive (it holds {shown})")
        zipped.extractall(into)  # zipfile drops absolute paths and '..' parts
    return into / prefix


def _declared(section: Any, label: str, folder: Path, id_tag: str) -> DataFile:
    """Check one ``<core>`` or ``<extension>`` of meta.xml and return its data file."""
    kind = _local(section.tag)
    files = _child(section, "files")
    location_tag = _child(files, "location") if files is not None else None
    location = (location_tag.text or "").strip() if location_tag is not None else ""
    if not location:
        raise DwcaError(f"{label}: meta.xml: a <{kind}> names no data file (files/location)")
    id_element = _child(section, id_tag)
    index = id_element.get("index") if id_element is not None else None
    if index is None or not index.strip().isdigit():
        raise DwcaError(f"{label}: meta.xml: the {kind} {location} has no {id_tag} column "
                        f"(<{id_tag} index=\"…\"/>), got {index!r}")
    encoding = section.get("encoding") or DEFAULT_ENCODING
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DwcaError(f"{label}: meta.xml: {location}: unknown encoding {encoding!r}") from None
    if not (folder / location).is_file():
        raise DwcaError(f"{label}: {location} is named in meta.xml but not in the archive")
    header = section.get("ignoreHeaderLines") or "0"
    return DataFile(location, section.get("rowType") or "", encoding,
                    int(header) if header.isdigit() else 0)


def _check_meta(folder: Path, label: str) -> tuple[DataFile, list[DataFile]]:
    """Check meta.xml; return the core's data file and the extensions'."""
    try:
        root = ElementTree.parse(folder / "meta.xml").getroot()
    except ElementTree.ParseError as exc:
        raise DwcaError(f"{label}: meta.xml is not well-formed XML: {exc}") from None
    core_section = _child(root, "core")
    if core_section is None:
        raise DwcaError(f"{label}: meta.xml has no <core>")
    core = _declared(core_section, label, folder, "id")
    if core.row_type != OCCURRENCE:
        raise DwcaError(f"{label}: meta.xml: the core {core.location} has rowType "
                        f"{core.row_type!r}; only an Occurrence core ({OCCURRENCE}) is read")
    extensions = [_declared(section, label, folder, "coreid")
                  for section in root if _local(section.tag) == "extension"]
    return core, extensions


def _check_text(folder: Path, label: str, data: DataFile) -> None:
    """Decode a data file strictly in its declared encoding; name the first bad line."""
    decoder = codecs.getincrementaldecoder(data.encoding)("strict")
    line = 1
    with (folder / data.location).open("rb") as raw:
        for chunk in itertools.chain(raw, [b""]):
            try:
                line += decoder.decode(chunk, final=not chunk).count("\n")
            except UnicodeDecodeError as exc:
                bad = exc.object[exc.start:exc.end]
                raise DwcaError(
                    f"{label}: {data.location} line {line} (row {line - data.header_lines}): "
                    f"bytes {bad!r} are not valid {data.encoding} (meta.xml declares "
                    f"encoding=\"{data.encoding}\")") from None


class Archive:
    """A checked archive: its core rows, and each core id's image references (or None).

    :param media: core id → references in the multimedia extension's order; None when the
        archive has no multimedia extension.
    """

    def __init__(self, reader: DwCAReader, label: str, media: dict[str, list[str]] | None
                 ) -> None:
        self.reader = reader
        self.label = label
        self.media = media

    @property
    def core_location(self) -> str:
        """The core's data file, as meta.xml names it."""
        return str(self.reader.core_file.file_descriptor.file_location)

    def rows(self) -> Iterator[CoreRow]:
        """Yield the core's rows in file order."""
        for number, row in _numbered(self.reader.core_file, self.label):
            terms = {short_name(term): value for term, value in row.data.items()}
            yield CoreRow(number, str(row.id), terms)


def _numbered(data_file: Any, label: str) -> Iterator[tuple[int, Any]]:
    """Yield ``(row number, row)``; a row short of columns names its file and number."""
    rows = data_file.iter_rows()
    number = 0
    while True:
        number += 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except (InvalidArchive, IndexError) as exc:
            where = data_file.file_descriptor.file_location
            raise DwcaError(f"{label}: {where} row {number}: fewer columns than meta.xml "
                            f"declares ({exc})") from None
        yield number, row


def _links(reader: DwCAReader, label: str) -> dict[str, list[str]] | None:
    """Check every extension row points to a core row; return the multimedia references."""
    core_ids = {str(row.id) for _, row in _numbered(reader.core_file, label)}
    media: dict[str, list[str]] | None = None
    for extension in reader.extension_files:
        descriptor = extension.file_descriptor
        is_media = media is None and descriptor.type in MULTIMEDIA_ROW_TYPES
        found: dict[str, list[str]] = {}
        orphans: list[str] = []
        for number, row in _numbered(extension, label):
            if row.core_id not in core_ids:
                orphans.append(f"row {number} (coreid {row.core_id!r})")
            elif is_media:
                reference = next((row.data[t].strip() for t in MEDIA_TERMS
                                  if (row.data.get(t) or "").strip()), "")
                if reference:
                    found.setdefault(row.core_id, []).append(reference)
        if orphans:
            shown = ", ".join(orphans[:_SHOWN]) + (", …" if len(orphans) > _SHOWN else "")
            raise DwcaError(f"{label}: {descriptor.file_location}: {len(orphans)} rows point "
                            f"to no core row of {reader.core_file.file_descriptor.file_location}"
                            f": {shown}")
        if is_media:
            media = found
    return media


@contextmanager
def open_archive(path: Path, label: str | None = None) -> Iterator[Archive]:
    """Check the archive at ``path`` whole and give it out (its files are removed after).

    :param label: how errors name the archive (default: the path)
    :raises DwcaError: for a bad archive, naming what is wrong and where
    """
    label = label or str(path)
    with tempfile.TemporaryDirectory(prefix="dwca-") as tmp:
        folder = _unpack(path, label, Path(tmp))
        core, extensions = _check_meta(folder, label)
        for data in (core, *extensions):
            _check_text(folder, label, data)
        reader = DwCAReader(str(folder), skip_metadata=True)
        try:
            yield Archive(reader, label, _links(reader, label))
        finally:
            reader.close()
