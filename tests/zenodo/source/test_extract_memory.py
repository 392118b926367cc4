"""Memory test: extracting 300,000 rows keeps memory flat (rows are streamed, not loaded)."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

from zenodo.config.collection_file import CollectionConfig, ImageTemplate
from zenodo.source.extract import extract_records

ROWS = 300_000


def _fill(url: str) -> None:
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = sa.Table(
        "specimens",
        metadata,
        sa.Column("catalogNumber", sa.Text),
        sa.Column("scientificName", sa.Text),
        sa.Column("locality", sa.Text),
        sa.Column("institutionCode", sa.Text),
        sa.Column("collectionCode", sa.Text),
        sa.Column("modified", sa.Text),
    )
    metadata.create_all(engine)
    locality = "Reval (=Tallinn): prope cimeterium Judaicum (=juudi surmaaia lähedal) " * 3
    with engine.begin() as conn:
        for start in range(0, ROWS, 20_000):
            conn.execute(
                table.insert(),
                [
                    {
                        "catalogNumber": f"TU{i:09d}",
                        "scientificName": "Allium angulosum L.",
                        "locality": locality,
                        "institutionCode": "TU",
                        "collectionCode": "V",
                        "modified": f"2024-01-01T00:00:{i:09d}",
                    }
                    for i in range(start, min(start + 20_000, ROWS))
                ],
            )
    engine.dispose()


@pytest.mark.slow
def test_300k_rows_extract_with_flat_memory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'big.db'}"
    _fill(url)
    config = CollectionConfig(
        id="big",
        db_url=url,
        db_conn_id=None,
        table="specimens",
        query=None,
        mapping="pilot1",
        image_root=tmp_path,
        image_templates=(ImageTemplate("{catalogNumber}.jpg"),),
        modified_column="modified",
        chunk_size=2000,
    )
    process = psutil.Process()
    gc.collect()
    started = time.monotonic()
    baseline = peak = 0
    count = 0
    for count, record in enumerate(extract_records(config), start=1):
        assert record.key.startswith("urn:catalog:TU:V:")
        if count == 20_000:
            gc.collect()
            baseline = process.memory_info().rss
        elif count % 20_000 == 0:
            peak = max(peak, process.memory_info().rss)
    elapsed = time.monotonic() - started
    assert count == ROWS
    growth_mb = (peak - baseline) / 2**20
    # 280,000 more records held in memory would need hundreds of MB; streaming needs ~none.
    assert growth_mb < 20, f"RSS grew {growth_mb:.1f} MB after the first 20,000 rows"
    assert elapsed < 60, f"extraction took {elapsed:.1f} s"
