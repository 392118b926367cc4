"""The prepare step puts every extracted row in the ledger: registered or quarantined."""

from __future__ import annotations

import os
import pathlib

import pytest

from zenodo.collections import load_collections
from zenodo.ledger import Ledger
from zenodo.payloads import PayloadStore
from zenodo.prepare import prepare_collection
from zenodo.sample import generate_sample
from zenodo.states import State


@pytest.fixture
def sample(tmp_path: pathlib.Path):
    return generate_sample(tmp_path / "sample", n=60, hostile_share=0.3, seed=5)


def config_for(sample, tmp_path: pathlib.Path):
    env = {**os.environ, **sample.env(), "ZENODO_CACHE_DIR": str(tmp_path / "cache")}
    return load_collections(env=env)["herbarium_sample"]


def test_every_row_is_registered_or_quarantined_with_reasons(
    sample, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    config = config_for(sample, tmp_path)
    result = prepare_collection(config, ledger=ledger, cache_dir=tmp_path / "cache")
    assert result.rows == sample.n_rows
    counts = ledger.counts(config.id)
    assert counts.get(State.NEW, 0) == len(set(sample.valid_keys))
    assert counts.get(State.QUARANTINED, 0) == len(sample.quarantined_rows)
    rows = list(ledger.rows(config.id, states=[State.QUARANTINED]))
    assert rows and all(row.quarantine_reasons for row in rows)
    store = PayloadStore(ledger)
    for key in sample.valid_keys:
        payload = store.get(config.id, key)
        assert payload.files and all(f.md5 for f in payload.files)
        assert payload.search_query.startswith("keywords:")


def test_a_second_run_changes_nothing(sample, ledger: Ledger, tmp_path: pathlib.Path) -> None:
    config = config_for(sample, tmp_path)
    prepare_collection(config, ledger=ledger, cache_dir=tmp_path / "cache")
    events = len(ledger.events(config.id))
    again = prepare_collection(config, ledger=ledger, cache_dir=tmp_path / "cache")
    assert len(ledger.events(config.id)) == events
    assert again.states[str(State.NEW)] == len(set(sample.valid_keys))


def test_incremental_run_reads_only_rows_changed_since_the_watermark(
    sample, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    config = config_for(sample, tmp_path)
    first = prepare_collection(config, ledger=sqlite_ledger, cache_dir=tmp_path / "cache")
    assert first.watermark
    later = prepare_collection(
        config, ledger=sqlite_ledger, since=first.watermark, cache_dir=tmp_path / "cache"
    )
    assert 0 < later.rows < first.rows
