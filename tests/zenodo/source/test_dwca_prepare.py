"""Prepare a collection from a Darwin Core Archive: the ledger holds what the SQL path gives.

The archive is the sample collection written as an IPT would (Occurrence core, Audubon Core
multimedia, eml.xml); the database twin reads the same rows from the sample's table.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from tests.zenodo.source.dwca_helpers import (
    dwca_config,
    edited,
    entry,
    sample_config,
    sql_twin,
    write_sample_archive,
)
from tests.zenodo.source.image_server import serving
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore
from zenodo.ledger.prepare import prepare_collection
from zenodo.ledger.states import State
from zenodo.source.hashing_reader import file_md5
from zenodo_demo.sample import TERMS, generate_sample
from zenodo_demo.sample_dwca import sample_media, sample_rows, write_archive

DWCA_ID = "herbarium_dwca"


@pytest.fixture
def sample(tmp_path: pathlib.Path) -> Any:
    return generate_sample(tmp_path / "sample", n=60, hostile_share=0.3, seed=5)


def _specimens(ledger: Ledger, collection: str) -> dict[str, tuple[Any, ...]]:
    """Each keyed specimen's state, metadata hash, files and reasons (``nokey:`` keys are
    content hashes of the row's values, which an archive holds as text: left out)."""
    return {row.key: (row.state, row.metadata_hash, [f.identity for f in row.files],
                      row.quarantine_reasons)
            for row in ledger.rows(collection) if not row.key.startswith("nokey:")}


def test_the_archive_gives_the_same_specimens_as_the_database(
    sample: Any, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    config = sample_config(sample, tmp_path)
    archive = write_sample_archive(sample, tmp_path)
    cache = tmp_path / "cache"
    by_sql = prepare_collection(sql_twin(config), ledger=ledger, cache_dir=cache)
    by_dwca = prepare_collection(dwca_config(config, archive, DWCA_ID), ledger=ledger,
                                 cache_dir=cache)
    assert by_dwca.rows == by_sql.rows == sample.n_rows
    assert by_dwca.states == by_sql.states
    assert _specimens(ledger, DWCA_ID) == _specimens(ledger, config.id)
    assert ledger.counts(DWCA_ID)[State.NEW] == len(set(sample.valid_keys))
    store = PayloadStore(ledger)
    for key in sample.valid_keys:
        ours, theirs = store.get(DWCA_ID, key), store.get(config.id, key)
        assert [(f.name, f.md5) for f in ours.files] == [(f.name, f.md5) for f in theirs.files]
        assert ours.metadata == theirs.metadata
    quarantined = {k for k, _ in by_dwca.quarantined if not k.startswith("nokey:")}
    expected = {r["key"] for r in sample.quarantined_rows if not r["key"].startswith("nokey:")}
    assert {k.split("#row-")[0] for k in quarantined} == expected
    assert all(reasons for _, reasons in by_dwca.quarantined)


def _valid_row_ids(sample: Any) -> list[str]:
    """The core ids (table ids) of the valid rows, in the order of ``sample.valid_keys``."""
    bad = {r["row"] for r in sample.quarantined_rows}
    return [str(n) for n in range(1, sample.n_rows + 1) if n not in bad]


def test_images_by_url_are_read_from_their_server(
    sample: Any, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    config = sample_config(sample, tmp_path)
    archive = write_sample_archive(sample, tmp_path)
    first, second, third, fourth = _valid_row_ids(sample)[:4]
    lines = entry(archive, "multimedia.txt").decode("utf-8").splitlines(keepends=True)
    served = {line.split("\t")[1] for line in lines if line.split("\t")[0] == first}
    kept = [line for line in lines
            if line.split("\t")[0] not in (first, second, third, fourth)]
    with serving(pathlib.Path(config.image_root)) as server:
        kept += [f"{first}\t{server.url}{name}?size=full\timage/jpeg\n" for name in served]
        kept += [f"{second}\tgs://bucket/{second}.tif\timage/tiff\n",
                 f"{third}\t{server.url}gone-{third}.jpg\timage/jpeg\n",
                 f"{fourth}\t{server.url}{fourth}.jpg?token=hidden\timage/jpeg\n"]
        with_urls = edited(archive, tmp_path / "urls.zip",
                           {"multimedia.txt": "".join(kept).encode("utf-8")})
        result = prepare_collection(dwca_config(config, with_urls), ledger=sqlite_ledger,
                                    cache_dir=tmp_path / "cache")
    reasons = dict(result.quarantined)
    key_one, key_two, key_three, key_four = sample.valid_keys[:4]
    assert key_one not in reasons
    files = PayloadStore(sqlite_ledger).get(config.id, key_one).files
    local = pathlib.Path(config.image_root)
    assert sorted((f.name, f.md5) for f in files if not f.name.endswith(".json")) == sorted(
        (name, file_md5(local / name)) for name in served)
    assert reasons[key_two] == [f"{second}.tif: image file is missing: image gs://bucket/"
                                f"{second}.tif: cannot open gs:// images (ValueError: No "
                                "filesystem registered for scheme gs)"]
    assert reasons[key_three] == [f"gone-{third}.jpg: image file is missing: image "
                                  f"{server.url}gone-{third}.jpg: HTTP 404 (missing)"]
    assert reasons[key_four] == [
        f"{fourth}.jpg: image URL '{server.url}{fourth}.jpg': the URL carries the query "
        "parameter 'token': credentials may not be in an image URL (they would be stored and "
        "shown); give them to an Airflow connection and name it in images.conn_id"]
    assert sqlite_ledger.get(config.id, key_two).state == State.QUARANTINED
    assert result.rows == sample.n_rows
    assert result.states[str(State.NEW)] == len(set(sample.valid_keys)) - 3


def test_dcterms_modified_makes_runs_incremental(
    sample: Any, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    config = dwca_config(sample_config(sample, tmp_path), write_sample_archive(sample, tmp_path))
    first = prepare_collection(config, ledger=sqlite_ledger, cache_dir=tmp_path / "cache")
    assert first.watermark == max(str(row["modified"]) for row in sample_rows(sample))
    later = prepare_collection(config, ledger=sqlite_ledger, since=first.watermark,
                               cache_dir=tmp_path / "cache")
    assert later.rows == 1, "only the row modified at the watermark (inclusive)"
    earlier = prepare_collection(config, ledger=sqlite_ledger, since="2024-01-01T00:00:30Z",
                                 cache_dir=tmp_path / "cache")
    assert earlier.rows == sample.n_rows - 30


def test_without_dcterms_modified_unchanged_rows_are_left_as_they_are(
    sample: Any, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    rows = sample_rows(sample)
    terms = [t for t in TERMS if t != "modified"]
    archive = write_archive(tmp_path / "plain.zip", rows, sample_media(sample, rows),
                            terms=terms)
    config = dwca_config(sample_config(sample, tmp_path), archive)
    first = prepare_collection(config, ledger=sqlite_ledger, cache_dir=tmp_path / "cache")
    assert first.watermark is None, "nothing to be incremental on: every run reads every row"
    events = len(sqlite_ledger.events(config.id))
    again = prepare_collection(config, ledger=sqlite_ledger, cache_dir=tmp_path / "cache")
    assert again.rows == sample.n_rows
    assert len(sqlite_ledger.events(config.id)) == events, "same hash and files: no rewrite"
    assert again.states == first.states
