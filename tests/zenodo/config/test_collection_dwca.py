"""A collection whose source is a Darwin Core Archive (``dwca``) instead of a database."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from zenodo.config.collection_file import CollectionConfigError, parse_collections
from zenodo.config.schemas import collections_schema


def _entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "ipt_herbarium",
        "dwca": {"path": "archives/herbarium.zip"},
        "images": {"root": "/data", "files": ["{catalogNumber}.jpg"]},
        "mapping": "pilot2",
    }
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


def _load(entry: dict[str, Any], env: dict[str, str] | None = None) -> Any:
    return parse_collections({"collections": [entry]}, "conf/c.yaml", env or {})[entry["id"]]


def test_a_relative_path_is_under_the_collections_file_folder() -> None:
    config = _load(_entry())
    assert config.dwca == "conf/archives/herbarium.zip"
    assert (config.db_url, config.db_conn_id, config.table, config.query) == (None,) * 4


def test_a_url_and_an_absolute_path_are_kept_and_substituted() -> None:
    url = "https://ipt.example.org/archive.do?r=herbarium"
    config = _load(_entry(dwca={"path": "${IPT:-https://x.example/a.zip}"}), {"IPT": url})
    assert config.dwca == url
    assert _load(_entry(dwca={"path": "/srv/a.zip"})).dwca == "/srv/a.zip"


def test_a_database_collection_has_no_archive() -> None:
    entry = _entry(dwca=None, database={"url": "sqlite:///x.db"}, table="specimens")
    assert _load(entry).dwca is None


_WHERE = "conf/c.yaml: collection 'ipt_herbarium': "


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"database": {"url": "sqlite:///x.db"}},
     "key 'database': give exactly one of 'database' and 'dwca'"),
    ({"table": "specimens"},
     "key 'query': a 'dwca' collection reads its archive's core: give neither 'table' nor "
     "'query'"),
    ({"query": "SELECT 1"},
     "key 'query': a 'dwca' collection reads its archive's core: give neither 'table' nor "
     "'query'"),
    ({"modified_column": "modified"},
     "key 'modified_column': a 'dwca' collection reads the core's dcterms:modified; "
     "'modified_column' is for databases"),
    ({"dwca": None, "table": "specimens"}, "key 'database': is required"),
    ({"dwca": {}}, "key 'dwca.path': is required"),
    ({"dwca": {"path": " "}}, "key 'dwca.path': must not be blank, got ' '"),
    ({"dwca": {"path": "a.zip", "url": "b"}}, "key 'dwca.url': unknown key"),
    ({"dwca": {"path": "${NOPE}"}}, "key 'dwca.path': environment variable NOPE is not set"),
])
def test_an_invalid_dwca_entry_names_the_key(overrides: dict[str, Any], expected: str) -> None:
    with pytest.raises(CollectionConfigError) as info:
        _load(_entry(**overrides))
    assert str(info.value) == _WHERE + expected


def _schema_errors(entry: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(collections_schema())
    return [e.message for e in validator.iter_errors({"collections": [entry]})]


def test_the_schema_takes_a_dwca_entry() -> None:
    assert _schema_errors(_entry()) == []


@pytest.mark.parametrize("overrides", [
    {"database": {"url": "sqlite:///x.db"}}, {"table": "specimens"},
    {"modified_column": "modified"}, {"dwca": None}, {"dwca": {"path": "a", "url": "b"}},
])
def test_the_schema_refuses_what_the_loader_refuses(overrides: dict[str, Any]) -> None:
    assert _schema_errors(_entry(**overrides)) != []
