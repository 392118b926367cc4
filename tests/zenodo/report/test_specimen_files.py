"""A report's per-specimen files are taken from the last report when the ledger has not changed
since, and written anew as soon as anything they are made of changed."""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from tests.zenodo.payload_factory import COLLECTION, publish_in_ledger, register_specimens
from zenodo.ledger.ledger import Ledger
from zenodo.report.specimen_files import LATEST, ArchiveSettings, write_specimen_files

SETTINGS = ArchiveSettings(base_url="https://zenodo.example", title="Herbarium on Zenodo",
                           description="Sheets")


def _write(ledger: Ledger, base: pathlib.Path, run_id: str,
           settings: ArchiveSettings = SETTINGS) -> tuple[pathlib.Path, object]:
    folder = base / COLLECTION / run_id
    return folder, write_specimen_files(ledger, COLLECTION, run_id, folder, settings)


@pytest.fixture
def published(ledger: Ledger, tmp_path: pathlib.Path) -> list[str]:
    keys = register_specimens(ledger, tmp_path, 3)
    for number, key in enumerate(keys[:2], start=1):
        publish_in_ledger(ledger, COLLECTION, key, record_id=number)
    return keys


def test_an_unchanged_ledger_reuses_the_last_reports_files(
    ledger: Ledger, published: list[str], tmp_path: pathlib.Path
) -> None:
    first_folder, first = _write(ledger, tmp_path / "reports", "nightly-1")
    second_folder, second = _write(ledger, tmp_path / "reports", "nightly-2")
    third_folder, third = _write(ledger, tmp_path / "reports", "nightly-3")

    assert first.reused_from is None and first.export["occurrences"] == 2
    assert second.reused_from == third.reused_from == "nightly-1"
    assert second.export == {**first.export, "path": str(second_folder / "dwca.zip")}
    for name in ("specimens.csv", "dwca.zip"):
        assert os.path.samefile(first_folder / name, third_folder / name), name
    latest = json.loads((tmp_path / "reports" / COLLECTION / LATEST).read_text())
    assert (latest["folder"], latest["run_id"]) == ("nightly-3", "nightly-1")


def test_a_change_in_the_ledger_or_the_archive_settings_writes_them_anew(
    ledger: Ledger, published: list[str], tmp_path: pathlib.Path
) -> None:
    base = tmp_path / "reports"
    first_folder, _ = _write(ledger, base, "run-1")
    publish_in_ledger(ledger, COLLECTION, published[2], record_id=3)

    after_publish_folder, after_publish = _write(ledger, base, "run-2")
    assert after_publish.reused_from is None and after_publish.export["occurrences"] == 3
    csv = (after_publish_folder / "specimens.csv").read_text()
    assert f"{published[2]},PUBLISHED,3," in csv
    assert not os.path.samefile(first_folder / "dwca.zip", after_publish_folder / "dwca.zip")

    retitled = ArchiveSettings(SETTINGS.base_url, "Another title", SETTINGS.description)
    assert _write(ledger, base, "run-3", retitled)[1].reused_from is None


def test_files_gone_from_the_last_report_are_written_again(
    ledger: Ledger, published: list[str], tmp_path: pathlib.Path
) -> None:
    base = tmp_path / "reports"
    first_folder, _ = _write(ledger, base, "run-1")
    (first_folder / "dwca.zip").unlink()

    folder, files = _write(ledger, base, "run-2")

    assert files.reused_from is None and (folder / "dwca.zip").is_file()
