"""Tests for the collections file loader (include/collections.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from zenodo.config.collection_file import (
    DEFAULT_COLLECTIONS_FILE,
    MAPPINGS_DIR,
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


_WHERE = "conf/c.yaml: collection 'meise_bh': "


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"id": "9lives"},
         "conf/c.yaml: collection '9lives': key 'id': must match "
         "^[A-Za-z][A-Za-z0-9_.-]{0,199}$, got '9lives'"),
        ({"database": {"url": "a", "conn_id": "b"}},
         _WHERE + "key 'database': give exactly one of 'url' and 'conn_id'"),
        ({"query": "SELECT 1"}, _WHERE + "key 'query': give exactly one of 'table' and 'query'"),
        ({"table": None}, _WHERE + "key 'query': give exactly one of 'table' and 'query'"),
        ({"table": "x; DROP TABLE y"},
         _WHERE + "key 'table': must match ^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?$, "
         "got 'x; DROP TABLE y'"),
        ({"mapping": "nope"},
         _WHERE + f"key 'mapping': mapping file {MAPPINGS_DIR / 'nope.yaml'} does not exist"),
        ({"batch_size": 0}, _WHERE + "key 'batch_size': must be at least 1, got 0"),
        ({"concurrency": 65}, _WHERE + "key 'concurrency': must be at most 64, got 65"),
        ({"concurrency": "4"}, _WHERE + "key 'concurrency': must be an integer, got '4'"),
        ({"batch_size": True}, _WHERE + "key 'batch_size': must be an integer, got True"),
        ({"key": "barcode"},
         _WHERE + "key 'key': must be one of auto, occurrenceID, triplet, got 'barcode'"),
        ({"community": "Has Spaces"},
         _WHERE + "key 'community': must match ^[a-z0-9][a-z0-9_-]*$, got 'Has Spaces'"),
        ({"images": "/data"}, _WHERE + "key 'images': must be a mapping, got '/data'"),
        ({"images": {"root": "/a", "files": []}},
         _WHERE + "key 'images.files': must not be empty, got []"),
        ({"images": {"root": " ", "files": ["{catalogNumber}.jpg"]}},
         _WHERE + "key 'images.root': must not be blank, got ' '"),
        ({"images": {"root": "/a", "files": [7]}},
         _WHERE + "key 'images.files[0]': must be a template or a mapping with 'path', got 7"),
        ({"modified_column": "x;y"},
         _WHERE + "key 'modified_column': must match ^[A-Za-z_][A-Za-z0-9_:]*$, got 'x;y'"),
        ({"schedule": ""}, _WHERE + "key 'schedule': must not be blank, got ''"),
        ({"colour": "blue"}, _WHERE + "key 'colour': unknown key"),
        ({"database": {"url": "${MISSING_VAR}"}},
         _WHERE + "key 'database.url': environment variable MISSING_VAR is not set"),
        ({"id": None}, "conf/c.yaml: collections[0]: key 'id': is required"),
        ({"database": None}, _WHERE + "key 'database': is required"),
    ],
)
def test_invalid_config_names_file_collection_key_and_value(
    overrides: dict[str, Any], expected: str
) -> None:
    with pytest.raises(CollectionConfigError) as info:
        parse_collections({"collections": [_entry(**overrides)]}, "conf/c.yaml", {})
    assert str(info.value) == expected


def test_every_problem_gets_its_own_line_and_no_pydantic_text() -> None:
    images = {"root": "/a", "files": [{"path": "{catalogNumber}.jpg", "optional": "yes",
                                       "size": 3}]}
    entries = [_entry(batch_size="100", images=images), _entry(id="other", table=None)]
    with pytest.raises(CollectionConfigError) as info:
        parse_collections({"collections": entries}, "include/collections.yaml", {})
    assert str(info.value).splitlines() == [
        "include/collections.yaml: collection 'meise_bh': key 'images.files[0].optional': "
        "must be true or false, got 'yes'",
        "include/collections.yaml: collection 'meise_bh': key 'images.files[0].size': "
        "unknown key",
        "include/collections.yaml: collection 'meise_bh': key 'batch_size': "
        "must be an integer, got '100'",
        "include/collections.yaml: collection 'other': key 'query': "
        "give exactly one of 'table' and 'query'",
    ]
    assert "pydantic" not in str(info.value) and "http" not in str(info.value)


def test_unset_variables_are_all_told_before_anything_else() -> None:
    entry = _entry(images={"root": "${IMAGES}", "files": ["${PREFIX}{catalogNumber}.jpg"]},
                   batch_size=0)
    with pytest.raises(CollectionConfigError) as info:
        parse_collections({"collections": [entry]}, "c.yaml", {"PREFIX": ""})
    assert str(info.value).splitlines() == [
        "c.yaml: collection 'meise_bh': key 'images.root': environment variable IMAGES is not set",
        "c.yaml: collection 'meise_bh': key 'images.files[0]': environment variable PREFIX is "
        "not set",
    ]


def test_substituted_values_are_checked() -> None:
    entry = _entry(community="${COMMUNITY}")
    with pytest.raises(CollectionConfigError) as info:
        parse_collections({"collections": [entry]}, "c.yaml", {"COMMUNITY": "My Herbarium"})
    assert str(info.value) == (
        "c.yaml: collection 'meise_bh': key 'community': must match ^[a-z0-9][a-z0-9_-]*$, "
        "got 'My Herbarium'")
    config = parse_collections({"collections": [entry]}, "c.yaml", {"COMMUNITY": "mine"})
    assert config["meise_bh"].community == "mine"


@pytest.mark.parametrize(("data", "expected"), [
    (None, "c.yaml: must be a mapping, got None"),
    ({"collection": []}, "c.yaml: key 'collections': is required\n"
                         "c.yaml: key 'collection': unknown key"),
    ({"collections": "meise_bh"}, "c.yaml: key 'collections': must be a list, got 'meise_bh'"),
    ({"collections": ["meise_bh"]}, "c.yaml: collections[0]: must be a mapping, got 'meise_bh'"),
])
def test_a_wrong_file_shape_names_the_file_and_the_key(data: Any, expected: str) -> None:
    with pytest.raises(CollectionConfigError) as info:
        parse_collections(data, "c.yaml", {})
    assert str(info.value) == expected


def test_null_means_none_or_empty_where_it_did() -> None:
    entry = {**_entry(), "rename": None, "mapping_params": None, "schedule": None,
             "community": None}
    config = parse_collections({"collections": [entry]}, "c.yaml", {})["meise_bh"]
    assert (config.rename, config.mapping_params, config.schedule, config.community) == (
        {}, {}, None, None)


def test_duplicate_collection_ids_are_refused() -> None:
    with pytest.raises(CollectionConfigError) as info:
        parse_collections({"collections": [_entry(), _entry()]}, "c.yaml", {})
    assert str(info.value) == "c.yaml: collection 'meise_bh': key 'id': duplicate collection id"


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
