"""The prepare step puts every extracted row in the ledger: registered or quarantined.

A dry run's preview writes nothing and tells what a real run would do."""

from __future__ import annotations

import os
import pathlib

import pytest

from tests.zenodo.data_helpers import bumped_mapping
from tests.zenodo.payload_factory import publish_in_ledger
from zenodo.config.collection_file import load_collections
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import MissingPayload, PayloadStore
from zenodo.ledger.prepare import PreviewLine, prepare_collection
from zenodo.ledger.states import State
from zenodo_demo.sample import generate_sample


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


def test_a_preview_writes_nothing_and_tells_what_a_real_run_would_do(
    sample, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    config = config_for(sample, tmp_path)
    lines: list[PreviewLine] = []
    preview = prepare_collection(config, ledger=ledger, cache_dir=tmp_path / "cache",
                                 preview=lines.append)
    assert preview.preview and preview.as_dict()["preview"] is True
    assert set(ledger.counts(config.id).values()) == {0}
    assert ledger.events(config.id) == []
    with pytest.raises(MissingPayload):
        PayloadStore(ledger).get(config.id, sample.valid_keys[0])
    assert len(lines) == sample.n_rows and {line.now for line in lines} == {None}
    quarantined = [line for line in lines if line.after == State.QUARANTINED]
    assert quarantined and all(line.reasons for line in quarantined)

    real = prepare_collection(config, ledger=ledger, cache_dir=tmp_path / "cache")
    assert real.states == preview.states
    assert {line.key: line.after for line in lines} == {
        row.key: row.state for row in ledger.rows(config.id)}


def test_a_preview_of_a_new_mapping_version_leaves_published_specimens_alone(
    sample, ledger: Ledger, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_for(sample, tmp_path)
    prepare_collection(config, ledger=ledger, cache_dir=tmp_path / "cache")
    key = sample.valid_keys[0]
    publish_in_ledger(ledger, config.id, key, record_id=7)
    store = PayloadStore(ledger)
    before, events, payload = list(ledger.rows(config.id)), ledger.events(config.id), \
        store.get(config.id, key)

    lines: list[PreviewLine] = []
    monkeypatch.setenv("ZENODO_MAPPINGS_DIR", str(tmp_path))  # overrides come from there
    preview = prepare_collection(config, ledger=ledger, cache_dir=tmp_path / "cache",
                                 mapping=str(bumped_mapping(tmp_path)), preview=lines.append)

    assert list(ledger.rows(config.id)) == before, "no row changed"
    assert ledger.events(config.id) == events and store.get(config.id, key) == payload
    assert PreviewLine(key, State.PUBLISHED, State.STALE, []) in lines
    assert preview.states[str(State.STALE)] == 1
    assert preview.states[str(State.NEW)] == len(set(sample.valid_keys)) - 1
