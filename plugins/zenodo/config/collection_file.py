"""Load and check ``include/collections.yaml``: one entry per collection (and per DAG).

The format, every key and the ``${NAME}`` substitution are described in docs/collections.md.
Every error names the file, the collection and the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zenodo.config.yaml_errors import yaml_error_summary

INCLUDE_DIR = Path(__file__).resolve().parents[3] / "include"
DEFAULT_COLLECTIONS_FILE = INCLUDE_DIR / "collections.yaml"
MAPPINGS_DIR = INCLUDE_DIR / "mappings"

_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,199}$")
_SQL_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_COLUMN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_:]*$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ENV_RE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_KEY_RULES = ("auto", "occurrenceID", "triplet")
_ALLOWED_KEYS = frozenset(
    {
        "id", "database", "table", "query", "rename", "images", "key", "modified_column",
        "mapping", "mapping_params", "community", "zenodo_conn_id", "schedule", "batch_size",
        "concurrency", "chunk_size", "description",
    }
)


class CollectionConfigError(ValueError):
    """Raised for an invalid collections file; the message names file, collection and key."""


@dataclass(frozen=True)
class ImageTemplate:
    """One image path template, its upload-name template, and whether it may be absent."""

    path: str
    name: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class CollectionConfig:
    """The checked configuration of one collection."""

    id: str
    db_url: str | None
    db_conn_id: str | None
    table: str | None
    query: str | None
    mapping: str
    image_root: Path
    image_templates: tuple[ImageTemplate, ...]
    rename: dict[str, str] = field(default_factory=dict)
    key_rule: str = "auto"
    modified_column: str | None = None
    mapping_params: dict[str, Any] = field(default_factory=dict)
    community: str | None = None
    zenodo_conn_id: str = "zenodo_default"
    schedule: str | None = "@daily"
    batch_size: int = 100
    concurrency: int = 4
    chunk_size: int = 1000
    description: str = ""
    source_file: str = ""

    def mapping_path(self) -> Path:
        """Return the YAML file of this collection's mapping."""
        return resolve_mapping_path(self.mapping, Path(self.source_file).parent)


def resolve_mapping_path(mapping: str, base_dir: Path | None = None) -> Path:
    """Return the file of a mapping given by name (``pilot1``) or by path."""
    if mapping.endswith((".yaml", ".yml")) or "/" in mapping:
        path = Path(mapping)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return path
    return MAPPINGS_DIR / f"{mapping}.yaml"


