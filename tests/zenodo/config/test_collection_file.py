"""Tests for the collections file loader (include/collections.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from zenodo.config.collection_file import (
    DEFAULT_COLLECTIONS_FILE,
    CollectionConfigError,
    load_collections,
    parse_collections,
    resolve_db_url,
    substitute_env,
)


def _entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "meise_bh",
        "database": {"url": "sqlite:///x.db"},
        "table": "specimens",
        "images": {"root": "/data", "files": ["{catalogNumber}.jpg"]},
        "mapping": "pilot2",
    }
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


def test_shipped_file_defines_the_sample_collection_with_env_overrides() -> None:
    env = {"SAMPLE_DB_URL": "sqlite:////srv/s.db", "SAMPLE_IMAGE_ROOT": "/srv/img"}
    config = load_collections(DEFAULT_COLLECTIONS_FILE, env=env)["herbarium_sample"]
    assert config.db_url == "sqlite:////srv/s.db"
    assert config.image_root == Path("/srv/img")
    assert config.mapping_path().name == "pilot1.yaml"
    assert config.modified_column == "modified"
    assert config.schedule == "@daily"
    assert config.community == "herbarium-sample"


def test_shipped_file_falls_back_to_defaults_without_env() -> None:
    config = load_collections(env={})["herbarium_sample"]
    assert config.db_url == "sqlite:////tmp/specimen-to-zenodo-sample/herbarium.db"


def test_defaults_fill_schedule_batch_size_and_concurrency() -> None:
    config = parse_collections({"collections": [_entry()]}, "c.yaml", {})["meise_bh"]
    assert (config.schedule, config.batch_size, config.concurrency) == ("@daily", 100, 4)
    assert config.key_rule == "auto"
    assert config.zenodo_conn_id == "zenodo_default"


def test_image_templates_keep_name_and_optional_flags() -> None:
    images = {
        "root": "/a",
        "files": [
            "{catalogNumber}.jpg",
            {
                "path": "{catalogNumber}/barcode.jpg",
                "name": "{catalogNumber}.jpg",
                "optional": True,
            },
        ],
    }
    config = parse_collections({"collections": [_entry(images=images)]}, "c.yaml", {})
    second = config["meise_bh"].image_templates[1]
    assert (second.name, second.optional) == ("{catalogNumber}.jpg", True)


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "x"}, "x"),
        ("${A:-d}", {}, "d"),
        ("${A:-d}", {"A": ""}, "d"),
        ("pre-${A:-sqlite:///a.db}-post", {}, "pre-sqlite:///a.db-post"),
        ("$$HOME", {"HOME": "h"}, "$HOME"),
    ],
)
def test_env_substitution(text: str, env: dict[str, str], expected: str) -> None:
    assert substitute_env(text, env) == expected


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"id": "9lives"}, "id"),
        ({"id": "bad id"}, "id"),
        ({"database": {"url": "a", "conn_id": "b"}}, "database"),
        ({"query": "SELECT 1"}, "table"),
        ({"table": "x; DROP TABLE y"}, "table"),
        ({"mapping": "nope"}, "mapping"),
        ({"batch_size": 0}, "batch_size"),
        ({"concurrency": "4"}, "concurrency"),
        ({"key": "barcode"}, "key"),
        ({"community": "Has Spaces"}, "community"),
        ({"images": {"root": "/a", "files": []}}, "images.files"),
        ({"modified_column": "x;y"}, "modified_column"),
        ({"colour": "blue"}, "colour"),
        ({"database": {"url": "${MISSING_VAR}"}}, "database"),
    ],
)
def test_invalid_config_names_file_collection_and_key(overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectionConfigError) as info:
        parse_collections({"collections": [_entry(**overrides)]}, "conf/c.yaml", {})
    message = str(info.value)
    assert message.startswith("conf/c.yaml: collection ")
    assert f"key {key!r}" in message


def test_duplicate_collection_ids_are_refused() -> None:
    with pytest.raises(CollectionConfigError, match="duplicate collection id"):
        parse_collections({"collections": [_entry(), _entry()]}, "c.yaml", {})


def test_unreadable_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("collections: [", encoding="utf-8")
    with pytest.raises(CollectionConfigError, match=r"broken\.yaml"):
        load_collections(path, env={})


def test_relative_mapping_path_resolves_next_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("name: m\nversion: '1'\nmetadata: {}\n", encoding="utf-8")
    path = tmp_path / "collections.yaml"
    path.write_text(yaml.safe_dump({"collections": [_entry(mapping="./m.yaml")]}), encoding="utf-8")
    config = load_collections(path, env={})["meise_bh"]
    assert config.mapping_path() == tmp_path / "m.yaml"


def test_airflow_connection_id_resolves_to_a_psycopg_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_COLLECTION_DB",
        '{"conn_type": "postgres", "host": '
        '"db.example", "login": "reader", "port": 5432, "schema": "herbarium"}',
    )
    entry = _entry(database={"conn_id": "collection_db"})
    config = parse_collections({"collections": [entry]}, "c.yaml", {})["meise_bh"]
    assert resolve_db_url(config) == "postgresql+psycopg://reader@db.example:5432/herbarium"
