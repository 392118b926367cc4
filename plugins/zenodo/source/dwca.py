"""Stream a collection's Darwin Core Archive (``dwca:``) as specimen records.

The core's rows go through the same rename, normalisation and key rules as a database's rows
(:func:`~zenodo.source.extract.row_to_record`), their terms named by short name
(``dcterms:modified`` → ``modified``). With a multimedia extension a specimen's images are its
rows, in the extension's order: a relative file name is taken under ``images.root``; an
absolute URL is a remote image (http(s), or an object store such as ``s3://`` opened with
``images.conn_id``; read by validation and upload). Without one, the ``images``
templates apply. ``dcterms:modified`` makes runs incremental (rows modified at or after the
watermark, and rows without a value, are read); without it every run reads every row and the
ledger leaves the unchanged ones as they are (same metadata hash, same files).
"""

from __future__ import annotations

import dataclasses
import logging
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from zenodo.config.collection_file import CollectionConfig
from zenodo.source.dwca_archive import open_archive
from zenodo.source.dwca_fetch import archive_file
from zenodo.source.extract import row_to_record
from zenodo.source.image_urls import ImagePath, is_url, local_root, location, root_url, under_url
from zenodo.source.specimen import FileSpec, SpecimenRecord

log = logging.getLogger(__name__)

class SourceRecord(NamedTuple):
    """A record as its source gives it, and why the source already refuses it (if it does)."""

    record: SpecimenRecord
    refused: tuple[str, ...] = ()


def _local_file(root: Path, name: str) -> Path:
    """The file ``root / name`` under whichever normalisation exists (NFC, NFD; else as is)."""
    for spelling in dict.fromkeys([name, unicodedata.normalize("NFC", name),
                                   unicodedata.normalize("NFD", name)]):
        if (root / spelling).is_file():
            return root / spelling
    return root / name


def media_files(root: Path | str, references: Sequence[str], conn_id: str | None = None
                ) -> tuple[tuple[FileSpec, ...], tuple[str, ...]]:
    """Return a specimen's image files from its multimedia references, and the refused ones.

    A relative name is a file under ``root`` (a URL root: the URL under it); an absolute URL
    is the image there. Each is uploaded under its own NFC name; a file named twice is taken
    once. Nothing is refused here (kept for the caller's shape: validation judges the files).
    ``conn_id`` (``images.conn_id``) opens an object store's images (``s3://``…).
    """
    files: list[FileSpec] = []
    seen: set[ImagePath] = set()
    url_root = root_url(root)
    for reference in references:
        path: ImagePath
        if is_url(reference):
            path = location(reference, conn_id)
        elif url_root is not None:
            path = under_url(url_root, reference, conn_id)
        else:
            path = _local_file(local_root(root), reference)
        if path not in seen:
            seen.add(path)
            name = path.name if is_url(reference) else PurePosixPath(reference).name
            files.append(FileSpec(path=path, name=unicodedata.normalize("NFC", name)))
    return tuple(files), ()


def _instant(value: str) -> datetime | str:
    """An ISO 8601 stamp as an aware datetime (naive: UTC); text that is not one, as is."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def modified_before(modified: str | None, since: str) -> bool:
    """Tell whether a row's ``modified`` is before the watermark (a row without one is not)."""
    if not modified:
        return False
    row, mark = _instant(modified), _instant(since)
    if isinstance(row, datetime) and isinstance(mark, datetime):
        return row < mark
    return modified < since


def dwca_records(
    config: CollectionConfig,
    *,
    since: str | None = None,
    limit: int | None = None,
    cache_dir: Path | None = None,
) -> Iterator[SourceRecord]:
    """Check the collection's archive whole, then yield its core rows as records.

    :param config: a collection with ``dwca``
    :param since: watermark: skip rows whose ``modified`` is before it (inclusive)
    :param limit: stop after this many records
    :param cache_dir: where a URL's archive is downloaded (default: the cache folder)
    :raises DwcaError: for a bad archive, before the first record
    """
    location = str(config.dwca)
    with open_archive(archive_file(location, cache_dir), label=location) as archive:
        media = archive.media
        row_config = config if media is None else dataclasses.replace(config,
                                                                      image_templates=())
        log.info("Reading DwC-A %s of collection %s (since=%s, images from %s)", location,
                 config.id, since, "the images templates" if media is None
                 else "its multimedia extension")
        count = 0
        for row in archive.rows():
            if limit is not None and count >= limit:
                break
            record = row_to_record(row_config, row.terms, row.number)
            if since and modified_before(record.modified, since):
                continue
            count += 1
            if media is None:
                yield SourceRecord(record)
                continue
            images, refused = media_files(config.image_root, media.get(row.id, []),
                                          config.image_conn_id)
            yield SourceRecord(dataclasses.replace(record, images=images), refused)
        log.info("Read %d rows of %s from %s", count, config.id, archive.core_location)
