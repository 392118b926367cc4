"""Generate a realistic sample herbarium: a database table plus real image files.

Run ``python -m zenodo_demo.sample --help``; the same seed gives the same bytes. The
``herbarium_sample`` collection reads a sample through ``SAMPLE_DB_URL`` and
``SAMPLE_IMAGE_ROOT`` (:meth:`SampleInfo.env`), by default from ``/tmp/specimen-to-zenodo-sample``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from zenodo.source.specimen import derive_key, normalise_terms
from zenodo_demo import sample_data as data
from zenodo_demo.environment import sample_variables
from zenodo_demo.sample_images import write_image, write_large_tiff

DEFAULT_DEST = Path(tempfile.gettempdir()) / "specimen-to-zenodo-sample"
DEFAULT_TABLE = "specimens"
_EPOCH = dt.datetime(2024, 1, 1)
_INT_TERMS = ("year", "month", "day")
_FLOAT_TERMS = ("decimalLatitude", "decimalLongitude")
TERMS = ("occurrenceID", "catalogNumber", "institutionCode", "collectionCode", "basisOfRecord",
         "scientificName", "kingdom", "phylum", "class", "order", "family", "genus",
         "specificEpithet", "recordedBy", "eventDate", "year", "month", "day", "countryCode",
         "country", "locality", "decimalLatitude", "decimalLongitude", "geodeticDatum",
         "language", "license", "modified")


@dataclass
class SampleInfo:
    """What was generated and what validation is expected to say about it."""

    dest_dir: str
    db_url: str
    image_root: str
    table: str
    n_rows: int
    valid_keys: list[str] = field(default_factory=list)
    warning_rows: list[dict[str, Any]] = field(default_factory=list)
    quarantined_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def problem_classes(self) -> set[str]:
        """Return the error classes present in the sample."""
        return {row["problem"] for row in self.quarantined_rows}

    def env(self) -> dict[str, str]:
        """Return the variables that point ``herbarium_sample`` at this sample."""
        return sample_variables(self.db_url, self.image_root)


def specimens_table(metadata: sa.MetaData, name: str = DEFAULT_TABLE) -> sa.Table:
    """Return the sample's table: Darwin Core columns, integers and floats where DwC has them."""
    columns = [sa.Column("id", sa.Integer, primary_key=True)]
    for term in TERMS:
        kind: Any = sa.Integer if term in _INT_TERMS else (
            sa.Float if term in _FLOAT_TERMS else sa.Text)
        columns.append(sa.Column(term, kind))
    return sa.Table(name, metadata, *columns)


def plan_rows(n: int, hostile_share: float, seed: int) -> list[data.SampleRow]:
    """Plan ``n`` rows: clean, odd-but-valid, warning and hostile (one error class each)."""
    rng = random.Random(seed)
    rows = [data.clean_row(rng, index) for index in range(n)]
    hostile = min(max(0, round(n * hostile_share)), max(0, n - 1))
    hostile_idx = sorted(rng.sample(range(1, n), hostile)) if hostile else []
    for number, index in enumerate(hostile_idx):
        data.apply_error(rows[index], data.ERROR_CLASSES[number % len(data.ERROR_CLASSES)],
                         rows[0], index)
    others = [i for i in range(1, n) if i not in set(hostile_idx)]
    specials = [*data.WARNING_VARIANTS, *data.ODD_VARIANTS]
    for number, index in enumerate(others[::3]):
        variant = specials[number % len(specials)]
        if variant in data.WARNING_VARIANTS:
            data.apply_warning(rows[index], variant, rows[0])
        else:
            data.apply_odd(rows[index], variant)
    return rows


