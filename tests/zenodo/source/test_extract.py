"""Tests for extraction from collection databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.zenodo.data_helpers import write_jpeg
from zenodo.config.collection_file import CollectionConfig, ImageTemplate
from zenodo.source.extract import (
    ExtractError,
    extract_records,
    newest_modified,
    resolve_images,
    stream_rows,
)

HOSTILE = "'; DROP TABLE specimens; --"
ROWS = [
    {
        "barcode": "BR0000010599976",
        "scientificName": "Acer platanoides L.",
        "family": "Aceraceae",
        "modified": "2024-01-01T00:00:00",
    },
    {
        "barcode": "BR0000010599977",
        "scientificName": unicodedata.normalize("NFD", "Soják"),
        "family": "Rosaceae",
        "modified": "2024-01-02T00:00:00",
    },
    {
        "barcode": "\ufeffBR0000010599978 ",
        "scientificName": "Acer x verhaegheanum Geerinck",
        "family": "Aceraceae",
        "modified": "2024-01-03T00:00:00",
    },
]


def _create(url: str, rows: list[dict[str, Any]] = ROWS) -> sa.Engine:
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = sa.Table(
        "specimens",
        metadata,
        sa.Column("barcode", sa.Text),
        sa.Column("scientificName", sa.Text),
        sa.Column("family", sa.Text),
        sa.Column("modified", sa.Text),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    return engine


def _config(url: str, root: Path, **overrides: Any) -> CollectionConfig:
    values: dict[str, Any] = {
        "id": "meise",
        "db_url": url,
        "db_conn_id": None,
        "table": "specimens",
        "query": None,
        "mapping": "pilot2",
        "image_root": root,
        "image_templates": (ImageTemplate("{catalogNumber}/barcode.jpg", "{catalogNumber}.jpg"),),
        "rename": {"barcode": "catalogNumber"},
        "modified_column": "modified",
    }
    values.update(overrides)
    return CollectionConfig(**values)


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM specimens")).scalar_one()


def test_extract_renames_normalises_and_keys_rows(database_url: str, tmp_path: Path) -> None:
    engine = _create(database_url)
    query = (
        'SELECT barcode, "scientificName", family, modified, '
        "'BR' AS \"institutionCode\", 'BR' AS \"collectionCode\" FROM specimens"
    )
    config = _config(database_url, tmp_path, table=None, query=query)
    records = list(extract_records(config, engine=engine))
    assert [r.term("catalogNumber") for r in records] == [
        "BR0000010599976",
        "BR0000010599977",
        "BR0000010599978",
    ]
    assert records[1].term("scientificName") == "Soják"
    assert unicodedata.is_normalized("NFC", records[1].term("scientificName"))
    assert records[0].key == "urn:catalog:BR:BR:BR0000010599976"
    assert records[0].modified == "2024-01-01T00:00:00"
    assert [r.row_number for r in records] == [1, 2, 3]
    assert records[0].images[0].name == "BR0000010599976.jpg"
    assert records[0].images[0].path == tmp_path / "BR0000010599976" / "barcode.jpg"


def test_incremental_run_yields_rows_changed_since_the_watermark(
    database_url: str, tmp_path: Path
) -> None:
    engine = _create(database_url)
    config = _config(database_url, tmp_path)
    records = list(extract_records(config, engine=engine, since="2024-01-02T00:00:00"))
    assert [r.term("catalogNumber") for r in records] == ["BR0000010599977", "BR0000010599978"]
    watermark = None
    for record in records:
        watermark = newest_modified(watermark, record.modified)
    assert watermark == "2024-01-03T00:00:00"
    assert list(extract_records(config, engine=engine, since="2024-02-01")) == []


def test_run_parameters_are_bound_never_formatted_into_sql(
    database_url: str, tmp_path: Path
) -> None:
    engine = _create(database_url)
    config = _config(database_url, tmp_path)
    assert list(extract_records(config, engine=engine, where={"catalogNumber": HOSTILE})) == []
    # compared as a string ("'" sorts before digits), so every row is "newer": none lost
    assert len(list(extract_records(config, engine=engine, since=HOSTILE))) == 3
    assert _count(engine) == 3
    statements: list[str] = []
    sa.event.listen(
        engine, "before_cursor_execute", lambda conn, cur, stmt, *args: statements.append(stmt)
    )
    list(extract_records(config, engine=engine, where={"catalogNumber": HOSTILE}))
    assert statements and all("DROP" not in stmt for stmt in statements)


def test_filters_accept_lists_and_limits(database_url: str, tmp_path: Path) -> None:
    engine = _create(database_url)
    config = _config(database_url, tmp_path)
    picked = extract_records(
        config, engine=engine, where={"catalogNumber": ["BR0000010599976", "BR0000010599977"]}
    )
    assert len(list(picked)) == 2
    assert len(list(extract_records(config, engine=engine, limit=1))) == 1


def test_unknown_filter_name_is_refused(tmp_path: Path) -> None:
    config = _config("sqlite://", tmp_path)
    with pytest.raises(ExtractError, match="invalid filter term"):
        list(extract_records(config, where={"a b; --": 1}))


def test_incremental_run_needs_a_modified_column(tmp_path: Path) -> None:
    config = _config("sqlite://", tmp_path, modified_column=None)
    with pytest.raises(ExtractError, match="modified_column"):
        list(extract_records(config, since="2024-01-01"))


def test_rows_are_streamed_in_chunks(database_url: str) -> None:
    rows = [{**ROWS[0], "barcode": f"B{i}"} for i in range(25)]
    engine = _create(database_url, rows)
    options: list[dict[str, Any]] = []
    sa.event.listen(
        engine,
        "before_cursor_execute",
        lambda conn, cur, stmt, params, context, many: options.append(
            dict(context.execution_options)
        ),
    )
    stmt = sa.select(sa.literal_column("*")).select_from(sa.table("specimens"))
    streamed = list(stream_rows(engine, stmt, chunk_size=7))
    assert len(streamed) == 25
    assert options[-1]["yield_per"] == 7
    assert options[-1]["stream_results"] is True


def test_image_templates_resolve_globs_names_and_optional_files(tmp_path: Path) -> None:
    write_jpeg(tmp_path / "TU272285.jpg")
    write_jpeg(tmp_path / "TU272285_lab.jpg")
    write_jpeg(tmp_path / "TU272285_all.png")
    write_jpeg(tmp_path / "TU272285_sel.png")
    templates = (
        ImageTemplate("{catalogNumber}.jpg"),
        ImageTemplate("{catalogNumber}_lab.jpg", optional=True),
        ImageTemplate("{catalogNumber}.tif", optional=True),
        ImageTemplate("{catalogNumber}_*.png"),
        ImageTemplate("{catalogNumber}.jp2"),
    )
    files = resolve_images(tmp_path, templates, {"catalogNumber": "TU272285"})
    assert [f.name for f in files] == [
        "TU272285.jpg",
        "TU272285_lab.jpg",
        "TU272285_all.png",
        "TU272285_sel.png",
        "TU272285.jp2",
    ]
    assert not files[-1].path.exists()  # required but missing: kept for validation to report


def test_glob_characters_in_values_are_escaped(tmp_path: Path) -> None:
    write_jpeg(tmp_path / "A1_x.png")
    templates = (ImageTemplate("{catalogNumber}_*.png"),)
    assert resolve_images(tmp_path, templates, {"catalogNumber": "*"}) == ()
    assert len(resolve_images(tmp_path, templates, {"catalogNumber": "A1"})) == 1


def test_template_with_a_missing_term_yields_no_file(tmp_path: Path) -> None:
    templates = (ImageTemplate("{catalogNumber}.jpg"),)
    assert resolve_images(tmp_path, templates, {"scientificName": "x"}) == ()
