"""Tests for the sample collection generator (python -m zenodo_demo.sample)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import sqlalchemy as sa
from PIL import Image

from zenodo.config.collection_file import load_collections
from zenodo.metadata.mapping import Mapper
from zenodo.source.extract import extract_records
from zenodo.validate.files import sniff_type
from zenodo.validate.validator import Validator, has_errors
from zenodo_demo.sample import SampleInfo, generate_sample
from zenodo_demo.sample_data import ERROR_CLASSES
from zenodo_demo.sample_images import write_large_tiff
from zenodo_sandbox.validation import validate_for_publish

ROOT = Path(__file__).resolve().parents[2]


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.md5(p.read_bytes(), usedforsecurity=False).hexdigest()
        for p in sorted(folder.iterdir())
    }


def _rows(url: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM specimens ORDER BY id"))]
    engine.dispose()
    return rows


def test_same_seed_gives_the_same_rows_and_bytes(tmp_path: Path) -> None:
    one = generate_sample(tmp_path / "a", n=40, seed=7)
    two = generate_sample(tmp_path / "b", n=40, seed=7)
    other = generate_sample(tmp_path / "c", n=40, seed=8)
    assert _rows(one.db_url) == _rows(two.db_url) != _rows(other.db_url)
    assert _digest(Path(one.image_root)) == _digest(Path(two.image_root))
    assert one.quarantined_rows == two.quarantined_rows


def test_default_sample_covers_every_problem_class(tmp_path: Path) -> None:
    info = generate_sample(tmp_path, seed=1)
    assert info.n_rows == 200
    assert len(info.quarantined_rows) == 40
    assert info.problem_classes == set(ERROR_CLASSES)
    assert {r["problem"] for r in info.warning_rows} == {
        "zero_coords",
        "swapped_coords",
        "hybrid_x",
        "shared_catalog_number",
    }
    names = [p.name for p in Path(info.image_root).iterdir()]
    assert any(n.endswith("_lab.jpg") for n in names) and any(n.endswith(".tif") for n in names)
    assert any(n.endswith("_all.png") for n in names)
    localities = [r[0] for r in _rows_of(info)]
    assert any(len(loc or "") > 500 for loc in localities)


def _rows_of(info: SampleInfo) -> list[tuple[object, ...]]:
    engine = sa.create_engine(info.db_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text("SELECT locality FROM specimens"))]
    engine.dispose()
    return rows


def test_validation_of_the_sample_matches_its_expectations(tmp_path: Path) -> None:
    info = generate_sample(tmp_path, n=120, hostile_share=0.25, seed=3)
    config = load_collections(ROOT / "include" / "collections.yaml", env=info.env())[
        "herbarium_sample"
    ]
    mapper = Mapper.for_collection(config, cache_dir=tmp_path / "cache")
    validator = Validator.for_collection(config, extra_files=mapper.extra_files)
    quarantined, published = [], []
    for record, problems in validator.validate_many(extract_records(config)):
        if has_errors(problems):
            quarantined.append(record.row_number)
            continue
        mapped = mapper.map(record)
        assert validate_for_publish(mapped.metadata, len(mapped.files)) == []
        published.append(record.key)
    assert quarantined == [r["row"] for r in info.quarantined_rows]
    assert published == info.valid_keys


def test_sample_can_be_written_to_postgresql(tmp_path: Path, postgres_url: str) -> None:
    info = generate_sample(tmp_path, n=30, seed=5, db_url=postgres_url, with_images=False)
    config = load_collections(env=info.env())["herbarium_sample"]
    records = list(extract_records(config, since="2024-01-01T00:00:10"))
    assert len(records) == 20
    assert records[0].term("scientificName")


def test_large_tiff_is_streamed_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.tif"
    tracemalloc.start()
    size = write_large_tiff(path, 40 * 2**20, seed=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert path.stat().st_size == size >= 40 * 2**20
    assert peak < 4 * 2**20
    with Image.open(path) as image:
        assert image.size[0] == 4096 and image.mode == "L"
    assert sniff_type(path.read_bytes()[:16]) == "tiff"


def test_command_line_prints_json_and_help(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "zenodo_demo.sample",
            "--dest",
            str(tmp_path),
            "-n",
            "12",
            "--hostile-share",
            "0.5",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    info = json.loads(done.stdout)
    assert info["n_rows"] == 12 and len(info["quarantined_rows"]) == 6
    assert (tmp_path / "herbarium.db").is_file()
    helped = subprocess.run(
        [sys.executable, "-m", "zenodo_demo.sample", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert "--hostile-share" in helped.stdout
