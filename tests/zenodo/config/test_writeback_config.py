"""The ``writeback`` key: a statement is checked when the file loads, and every refusal names
the file, the collection and the key."""

from __future__ import annotations

from typing import Any

import pytest

from zenodo.config.collection_file import CollectionConfigError, WritebackConfig, parse_collections

SOURCE = "include/collections.yaml"


def entry(**writeback: Any) -> dict[str, Any]:
    return {"collections": [{
        "id": "herbarium_sample", "database": {"url": "sqlite:///h.db"}, "table": "specimens",
        "images": {"root": "/data", "files": ["{catalogNumber}.jpg"]}, "mapping": "pilot1",
        **({"writeback": writeback} if writeback else {}),
    }]}


def test_a_valid_writeback_is_loaded_with_its_defaults() -> None:
    statement = ("UPDATE specimen SET zenodo_doi = :doi, zenodo_url = :url "
                 "WHERE occurrence_id = :key;")
    config = parse_collections(entry(statement=statement), SOURCE, env={})["herbarium_sample"]
    assert config.writeback == WritebackConfig(statement=statement, batch_size=500, attempts=3)
    other = parse_collections(entry(statement=statement, database={"conn_id": "museum"}),
                              SOURCE, env={})["herbarium_sample"]
    assert (other.writeback.db_url, other.writeback.db_conn_id) == (None, "museum")
    assert parse_collections(entry(), SOURCE, env={})["herbarium_sample"].writeback is None


@pytest.mark.parametrize(("statement", "expected"), [
    ("UPDATE specimen SET zenodo_doi = :doi WHERE occurrence_id = :occurrence",
     "unknown parameter(s) :occurrence (allowed: :key, :doi, :concept_doi, :url, :record_id)"),
    ("UPDATE specimen SET zenodo_doi = :doi WHERE occurrence_id = :key; DELETE FROM specimen",
     "must be one SQL statement, got 2"),
    ("SELECT zenodo_doi FROM specimen WHERE occurrence_id = :key",
     "must be an UPDATE or an INSERT, got select"),
    ("UPDATE specimen SET zenodo_doi = :doi", "must bind :key"),
])
def test_a_wrong_statement_is_refused_naming_file_collection_and_key(
    statement: str, expected: str
) -> None:
    with pytest.raises(CollectionConfigError) as caught:
        parse_collections(entry(statement=statement), SOURCE, env={})
    (line,) = str(caught.value).splitlines()
    assert line.startswith(
        "include/collections.yaml: collection 'herbarium_sample': key 'writeback.statement': ")
    assert expected in line


def test_writeback_database_needs_exactly_one_of_url_and_conn_id() -> None:
    with pytest.raises(CollectionConfigError) as caught:
        parse_collections(entry(statement="UPDATE t SET d = :doi WHERE k = :key",
                                database={"url": "sqlite:///x.db", "conn_id": "c"}),
                          SOURCE, env={})
    assert str(caught.value) == ("include/collections.yaml: collection 'herbarium_sample': "
                                 "key 'writeback.database': give exactly one of 'url' and "
                                 "'conn_id'")


def test_a_dwca_collection_must_say_where_to_write_back() -> None:
    doc = entry(statement="UPDATE t SET d = :doi WHERE k = :key")
    row = doc["collections"][0]
    del row["database"], row["table"]
    row["dwca"] = {"path": "/data/herbarium-dwca.zip"}
    with pytest.raises(CollectionConfigError) as caught:
        parse_collections(doc, SOURCE, env={})
    assert str(caught.value) == ("include/collections.yaml: collection 'herbarium_sample': "
                                 "key 'writeback': a 'dwca' collection has no database of its "
                                 "own: give 'writeback.database'")
    row["writeback"]["database"] = {"url": "sqlite:///museum.db"}
    config = parse_collections(doc, SOURCE, env={})["herbarium_sample"]
    assert config.writeback is not None and config.writeback.db_url == "sqlite:///museum.db"
