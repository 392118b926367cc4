"""The prepare step takes a mapping override only from the mapping folders: a planted mapping
is refused before it is read, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.zenodo.data_helpers import MAPPINGS, write_jpeg
from tests.zenodo.source.hostile_sources import collection, create_source
from zenodo.config.mapping_files import EXTRA_MAPPINGS_VARIABLE, MappingOverrideError
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.prepare import prepare_collection
from zenodo.ledger.states import State


@pytest.fixture
def one_row(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'source.db'}"
    columns = {"occurrenceID": sa.Text, "catalogNumber": sa.Text, "scientificName": sa.Text}
    create_source(url, columns, [{"occurrenceID": "urn:example:1", "catalogNumber": "C1",
                                  "scientificName": "Acer campestre L."}]).dispose()
    write_jpeg(tmp_path / "img" / "C1.jpg")
    return collection(url, tmp_path / "img")


def _plant(folder: Path) -> Path:
    """A mapping that would publish under someone else's community."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (MAPPINGS / "pilot2.yaml").read_text(encoding="utf-8")
    path = folder / "planted.yaml"
    path.write_text(text.replace("community: belgiumherbarium", "community: attacker"),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_a_planted_mapping_is_refused_and_nothing_is_written(
    how: str, one_row, sqlite_ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(EXTRA_MAPPINGS_VARIABLE, raising=False)
    planted = _plant(tmp_path / "elsewhere")
    value = str(planted) if how == "absolute" else f"../../../../../../../../..{planted}"
    with pytest.raises(MappingOverrideError, match="outside the mapping folders"):
        prepare_collection(one_row, ledger=sqlite_ledger, mapping=value,
                           cache_dir=tmp_path / "cache")
    assert set(sqlite_ledger.counts(one_row.id).values()) == {0}


def test_a_mapping_in_the_deployment_folder_is_used_by_name(
    one_row, sqlite_ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "deployment-mappings"
    folder.mkdir()
    text = (MAPPINGS / "pilot2.yaml").read_text(encoding="utf-8")
    (folder / "pilot2-next.yaml").write_text(text.replace('version: "1.0.0"', 'version: "2.0.0"'),
                                             encoding="utf-8")
    monkeypatch.setenv(EXTRA_MAPPINGS_VARIABLE, str(folder))
    prepare_collection(one_row, ledger=sqlite_ledger, mapping="pilot2-next",
                       cache_dir=tmp_path / "cache")
    row = sqlite_ledger.get(one_row.id, "urn:example:1")
    assert (row.state, row.mapping_name, row.mapping_version) == (State.NEW, "pilot2", "2.0.0")
