"""Write the sample herbarium as a Darwin Core Archive, as an IPT would publish it.

``python -m zenodo_demo.sample_dwca --dest DIR`` generates the sample (:mod:`zenodo_demo.sample`)
and writes ``DIR/herbarium-dwca.zip``: ``meta.xml``, ``eml.xml``, ``occurrence.txt`` (an
Occurrence core whose id column is the table's ``id``) and ``multimedia.txt`` (Audubon Core,
one row per image file the ``herbarium_sample`` templates give, named relative to the image
root). A collection with ``dwca: {path: DIR/herbarium-dwca.zip}`` and the same ``images.root``
then holds the same specimens as the database collection.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import sqlalchemy as sa

from zenodo.config.collection_file import DEFAULT_COLLECTIONS_FILE, load_collections
from zenodo.metadata.jsonld_sidecar import DCTERMS_TERMS
from zenodo.source.extract import row_to_record
from zenodo_demo.sample import DEFAULT_DEST, TERMS, SampleInfo, generate_sample

ARCHIVE_NAME = "herbarium-dwca.zip"
OCCURRENCE = "http://rs.tdwg.org/dwc/terms/Occurrence"
AC_MULTIMEDIA = "http://rs.tdwg.org/ac/terms/Multimedia"
ACCESS_URI = "http://rs.tdwg.org/ac/terms/accessURI"
FORMAT = "http://purl.org/dc/terms/format"
_FORMATS = {".jpg": "image/jpeg", ".png": "image/png", ".tif": "image/tiff"}


def term_uri(term: str) -> str:
    """Return the full URI of a Darwin Core text-archive column (dcterms: or dwc:)."""
    if term in DCTERMS_TERMS:
        return f"http://purl.org/dc/terms/{term}"
    return f"http://rs.tdwg.org/dwc/terms/{term}"


def _line(values: Iterable[Any], where: str) -> str:
    cells = ["" if value is None else str(value) for value in values]
    for cell in cells:
        if any(ch in cell for ch in "\t\r\n"):
            raise ValueError(f"{where}: value {cell!r} holds a tab or line break")
    return "\t".join(cells) + "\n"


def _section(tag: str, row_type: str, location: str, key: str, terms: Sequence[str]) -> str:
    fields = "".join(f'\n    <field index="{i}" term={quoteattr(term)}/>'
                     for i, term in enumerate(terms, start=1))
    return (f'  <{tag} encoding="UTF-8" fieldsTerminatedBy="\\t" linesTerminatedBy="\\n" '
            f'fieldsEnclosedBy="" ignoreHeaderLines="1" rowType="{row_type}">\n'
            f"    <files><location>{location}</location></files>\n"
            f'    <{key} index="0"/>{fields}\n  </{tag}>\n')


def write_archive(dest: Path, rows: Iterable[Mapping[str, Any]],
                  media: Mapping[str, Sequence[str]], *, terms: Sequence[str] = TERMS,
                  title: str = "Sample Herbarium of Examples") -> Path:
    """Write a DwC-A zip: each row's ``id`` is its core id, ``media`` its image references.

    :param dest: the zip to write
    :param rows: core rows, term → value, each with an ``id``
    :param media: core id → image references (file names or URLs), in order
    :param terms: the core's columns after the id, in order
    :raises ValueError: for a value a tab-separated file cannot hold (row and value named)
    """
    core = [_line(["id", *terms], "occurrence.txt header")]
    for number, row in enumerate(rows, start=1):
        core.append(_line([row["id"], *(row.get(t) for t in terms)], f"row {number}"))
    multimedia = [_line(["coreid", "accessURI", "format"], "multimedia.txt header")]
    for core_id, references in media.items():
        for reference in references:
            kind = _FORMATS.get(Path(reference).suffix.lower(), "")
            multimedia.append(_line([core_id, reference, kind], f"core id {core_id}"))
    meta = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<archive xmlns="http://rs.tdwg.org/dwc/text/" metadata="eml.xml">\n'
            + _section("core", OCCURRENCE, "occurrence.txt", "id",
                       [term_uri(t) for t in terms])
            + _section("extension", AC_MULTIMEDIA, "multimedia.txt", "coreid",
                       [ACCESS_URI, FORMAT])
            + "</archive>\n")
    eml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<eml:eml xmlns:eml="eml://ecoinformatics.org/eml-2.1.1" packageId="sample" '
           'system="http://gbif.org">\n'
           f"  <dataset><title>{escape(title)}</title></dataset>\n</eml:eml>\n")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.xml", meta)
        archive.writestr("eml.xml", eml)
        archive.writestr("occurrence.txt", "".join(core))
        archive.writestr("multimedia.txt", "".join(multimedia))
    return dest


def sample_rows(sample: SampleInfo) -> list[dict[str, Any]]:
    """Return the sample table's rows, in ``id`` order."""
    engine = sa.create_engine(sample.db_url)
    try:
        with engine.connect() as conn:
            query = sa.text(f"SELECT * FROM {sample.table} ORDER BY id")  # noqa: S608 - own name
            return [dict(row) for row in conn.execute(query).mappings()]
    finally:
        engine.dispose()


def sample_media(sample: SampleInfo, rows: Iterable[Mapping[str, Any]]
                 ) -> dict[str, list[str]]:
    """Return each row's image files as ``herbarium_sample``'s templates give them."""
    config = load_collections(DEFAULT_COLLECTIONS_FILE, env=sample.env())["herbarium_sample"]
    media: dict[str, list[str]] = {}
    for row in rows:
        images = row_to_record(config, row).images
        media[str(row["id"])] = [Path(os.path.relpath(spec.path, sample.image_root)).as_posix()
                                 for spec in images]
    return media


def sample_archive(sample: SampleInfo, dest: Path | None = None) -> Path:
    """Write the sample as a DwC-A (default: ``herbarium-dwca.zip`` beside its database)."""
    rows = sample_rows(sample)
    target = dest or Path(sample.dest_dir) / ARCHIVE_NAME
    return write_archive(target, rows, sample_media(sample, rows))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line: generate the sample and write it as a DwC-A."""
    parser = argparse.ArgumentParser(prog="python -m zenodo_demo.sample_dwca",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="output folder")
    parser.add_argument("-n", "--specimens", type=int, default=200, help="number of rows")
    parser.add_argument("--hostile-share", type=float, default=0.2,
                        help="share of rows with an error-level problem (0..1)")
    args = parser.parse_args(argv)
    sample = generate_sample(args.dest, args.specimens, args.hostile_share)
    path = sample_archive(sample)
    print(f"{sample.n_rows} specimens written to {path}; images in {sample.image_root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
