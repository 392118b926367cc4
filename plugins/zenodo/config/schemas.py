"""The JSON Schemas of the configuration files, generated from their models.

Editors validate ``include/collections.yaml`` and ``include/mappings/*.yaml`` as you type
with them (each file's first line names its schema). After changing a model, regenerate the
committed files in ``docs/schema/``::

    python -m zenodo.config.schemas
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from zenodo.config.collection_model import CollectionsFileModel
from zenodo.config.mapping_model import RDM, MappingModel, RdmBodyModel
from zenodo.config.model_base import NOT_BLANK

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "docs" / "schema"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: Text with ``${NAME}`` or ``$$``: checked after substitution, when the file is loaded.
_SUBSTITUTED = {"type": "string", "pattern": r"\$[{$]"}


class _Schema(GenerateJsonSchema):
    """Pydantic's JSON Schema without a title for every field (the key says it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


class _CollectionsSchema(_Schema):
    """Also accepts ``${NAME}`` text where a string must match a pattern or be one of a few."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        result = super().str_schema(schema)
        if result.get("pattern", NOT_BLANK) == NOT_BLANK:
            return result
        return {"anyOf": [result, _SUBSTITUTED]}

    def literal_schema(self, schema: core_schema.LiteralSchema) -> JsonSchemaValue:
        return {"anyOf": [super().literal_schema(schema), _SUBSTITUTED]}


def _headed(schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {"$schema": _DIALECT, **schema, "title": title}


def collections_schema() -> dict[str, Any]:
    """Return the JSON Schema of a collections file."""
    schema = CollectionsFileModel.model_json_schema(schema_generator=_CollectionsSchema)
    return _headed(schema, "specimen-to-Zenodo collections file")


def mapping_schema() -> dict[str, Any]:
    """Return the JSON Schema of a mapping file; a ``schema: rdm`` one gives a record body."""
    schema = MappingModel.model_json_schema(schema_generator=_Schema)
    schema["if"] = {"properties": {"schema": {"const": RDM}}, "required": ["schema"]}
    schema["then"] = {"properties": {
        "metadata": RdmBodyModel.model_json_schema(schema_generator=_Schema)}}
    return _headed(schema, "specimen-to-Zenodo mapping file")


#: The committed schema files and what makes them.
SCHEMA_FILES: dict[str, Callable[[], dict[str, Any]]] = {
    "collections.schema.json": collections_schema,
    "mapping.schema.json": mapping_schema,
}


def render(schema: dict[str, Any]) -> str:
    """Return a schema as the committed file's text."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in SCHEMA_FILES.items():
        path = folder / name
        path.write_text(render(make()), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_schemas():
        print(f"wrote {written_path}")