def _write_files(row: data.SampleRow, root: Path, seed: int, size: tuple[int, int],
                 tiff_bytes: int | None) -> None:
    for number, (name, kind) in enumerate(row.files.items()):
        path = root / name
        file_seed = seed * 1_000_003 + number + zlib.crc32(name.encode("utf-8"))
        if kind in ("missing", "shared"):
            continue
        if kind == "empty":
            path.write_bytes(b"")
        elif kind == "png-as-jpeg":
            write_image(path, "png", size, file_seed)
        elif kind == "truncated":
            write_image(path, "jpeg", size, file_seed)
            content = path.read_bytes()
            path.write_bytes(content[: len(content) // 2])
        elif kind == "tiff" and tiff_bytes:
            write_large_tiff(path, tiff_bytes, file_seed)
        else:
            write_image(path, kind, size, file_seed, label=name)


def _db_rows(rows: Sequence[data.SampleRow]) -> Iterator[dict[str, Any]]:
    for index, row in enumerate(rows):
        record = {term: row.terms.get(term) for term in TERMS if term != "modified"}
        record["modified"] = (_EPOCH + dt.timedelta(seconds=index)).isoformat()
        record["id"] = index + 1
        yield record


def write_table(db_url: str, rows: Sequence[data.SampleRow], table: str = DEFAULT_TABLE,
                chunk: int = 5000) -> None:
    """(Re)create the table and insert the rows in chunks."""
    engine = sa.create_engine(db_url)
    try:
        metadata = sa.MetaData()
        specimens = specimens_table(metadata, table)
        metadata.drop_all(engine)
        metadata.create_all(engine)
        batch: list[dict[str, Any]] = []
        with engine.begin() as conn:
            for record in _db_rows(rows):
                batch.append(record)
                if len(batch) >= chunk:
                    conn.execute(specimens.insert(), batch)
                    batch = []
            if batch:
                conn.execute(specimens.insert(), batch)
    finally:
        engine.dispose()


def generate_sample(
    dest_dir: str | Path = DEFAULT_DEST,
    n: int = 200,
    hostile_share: float = 0.2,
    seed: int = 20190725,
    db_url: str | None = None,
    *,
    image_size: tuple[int, int] = (96, 128),
    tiff_bytes: int | None = None,
    with_images: bool = True,
    table: str = DEFAULT_TABLE,
) -> SampleInfo:
    """Generate the sample collection and return what was made.

    :param dest_dir: folder for ``herbarium.db`` (SQLite default) and ``images/``
    :param n: number of rows
    :param hostile_share: share of rows with an error-level problem (cycling through classes)
    :param seed: random seed; the same seed gives the same rows and files
    :param db_url: SQLAlchemy URL to write to instead of the SQLite default
    :param image_size: pixel size of the small JPEG/PNG/TIFF images
    :param tiff_bytes: when set, TIFF masters are streamed to about this many bytes each
    :param with_images: write image files (off for database-only benchmarks)
    :param table: table name
    """
    dest = Path(dest_dir).resolve()
    root = dest / "images"
    root.mkdir(parents=True, exist_ok=True)
    url = db_url or f"sqlite:///{dest / 'herbarium.db'}"
    rows = plan_rows(n, hostile_share, seed)
    write_table(url, rows, table)
    info = SampleInfo(str(dest), url, str(root), table, n)
    for index, row in enumerate(rows):
        if with_images:
            _write_files(row, root, seed + index, image_size, tiff_bytes)
        key = derive_key(normalise_terms(row.terms))
        entry = {"row": index + 1, "key": key, "problem": row.variant}
        if row.expect == "error":
            info.quarantined_rows.append(entry)
        else:
            info.valid_keys.append(key)
            if row.expect == "warning":
                info.warning_rows.append(entry)
    return info


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    return int(width), int(height)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line: generate a sample and print a summary (or JSON)."""
    parser = argparse.ArgumentParser(prog="python -m zenodo_demo.sample", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="output folder")
    parser.add_argument("-n", "--specimens", type=int, default=200, help="number of rows")
    parser.add_argument("--hostile-share", type=float, default=0.2,
                        help="share of rows with an error-level problem (0..1)")
    parser.add_argument("--seed", type=int, default=20190725)
    parser.add_argument("--db-url", help="SQLAlchemy URL (default: SQLite in --dest)")
    parser.add_argument("--table", default=DEFAULT_TABLE)
    parser.add_argument("--image-size", type=_size, default=(96, 128), help="WxH pixels")
    parser.add_argument("--tiff-bytes", type=int, help="stream TIFF masters of this size")
    parser.add_argument("--no-images", action="store_true", help="database rows only")
    parser.add_argument("--json", action="store_true", help="print the SampleInfo as JSON")
    args = parser.parse_args(argv)
    if not 0 <= args.hostile_share <= 1 or args.specimens < 1:
        parser.error("need --specimens >= 1 and 0 <= --hostile-share <= 1")
    info = generate_sample(args.dest, args.specimens, args.hostile_share, args.seed,
                           args.db_url, image_size=args.image_size, tiff_bytes=args.tiff_bytes,
                           with_images=not args.no_images, table=args.table)
    if args.json:
        print(json.dumps(asdict(info), indent=2, ensure_ascii=False))
    else:
        print(f"{info.n_rows} specimens in {info.db_url} (table {info.table}), "
              f"images in {info.image_root}")
        print(f"expected: {len(info.valid_keys)} publishable ({len(info.warning_rows)} with "
              f"warnings), {len(info.quarantined_rows)} quarantined")
        for name, value in info.env().items():
            print(f"export {name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
