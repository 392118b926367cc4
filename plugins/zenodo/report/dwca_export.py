"""The run's GBIF-ready Darwin Core Archive: every published specimen as an occurrence, every
published file as an Audubon Core multimedia row pointing at the file on Zenodo.

The collection's IPT (or any DwC-A reader) republishes it as is. Rows are streamed from the
ledger a page at a time into two tab-separated files, which are then zipped with ``meta.xml``
and ``eml.xml``; memory stays flat whatever the collection's size. No network.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from zenodo.ledger.states import State
from zenodo.report import dwca_meta as meta
from zenodo.report.dwca_terms import creators, mime_type, record_license, specimen_terms
from zenodo.store.database import rows_by_key
from zenodo.store.tables import Payload, Specimen
from zenodo.summary.key import SUMMARY_KEY

ARCHIVE_NAME = "dwca.zip"
#: The date of every entry of a ``fixed`` archive (the earliest a zip can hold).
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Specimens are natural-history specimens: the basis of record when the data names none.
DEFAULT_BASIS = "PreservedSpecimen"
_S, _P = Specimen.__table__, Payload.__table__
_ONLINE = (State.PUBLISHED.value, State.VERIFIED.value)
_MAX_DATASET_CREATORS = 5


@dataclass(frozen=True)
class DwcaExport:
    """The archive written, and how many occurrences and multimedia rows it holds."""

    path: Path
    occurrences: int
    media: int

    def as_dict(self) -> dict[str, Any]:
        """Return the export as JSON-able data (for the run report)."""
        return {"path": str(self.path), "occurrences": self.occurrences, "media": self.media}


def doi_url(doi: str) -> str:
    """Return a DOI's resolver URL."""
    return f"https://doi.org/{doi}"


def file_url(base_url: str, record_id: str, name: str) -> str:
    """Return a published file's content URL on Zenodo's records API (as its ``links``
    give it): ``<base>/api/records/<id>/files/<name>/content``."""
    return f"{base_url.rstrip('/')}/api/records/{quote(record_id, safe='')}/files/" \
           f"{quote(name, safe='')}/content"


def _published(engine: sa.Engine, collection: str, page: int) -> Iterator[Mapping[str, Any]]:
    """Yield the online specimens with a DOI, by key, with their payloads (a page per read)."""
    joined = _S.outerjoin(_P, sa.and_(_P.c.collection == _S.c.collection, _P.c.key == _S.c.key))
    query = (sa.select(_S.c.key, _S.c.record_id, _S.c.doi, _S.c.files,
                       _P.c.metadata_json, _P.c.files.label("payload_files"))
             .select_from(joined)
             .where(_S.c.collection == collection, _S.c.state.in_(_ONLINE),
                    _S.c.key != SUMMARY_KEY,
                    _S.c.doi.is_not(None), _S.c.record_id.is_not(None))
             .order_by(_S.c.key))
    return rows_by_key(engine, query, _S.c.key, page)


def _cell(value: Any) -> str:
    """A value as one tab-separated cell: tabs and line breaks become spaces."""
    if value is None:
        return ""
    return " ".join(str(value).replace("\t", " ").splitlines())