def substitute_env(value: str, env: Mapping[str, str]) -> str:
    """Expand ``${NAME}``, ``${NAME:-default}`` and ``$$`` in ``value``.

    :raises KeyError: when a variable without default is unset
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        current = env.get(name)
        if current:
            return current
        if default is not None:
            return default
        raise KeyError(name)

    return _ENV_RE.sub(replace, value)


def _expand(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return substitute_env(value, env)
    if isinstance(value, list):
        return [_expand(v, env) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, env) for k, v in value.items()}
    return value


class _Checker:
    """Build one :class:`CollectionConfig`, raising errors that name file, collection, key."""

    def __init__(self, source: str, entry: dict[str, Any]) -> None:
        self.source = source
        self.entry = entry
        self.cid = str(entry.get("id", "?"))

    def fail(self, key: str, message: str) -> CollectionConfigError:
        return CollectionConfigError(
            f"{self.source}: collection {self.cid!r}: key {key!r}: {message}"
        )

    def text(self, key: str, *, required: bool = False, pattern: re.Pattern[str] | None = None
             ) -> str | None:
        value = self.entry.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string, got {value!r}")
        if pattern is not None and not pattern.match(value):
            raise self.fail(key, f"{value!r} does not match {pattern.pattern}")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"must be an integer from {low} to {high}, got {value!r}")
        return value

    def mapping_of_str(self, key: str) -> dict[str, str]:
        value = self.entry.get(key) or {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
        ):
            raise self.fail(key, "must map column names to term names (strings)")
        return dict(value)

    def database(self) -> tuple[str | None, str | None]:
        value = self.entry.get("database")
        if not isinstance(value, dict) or set(value) - {"url", "conn_id"}:
            raise self.fail("database", "must be a mapping with 'url' or 'conn_id'")
        url, conn_id = value.get("url"), value.get("conn_id")
        if (url is None) == (conn_id is None):
            raise self.fail("database", "give exactly one of 'url' and 'conn_id'")
        for name, item in (("url", url), ("conn_id", conn_id)):
            if item is not None and (not isinstance(item, str) or not item.strip()):
                raise self.fail(f"database.{name}", "must be a non-empty string")
        return url, conn_id

    def images(self) -> tuple[Path, tuple[ImageTemplate, ...]]:
        value = self.entry.get("images")
        if not isinstance(value, dict) or not isinstance(value.get("root"), str):
            raise self.fail("images", "must be a mapping with 'root' and 'files'")
        files = value.get("files")
        if not isinstance(files, list) or not files:
            raise self.fail("images.files", "must be a non-empty list of templates")
        templates: list[ImageTemplate] = []
        for index, item in enumerate(files):
            if isinstance(item, str) and item:
                templates.append(ImageTemplate(item))
            elif isinstance(item, dict) and isinstance(item.get("path"), str) and not (
                set(item) - {"path", "name", "optional"}
            ) and isinstance(item.get("name", ""), str) and isinstance(
                item.get("optional", False), bool
            ):
                templates.append(ImageTemplate(item["path"], item.get("name") or None,
                                               item.get("optional", False)))
            else:
                raise self.fail(f"images.files[{index}]", f"invalid template {item!r}")
        return Path(value["root"]), tuple(templates)

    def build(self) -> CollectionConfig:
        unknown = sorted(set(self.entry) - _ALLOWED_KEYS)
        if unknown:
            raise self.fail(unknown[0], "unknown key")
        cid = self.text("id", required=True, pattern=_ID_RE)
        url, conn_id = self.database()
        table = self.text("table", pattern=_SQL_NAME_RE)
        query = self.text("query")
        if (table is None) == (query is None):
            raise self.fail("table", "give exactly one of 'table' and 'query'")
        key_rule = self.entry.get("key", "auto")
        if key_rule not in _KEY_RULES:
            raise self.fail("key", f"must be one of {', '.join(_KEY_RULES)}, got {key_rule!r}")
        mapping = self.text("mapping", required=True)
        mapping_file = resolve_mapping_path(mapping, Path(self.source).parent)
        if not mapping_file.is_file():
            raise self.fail("mapping", f"mapping file {mapping_file} does not exist")
        params = self.entry.get("mapping_params") or {}
        if not isinstance(params, dict):
            raise self.fail("mapping_params", "must be a mapping")
        schedule = self.entry.get("schedule", "@daily")
        if schedule is not None and (not isinstance(schedule, str) or not schedule.strip()):
            raise self.fail("schedule", f"must be a cron/preset string or null, got {schedule!r}")
        root, templates = self.images()
        return CollectionConfig(
            id=str(cid),
            db_url=url,
            db_conn_id=conn_id,
            table=table,
            query=query,
            mapping=str(mapping),
            image_root=root,
            image_templates=templates,
            rename=self.mapping_of_str("rename"),
            key_rule=key_rule,
            modified_column=self.text("modified_column", pattern=_COLUMN_RE),
            mapping_params=params,
            community=self.text("community", pattern=_SLUG_RE),
            zenodo_conn_id=self.text("zenodo_conn_id") or "zenodo_default",
            schedule=schedule,
            batch_size=self.integer("batch_size", 100, 1, 10_000),
            concurrency=self.integer("concurrency", 4, 1, 64),
            chunk_size=self.integer("chunk_size", 1000, 1, 100_000),
            description=self.text("description") or "",
            source_file=self.source,
        )


def parse_collections(
    data: Any, source: str, env: Mapping[str, str] | None = None
) -> dict[str, CollectionConfig]:
    """Check parsed YAML and return the collections by id.

    :param data: the parsed YAML document
    :param source: file name used in error messages (and to resolve relative mapping paths)
    :param env: variables for ``${...}`` substitution (default: ``os.environ``)
    """
    env = os.environ if env is None else env
    if not isinstance(data, dict) or not isinstance(data.get("collections"), list):
        raise CollectionConfigError(f"{source}: key 'collections': must be a list of entries")
    result: dict[str, CollectionConfig] = {}
    for index, raw in enumerate(data["collections"]):
        if not isinstance(raw, dict):
            raise CollectionConfigError(f"{source}: collections[{index}]: must be a mapping")
        checker = _Checker(source, raw)
        expanded: dict[str, Any] = {}
        for key, value in raw.items():
            try:
                expanded[key] = _expand(value, env)
            except KeyError as exc:
                raise checker.fail(str(key), f"environment variable {exc.args[0]} is not set"
                                   ) from None
        checker.entry = expanded
        config = checker.build()
        if config.id in result:
            raise checker.fail("id", "duplicate collection id")
        result[config.id] = config
    return result


def load_collections(
    path: str | os.PathLike[str] = DEFAULT_COLLECTIONS_FILE,
    env: Mapping[str, str] | None = None,
) -> dict[str, CollectionConfig]:
    """Read a collections file and return its collections by id.

    :raises CollectionConfigError: naming the file, the collection and the key
    """
    source = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CollectionConfigError(f"{source}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:  # its message quotes the file: tell kind and position only
        raise CollectionConfigError(f"{source}: cannot read: {yaml_error_summary(exc)}"
                                    ) from None
    return parse_collections(data, source, env)


def resolve_db_url(config: CollectionConfig) -> str:
    """Return a SQLAlchemy URL for the collection, reading the Airflow connection if needed."""
    if config.db_url:
        return config.db_url
    from airflow.sdk import BaseHook  # imported lazily: only DAG runs need Airflow

    conn = BaseHook.get_connection(str(config.db_conn_id))
    uri = conn.get_uri()
    for old, new in (("postgres://", "postgresql+psycopg://"),
                     ("postgresql://", "postgresql+psycopg://")):
        if uri.startswith(old):
            return new + uri[len(old):]
    return uri
