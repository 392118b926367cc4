"""The files of a collection's summary record: ``specimens.csv``, ``README.md`` and ``dwca.zip``.

Built from the published specimens only (sorted by key; no run id, no day, no time), so an
unchanged published set gives byte-identical files, the same payload, and no new version.
``specimens.csv`` has one line per published file; a cell that a spreadsheet would run as a
formula gets a leading ``'`` (:func:`zenodo.report.csv_cells.safe_cell`). No network.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from zenodo.ledger.states import State
from zenodo.report.csv_cells import safe_cell
from zenodo.report.dwca_export import doi_url, file_url, write_dwca
from zenodo.source.specimen import FileSpec
from zenodo.store.database import rows_by_key
from zenodo.store.tables import Specimen
from zenodo.summary.key import SUMMARY_KEY

if TYPE_CHECKING:
    from zenodo.config.summary_model import SummaryModel

CSV_NAME = "specimens.csv"
README_NAME = "README.md"
DWCA_NAME = "dwca.zip"
#: The summary record's files, in upload order.
FILE_NAMES = (CSV_NAME, README_NAME, DWCA_NAME)
CSV_COLUMNS = ("key", "doi", "concept_doi", "record_url", "file_name", "file_url", "md5")
_S = Specimen.__table__
_ONLINE = (State.PUBLISHED.value, State.VERIFIED.value)


@dataclass(frozen=True)
class PublishedSpecimen:
    """One published specimen as the summary lists it: its record and its files (name, md5)."""

    key: str
    doi: str
    concept_doi: str | None
    record_id: str
    files: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SummaryFiles:
    """The summary's files as written, and how many specimens and files ``specimens.csv`` lists.

    :param files: one :class:`FileSpec` per file of :data:`FILE_NAMES` (size and md5 known).
    """

    folder: Path
    files: tuple[FileSpec, ...]
    specimens: int
    media: int

    def path(self, name: str) -> Path:
        """Return the path of one of the files by name."""
        return next(f.path for f in self.files if f.name == name)


def record_url(base_url: str, record_id: str) -> str:
    """Return a record's landing page (``<base>/records/<id>``)."""
    return f"{base_url.rstrip('/')}/records/{record_id}"


def published_specimens(engine: sa.Engine, collection: str,
                        page: int = 1000) -> Iterator[PublishedSpecimen]:
    """Yield the collection's online specimens with a DOI and a record, by key (the summary
    record itself left out), a page per short read."""
    query = (sa.select(_S.c.key, _S.c.doi, _S.c.concept_doi, _S.c.record_id, _S.c.files)
             .where(_S.c.collection == collection, _S.c.state.in_(_ONLINE),
                    _S.c.key != SUMMARY_KEY, _S.c.doi.is_not(None),
                    _S.c.record_id.is_not(None))
             .order_by(_S.c.key))
    for row in rows_by_key(engine, query, _S.c.key, page):
        files = sorted((f["name"], f["md5"]) for f in row["files"] or ())
        yield PublishedSpecimen(row["key"], row["doi"], row["concept_doi"],
                                str(row["record_id"]), tuple(files))


def csv_text(specimens: Sequence[PublishedSpecimen], base_url: str) -> str:
    """Return ``specimens.csv``: a header, then one line per published file (CRLF lines)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for spec in specimens:
        url = record_url(base_url, spec.record_id)
        for name, md5 in spec.files:
            writer.writerow([safe_cell(v) for v in (
                spec.key, spec.doi, spec.concept_doi, url, name,
                file_url(base_url, spec.record_id, name), md5)])
    return out.getvalue()


def readme_text(settings: SummaryModel, collection: str, *, specimens: int, media: int,
                community: str | None, base_url: str) -> str:
    """Return ``README.md``: what the collection is, what the record holds, how to use it."""
    where = (f"the Zenodo community [{community}]({base_url.rstrip('/')}/communities/"
             f"{community})" if community else "Zenodo")
    creators = "; ".join(c.name for c in settings.creators)
    lines = [
        f"# {settings.title}", "", settings.description.strip(), "",
        f"Creators: {creators}.", "",
        f"Collection `{collection}`: {specimens} specimens published on {where}, with "
        f"{media} files. Each specimen is a record of its own, with its own DOI; this record "
        "lists them all and gets a new version whenever that list changes.", "",
        "## Files", "",
        f"- `{CSV_NAME}`: one line per published file: " + ", ".join(
            f"`{c}`" for c in CSV_COLUMNS) + ". The concept DOI stays the same across a "
        "specimen's versions; the md5 checks a download.",
        f"- `{DWCA_NAME}`: a Darwin Core Archive (Occurrence core, Audubon Core multimedia "
        "extension pointing at the files on Zenodo) that GBIF or an IPT can read as is.",
        f"- `{README_NAME}`: this file.", "",
        "## Use", "",
        f"Load `{CSV_NAME}` with any CSV reader (UTF-8, comma-separated, quoted where needed; "
        "a cell that would start a spreadsheet formula has a leading `'`). Cite a specimen by "
        f"its DOI ({doi_url('<doi>')}), the collection by this record's concept DOI.", "",
    ]
    return "\n".join(lines)


def _spec(path: Path, data: bytes) -> FileSpec:
    """Write ``data`` to ``path`` (replacing it whole) and return its spec."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)
    return FileSpec(path, path.name, len(data),
                    hashlib.md5(data, usedforsecurity=False).hexdigest())


def build_files(engine: sa.Engine, collection: str, folder: Path, *,
                settings: SummaryModel, base_url: str, community: str | None) -> SummaryFiles:
    """Write the summary's three files into ``folder``; return them with their md5.

    :param engine: the ledger's database (specimens and payloads).
    :param base_url: the Zenodo the records are on (file and record URLs).
    """
    folder.mkdir(parents=True, exist_ok=True)
    specimens = list(published_specimens(engine, collection))
    media = sum(len(s.files) for s in specimens)
    table = _spec(folder / CSV_NAME, csv_text(specimens, base_url).encode("utf-8"))
    readme = _spec(folder / README_NAME, readme_text(
        settings, collection, specimens=len(specimens), media=media, community=community,
        base_url=base_url).encode("utf-8"))
    export = write_dwca(engine, collection, folder, base_url=base_url, title=settings.title,
                        description=settings.description, fixed=True)
    with export.path.open("rb") as handle:  # streamed: the archive grows with the collection
        md5 = hashlib.file_digest(handle, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()
    zipped = FileSpec(export.path, DWCA_NAME, export.path.stat().st_size, md5)
    return SummaryFiles(folder, (table, readme, zipped), len(specimens), media)
