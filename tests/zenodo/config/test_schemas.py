"""The committed JSON Schemas are what the models generate, the shipped YAML files name them
and pass them, and they refuse what the loaders refuse."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from zenodo.config.collection_file import DEFAULT_COLLECTIONS_FILE, MAPPINGS_DIR
from zenodo.config.mapping_model import MappingModel
from zenodo.config.schemas import (
    SCHEMA_DIR,
    SCHEMA_FILES,
    collections_schema,
    mapping_schema,
    render,
    write_schemas,
)
from zenodo.metadata.identity import SCHEMAS

SHIPPED = [(DEFAULT_COLLECTIONS_FILE, "collections.schema.json")] + [
    (path, "mapping.schema.json") for path in sorted(MAPPINGS_DIR.glob("*.yaml"))]


def _errors(schema: dict[str, Any], data: Any) -> list[str]:
    return [error.message for error in Draft202012Validator(schema).iter_errors(data)]


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_committed_schema_is_what_the_models_generate(name: str) -> None:
    committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
    assert committed == render(SCHEMA_FILES[name]()), (
        f"docs/schema/{name} is out of date: run `python -m zenodo.config.schemas`")


def test_the_command_writes_every_schema(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    assert sorted(p.name for p in written) == sorted(SCHEMA_FILES)
    for path in written:
        assert path.read_text(encoding="utf-8") == (SCHEMA_DIR / path.name).read_text("utf-8")
        Draft202012Validator.check_schema(yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(("path", "name"), SHIPPED, ids=[p.name for p, _ in SHIPPED])
def test_a_shipped_file_names_its_schema_on_the_first_line(path: Path, name: str) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), f"{path}: line 1: {first!r}"
    relative = Path(first[len(prefix):])
    assert not relative.is_absolute(), f"{path}: the schema path must be relative"
    assert (path.parent / relative).resolve() == (SCHEMA_DIR / name).resolve()


@pytest.mark.parametrize(("path", "name"), SHIPPED, ids=[p.name for p, _ in SHIPPED])
def test_a_shipped_file_passes_its_schema(path: Path, name: str) -> None:
    schema = SCHEMA_FILES[name]()
    assert _errors(schema, yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def _sample_collections() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_COLLECTIONS_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("change", "expected"), [
    (lambda e: e.update(colour="blue"), "Additional properties are not allowed ('colour' was "
                                        "unexpected)"),
    (lambda e: e.update(batch_size="50"), "'50' is not of type 'integer'"),
    (lambda e: e.update(batch_size=0), "0 is less than the minimum of 1"),
    (lambda e: e.pop("mapping"), "'mapping' is a required property"),
    (lambda e: e.update(query="SELECT 1"), "is valid under each of"),
    (lambda e: e["images"]["files"].append({"path": "x.jpg", "optinal": True}),
     "is not valid under any of the given schemas"),
    (lambda e: e.update(community="Has Spaces"), "is not valid under any of the given schemas"),
])
def test_the_collections_schema_refuses_what_the_loader_refuses(change: Any, expected: str
                                                                ) -> None:
    data = _sample_collections()
    change(data["collections"][0])
    errors = _errors(collections_schema(), data)
    assert len(errors) == 1 and expected in errors[0], errors


def test_the_collections_schema_leaves_substituted_text_to_the_loader() -> None:
    data = _sample_collections()
    data["collections"][0].update(id="${COLLECTION_ID}", key="${KEY_RULE:-auto}",
                                  table="${TABLE}")
    assert _errors(collections_schema(), data) == []


def _sample_mapping(name: str) -> dict[str, Any]:
    return yaml.safe_load((MAPPINGS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "change", "expected"), [
    ("pilot1", lambda m: m.update(colour="red"), "('colour' was unexpected)"),
    ("pilot1", lambda m: m.update(version=1), "1 is not of type 'string'"),
    ("pilot1", lambda m: m.pop("metadata"), "'metadata' is a required property"),
    ("pilot1", lambda m: m.update(schema="legacy"), "'legacy' is not one of ['deposit', 'rdm']"),
    ("dwc-rich-rdm", lambda m: m["metadata"].update(title="x"), "('title' was unexpected)"),
    ("dwc-rich-rdm", lambda m: m["metadata"].pop("metadata"), "'metadata' is a required "
                                                              "property"),
])
def test_the_mapping_schema_refuses_what_the_loader_refuses(name: str, change: Any,
                                                            expected: str) -> None:
    data = copy.deepcopy(_sample_mapping(name))
    change(data)
    errors = _errors(mapping_schema(), data)
    assert len(errors) == 1 and expected in errors[0], errors


def test_the_mapping_schemas_are_those_the_engine_knows() -> None:
    assert MappingModel.model_fields["schema_"].annotation.__args__ == SCHEMAS