class _Tables:
    """The core and extension files being written, and what the dataset's EML needs."""

    def __init__(self, folder: Path) -> None:
        self.core_path, self.media_path = folder / meta.CORE_FILE, folder / meta.MEDIA_FILE
        self._core_file = self.core_path.open("w", encoding="utf-8", newline="")
        self._media_file = self.media_path.open("w", encoding="utf-8", newline="")
        options = {"delimiter": "\t", "lineterminator": "\n", "quoting": csv.QUOTE_NONE,
                   "escapechar": None}
        self.core = csv.writer(self._core_file, **options)
        self.media = csv.writer(self._media_file, **options)
        self.core.writerow(["id", *(name for name, _ in meta.CORE_TERMS)])
        self.media.writerow(["coreid", *(name for name, _ in meta.MEDIA_TERMS)])
        self.occurrences = self.media_rows = 0
        self.creators: list[str] = []

    def add(self, row: Mapping[str, Any], base_url: str) -> None:
        """Write one specimen's occurrence and its files' multimedia rows."""
        key, record_id, metadata = row["key"], str(row["record_id"]), row["metadata_json"] or {}
        files: Sequence[Mapping[str, Any]] = row["files"] or ()
        md5s = {f["name"]: f["md5"] for f in files}
        terms = specimen_terms(metadata, row["payload_files"] or (), md5s)
        who, licence = creators(metadata), record_license(metadata) or terms.get("license")
        references = doi_url(row["doi"])
        values = {**terms, "occurrenceID": key, "license": licence, "references": references,
                  "basisOfRecord": terms.get("basisOfRecord") or DEFAULT_BASIS}
        self.core.writerow([_cell(key), *(_cell(values.get(n)) for n, _ in meta.CORE_TERMS)])
        self.occurrences += 1
        for name in who:
            if name not in self.creators and len(self.creators) < _MAX_DATASET_CREATORS:
                self.creators.append(name)
        for entry in files:
            name, fmt = entry["name"], mime_type(entry["name"])
            url = file_url(base_url, record_id, name)
            media = {"identifier": url, "accessURI": url, "format": fmt, "title": name,
                     "type": "StillImage" if fmt.startswith("image/") else "Dataset",
                     "creator": " | ".join(who), "license": licence,
                     "rightsHolder": terms.get("rightsHolder"),
                     "furtherInformationURL": references, "hashFunction": "MD5",
                     "hashValue": entry.get("md5")}
            self.media.writerow([_cell(key), *(_cell(media.get(n)) for n, _ in meta.MEDIA_TERMS)])
            self.media_rows += 1

    def close(self) -> None:
        """Close both files."""
        self._core_file.close()
        self._media_file.close()


def _package_id(collection: str, tables: _Tables, fixed: bool) -> str:
    """The EML package id: the time of writing, or (``fixed``) a digest of the rows."""
    if not fixed:
        return f"{collection}/{datetime.now(UTC):%Y%m%dT%H%M%S}"
    digest = hashlib.sha256()
    for path in (tables.core_path, tables.media_path):
        with path.open("rb") as handle:
            hashlib.file_digest(handle, lambda: digest)
    return f"{collection}/{digest.hexdigest()[:16]}"


def _add(archive: zipfile.ZipFile, name: str, data: bytes | Path, fixed: bool) -> None:
    """Add one entry (a file is streamed); ``fixed``: dated :data:`FIXED_ZIP_TIME`, mode 644."""
    if not fixed:
        if isinstance(data, Path):
            archive.write(data, name)
        else:
            archive.writestr(name, data)
        return
    info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    if not isinstance(data, Path):
        archive.writestr(info, data)
        return
    with data.open("rb") as source, archive.open(info, "w") as target:
        shutil.copyfileobj(source, target)


def write_dwca(engine: sa.Engine, collection: str, folder: Path, *, base_url: str,
               title: str, description: str, page: int = 1000,
               fixed: bool = False) -> DwcaExport:
    """Write ``folder/dwca.zip`` of the collection's published specimens; return it.

    :param engine: the ledger's database (specimens and payloads).
    :param base_url: the Zenodo the records are on (``https://zenodo.org``).
    :param title: the dataset's title; ``description`` its abstract (``eml.xml``).
    :param fixed: make the bytes depend on the published specimens only (no day, no time):
        no ``pubDate``, a package id from a digest of the rows, zip entries dated
        :data:`FIXED_ZIP_TIME`. The summary record needs this: an unchanged set must give
        the same file, so no new version is made.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ARCHIVE_NAME
    with tempfile.TemporaryDirectory(dir=folder, prefix=".dwca-") as work:
        tables = _Tables(Path(work))
        try:
            for row in _published(engine, collection, page):
                tables.add(row, base_url)
        finally:
            tables.close()
        info = meta.DatasetInfo(title=title, description=description,
                                creators=tables.creators or [collection],
                                pub_date=None if fixed else datetime.now(UTC).date(),
                                package_id=_package_id(collection, tables, fixed))
        partial = Path(work) / ARCHIVE_NAME
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            _add(archive, "meta.xml", meta.meta_xml(), fixed)
            _add(archive, "eml.xml", meta.eml_xml(info), fixed)
            _add(archive, meta.CORE_FILE, tables.core_path, fixed)
            _add(archive, meta.MEDIA_FILE, tables.media_path, fixed)
        partial.replace(path)
    return DwcaExport(path, tables.occurrences, tables.media_rows)
