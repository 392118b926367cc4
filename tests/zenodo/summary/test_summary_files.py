"""The summary record's files: byte-identical for the same published set, changed by one more
published specimen; ``specimens.csv``'s columns and safe cells; the README; the archive read
back with python-dwca-reader. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import pathlib
import zipfile

from dwca.read import DwCAReader

from tests.zenodo.payload_factory import COLLECTION, publish_in_ledger, register_specimens
from zenodo.config.summary_model import SummaryModel
from zenodo.ledger.ledger import Ledger
from zenodo.summary.files import (
    CSV_COLUMNS,
    CSV_NAME,
    DWCA_NAME,
    FILE_NAMES,
    README_NAME,
    PublishedSpecimen,
    SummaryFiles,
    build_files,
    csv_text,
)

BASE = "https://zenodo.example"
SETTINGS = SummaryModel(title="Test herbarium on Zenodo", description="All our specimens.",
                        creators=[{"name": "Test Herbarium"}])


def build(ledger: Ledger, folder: pathlib.Path) -> SummaryFiles:
    """Build the summary files of ``COLLECTION`` into ``folder``."""
    return build_files(ledger.engine, COLLECTION, folder, settings=SETTINGS, base_url=BASE,
                       community="test-community")


def contents(folder: pathlib.Path) -> dict[str, bytes]:
    """The bytes of each summary file in ``folder``."""
    return {name: (folder / name).read_bytes() for name in FILE_NAMES}


def test_same_published_set_gives_the_same_bytes_and_one_more_changes_them(
    ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(ledger, tmp_path, 4, files_each=2)
    for number, key in enumerate(keys[:2], start=1):
        publish_in_ledger(ledger, COLLECTION, key, record_id=number * 10 + 1)
    first = build(ledger, tmp_path / "run1")
    second = build(ledger, tmp_path / "run2")
    assert [f.name for f in first.files] == list(FILE_NAMES)
    assert contents(tmp_path / "run1") == contents(tmp_path / "run2")
    assert [(f.size, f.md5) for f in first.files] == [(f.size, f.md5) for f in second.files]
    assert (first.specimens, first.media) == (2, 4)

    publish_in_ledger(ledger, COLLECTION, keys[2], record_id=31)
    third = build(ledger, tmp_path / "run3")
    assert third.specimens == 3
    changed = {a.name for a, b in zip(first.files, third.files, strict=True) if a.md5 != b.md5}
    assert changed == set(FILE_NAMES)

    rows = list(csv.DictReader(io.StringIO((tmp_path / "run3" / CSV_NAME).read_text("utf-8"))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == 6 and {r["key"] for r in rows} == set(keys[:3])
    row = next(r for r in rows if r["key"] == keys[2])
    assert row["record_url"] == f"{BASE}/records/31"
    assert row["file_url"] == f"{BASE}/api/records/31/files/{row['file_name']}/content"
    assert len(row["md5"]) == 32 and row["doi"] and row["concept_doi"]

    with zipfile.ZipFile(third.path(DWCA_NAME)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with DwCAReader(str(third.path(DWCA_NAME))) as archive:
        assert sorted(row.id for row in archive) == sorted(keys[:3])
        assert archive.metadata.find("dataset/title").text == SETTINGS.title
        assert archive.metadata.find("dataset/pubDate") is None, "no day in the bytes"


def test_csv_cells_that_would_be_formulas_are_made_text() -> None:
    hostile = PublishedSpecimen("=HYPERLINK(\"http://evil\")", "10.5072/zenodo.1", None, "1",
                                (("+cmd.png", "0" * 32),))
    text = csv_text([hostile], BASE)
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["key"] == "'=HYPERLINK(\"http://evil\")"
    assert row["file_name"] == "'+cmd.png"
    assert row["concept_doi"] == ""
    assert text.endswith("\r\n")


def test_readme_names_the_collection_counts_and_files(
    sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(sqlite_ledger, tmp_path, 2)
    publish_in_ledger(sqlite_ledger, COLLECTION, keys[0], record_id=11)
    built = build(sqlite_ledger, tmp_path / "run")
    readme = built.path(README_NAME).read_text("utf-8")
    assert readme.startswith(f"# {SETTINGS.title}\n")
    assert SETTINGS.description in readme and "Creators: Test Herbarium." in readme
    assert f"Collection `{COLLECTION}`: 1 specimens" in readme
    assert f"{BASE}/communities/test-community" in readme
    for name in FILE_NAMES:
        assert f"`{name}`" in readme
