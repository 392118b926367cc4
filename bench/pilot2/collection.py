"""Generate pilot 2's collection: N herbarium sheets in the 2019 Meise shape, and its DAG entry.

Each row has a ``catalogNumber`` barcode ``BR0000…`` (13 digits after ``BR``, as Meise's),
``scientificName`` and ``family``, the CETAF stable identifier as ``occurrenceID`` (the URI
the ``pilot2`` mapping builds from the barcode; it is the specimen key), a ``modified`` stamp
(one second apart, so a nightly run re-reads only the newest row) and ``imageFile``: one small
JPEG of a pool. The collections file's image template points each specimen at its pool file
and uploads it as ``<catalogNumber>.jpg``: 281,372 sheets need a pool of files, not 281,372.

Rows go in with PostgreSQL's ``COPY`` (about 10 s for 281,372), with ``executemany``
elsewhere (the tests' SQLite).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import yaml

from zenodo.config.collection_file import MAPPINGS_DIR
from zenodo_demo.sample_data import SPECIES
from zenodo_demo.sample_images import write_image

DAG_ID = "pilot2_meise"
TABLE = "specimens"
MAPPING = "pilot2"
#: Zenodo's community of pilot 2 (the mapping's ``params.community``).
COMMUNITY = "belgiumherbarium"
#: The first barcode's number: BR0000005000000.
FIRST_BARCODE = 5_000_000
POOL_FOLDER = "pool"
POOL_SIZE = 64
IMAGE_SIZE = (48, 64)
COLUMNS = ("id", "occurrenceID", "catalogNumber", "scientificName", "family", "imageFile",
           "modified")
_EPOCH = datetime(2019, 5, 16, 8, 0, 0)
_COPY_CHUNK = 10_000


def cetaf_template() -> str:
    """The CETAF URI template of the ``pilot2`` mapping (``{catalogNumber}`` in it)."""
    mapping = yaml.safe_load((MAPPINGS_DIR / f"{MAPPING}.yaml").read_text("utf-8"))
    return str(mapping["params"]["cetaf_uri_template"])


def catalog_number(index: int) -> str:
    """The barcode of the ``index``-th specimen (0-based): ``BR`` and 13 digits."""
    return f"BR{FIRST_BARCODE + index:013d}"


def specimen_keys(n: int) -> list[str]:
    """The keys (``occurrenceID``) of the first ``n`` specimens, in row order."""
    template = cetaf_template()
    return [template.replace("{catalogNumber}", catalog_number(i)) for i in range(n)]


def pool_name(number: int) -> str:
    """The file name of pool image ``number``."""
    return f"sheet_{number:03d}.jpg"


def specimen_rows(n: int, seed: int) -> Iterator[tuple[object, ...]]:
    """Yield ``n`` rows as tuples in :data:`COLUMNS` order; the same seed, the same rows."""
    rng = random.Random(seed)
    template = cetaf_template()
    for index in range(n):
        barcode = catalog_number(index)
        species = SPECIES[rng.randrange(len(SPECIES))]  # (scientificName, ..., family, ...)
        name, family = species[0], species[5]
        yield (index + 1, template.replace("{catalogNumber}", barcode), barcode, name, family,
               pool_name(rng.randrange(POOL_SIZE)),
               (_EPOCH + timedelta(seconds=index)).isoformat())


def create_table(engine: sa.Engine) -> sa.Table:
    """(Re)create the specimens table: an integer id and text columns."""
    metadata = sa.MetaData()
    table = sa.Table(TABLE, metadata, sa.Column("id", sa.Integer, primary_key=True),
                     *(sa.Column(c, sa.Text) for c in COLUMNS[1:]))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    return table


def write_rows(engine: sa.Engine, n: int, seed: int) -> None:
    """Write ``n`` rows into a fresh table: ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""
    table = create_table(engine)
    rows = specimen_rows(n, seed)
    if engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{c}"' for c in COLUMNS)
        with engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {TABLE} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    with engine.begin() as conn:
        chunk: list[dict[str, object]] = []
        for row in rows:
            chunk.append(dict(zip(COLUMNS, row, strict=True)))
            if len(chunk) >= _COPY_CHUNK:
                conn.execute(table.insert(), chunk)
                chunk = []
        if chunk:
            conn.execute(table.insert(), chunk)


def write_pool(image_root: Path, seed: int) -> list[Path]:
    """Write the pool's small JPEGs under ``image_root/pool``; return their paths."""
    paths = [image_root / POOL_FOLDER / pool_name(i) for i in range(POOL_SIZE)]
    for number, path in enumerate(paths):
        write_image(path, "jpeg", IMAGE_SIZE, seed * 1000 + number, label=f"{number:03d}")
    return paths


def collection_entry(db_url: str, image_root: Path, *, batch_size: int,
                     concurrency: int) -> dict[str, object]:
    """The collection's entry of the collections file (manual runs only)."""
    return {
        "id": DAG_ID,
        "description": "Pilot 2 of ICEDIG D6.3 (Meise's Belgium Herbarium), generated by "
                       "python -m bench --only pilot2",
        "database": {"url": db_url},
        "table": TABLE,
        "images": {"root": str(image_root), "files": [
            {"path": f"{POOL_FOLDER}/{{imageFile}}", "name": "{catalogNumber}.jpg"}]},
        "key": "occurrenceID",
        "modified_column": "modified",
        "mapping": MAPPING,
        "community": COMMUNITY,
        "zenodo_conn_id": "zenodo_default",
        "schedule": None,
        "batch_size": batch_size,
        "concurrency": concurrency,
        "chunk_size": 5000,
    }


@dataclass(frozen=True)
class Collection:
    """A generated collection: its rows' database, images and collections file."""

    specimens: int
    db_url: str
    image_root: Path
    collections_file: Path
    seconds: float


def generate(folder: Path, db_url: str, n: int, *, seed: int, batch_size: int,
             concurrency: int) -> Collection:
    """Write ``n`` rows into ``db_url``, the image pool and the collections file in ``folder``."""
    started = time.monotonic()
    engine = sa.create_engine(db_url)
    try:
        write_rows(engine, n, seed)
    finally:
        engine.dispose()
    image_root = folder / "images"
    write_pool(image_root, seed)
    path = folder / "collections.yaml"
    entry = collection_entry(db_url, image_root, batch_size=batch_size, concurrency=concurrency)
    path.write_text(yaml.safe_dump({"collections": [entry]}, sort_keys=False), "utf-8")
    return Collection(n, db_url, image_root, path, time.monotonic() - started)
