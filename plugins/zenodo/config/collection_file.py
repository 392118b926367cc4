"""Load ``include/collections.yaml``: one entry per collection (and per DAG).

The format, every key and the ``${NAME}`` substitution are described in docs/collections.md;
:mod:`zenodo.config.collection_model` checks the keys. Every error names the file, the
collection and the key, one line per problem.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from zenodo.config.collection_model import (
    IMAGE_FILE_TAGS,
    CollectionModel,
    CollectionsFileModel,
)
from zenodo.config.model_errors import ConfigProblem, config_problems, key_path
from zenodo.config.summary_model import SummaryModel
from zenodo.config.yaml_errors import yaml_error_summary

INCLUDE_DIR = Path(__file__).resolve().parents[3] / "include"
DEFAULT_COLLECTIONS_FILE = INCLUDE_DIR / "collections.yaml"
MAPPINGS_DIR = INCLUDE_DIR / "mappings"

_ENV_RE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class CollectionConfigError(ValueError):
    """Raised for an invalid collections file; each line names file, collection and key."""


@dataclass(frozen=True)
class ImageTemplate:
    """One image path template, its upload-name template, and whether it may be absent."""

    path: str
    name: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class WritebackConfig:
    """Where and how each published specimen's DOI is written back (``writeback``).

    :param statement: one UPDATE or INSERT binding ``:key`` (and ``:doi`` …), checked.
    :param db_url: its own database URL (None, with ``db_conn_id`` None: the collection's).
    """

    statement: str
    db_url: str | None = None
    db_conn_id: str | None = None
    batch_size: int = 500
    attempts: int = 3


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
    dwca: str | None = None
    writeback: WritebackConfig | None = None
    #: the summary record's settings (None: no ``summary`` key, or ``enabled: false``)
    summary: SummaryModel | None = None
    #: the Airflow connection an object store's images are read with (``images.conn_id``)
    image_conn_id: str | None = None

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


def _expand(value: Any, env: Mapping[str, str], loc: tuple[str | int, ...],
            problems: list[ConfigProblem]) -> Any:
    """Substitute every string of ``value``; an unset variable becomes a problem at ``loc``."""
    if isinstance(value, str):
        try:
            return substitute_env(value, env)
        except KeyError as exc:
            problems.append(ConfigProblem(loc, f"environment variable {exc.args[0]} is not set"))
            return value
    if isinstance(value, list):
        return [_expand(v, env, (*loc, i), problems) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _expand(v, env, (*loc, str(k)), problems) for k, v in value.items()}
    return value


class _Report:
    """The problems of one collections file, told one line each."""

    def __init__(self, source: str, entries: Any) -> None:
        self.source = source
        self.entries = entries if isinstance(entries, list) else []

    def where(self, index: int) -> str:
        entry = self.entries[index] if index < len(self.entries) else None
        cid = entry.get("id") if isinstance(entry, dict) else None
        return f"collection {cid!r}" if isinstance(cid, str) else f"collections[{index}]"

    def line(self, problem: ConfigProblem) -> str:
        loc = problem.loc
        if len(loc) >= 2 and loc[0] == "collections" and isinstance(loc[1], int):
            rest = f": key {key_path(loc[2:])!r}" if loc[2:] else ""
            return f"{self.source}: {self.where(loc[1])}{rest}: {problem.message}"
        rest = f": key {key_path(loc)!r}" if loc else ""
        return f"{self.source}{rest}: {problem.message}"

    def error(self, problems: list[ConfigProblem]) -> CollectionConfigError:
        return CollectionConfigError("\n".join(self.line(p) for p in problems))


def _config(model: CollectionModel, source: str) -> CollectionConfig:
    templates = tuple(
        ImageTemplate(item) if isinstance(item, str)
        else ImageTemplate(item.path, item.name, item.optional)
        for item in model.images.files
    )
    return CollectionConfig(
        id=model.id, db_url=model.database.url if model.database else None,
        db_conn_id=model.database.conn_id if model.database else None,
        table=model.table, query=model.query, mapping=model.mapping,
        image_root=Path(model.images.root), image_templates=templates,
        rename=dict(model.rename or {}), key_rule=model.key,
        modified_column=model.modified_column, mapping_params=dict(model.mapping_params or {}),
        community=model.community, zenodo_conn_id=model.zenodo_conn_id,
        schedule=model.schedule, batch_size=model.batch_size, concurrency=model.concurrency,
        chunk_size=model.chunk_size, description=model.description, source_file=source,
        dwca=_dwca_location(model, source),
        writeback=_writeback(model),
        summary=model.summary if model.summary and model.summary.enabled else None,
        image_conn_id=model.images.conn_id,
    )


def _writeback(model: CollectionModel) -> WritebackConfig | None:
    """Return the collection's write-back settings (None: no ``writeback`` key)."""
    if model.writeback is None:
        return None
    database = model.writeback.database
    return WritebackConfig(
        statement=model.writeback.statement, db_url=database.url if database else None,
        db_conn_id=database.conn_id if database else None,
        batch_size=model.writeback.batch_size, attempts=model.writeback.attempts)


def _dwca_location(model: CollectionModel, source: str) -> str | None:
    """Return the collection's DwC-A: a URL as given, a relative path under the file's folder."""
    if model.dwca is None:
        return None
    location = model.dwca.path
    if location.lower().startswith(("http://", "https://")) or Path(location).is_absolute():
        return location
    return str(Path(source).parent / location)


def parse_collections(
    data: Any, source: str, env: Mapping[str, str] | None = None
) -> dict[str, CollectionConfig]:
    """Check parsed YAML and return the collections by id.

    :param data: the parsed YAML document
    :param source: file name used in error messages (and to resolve relative mapping paths)
    :param env: variables for ``${...}`` substitution (default: ``os.environ``)
    :raises CollectionConfigError: one line per problem, naming file, collection and key
    """
    env = os.environ if env is None else env
    entries = data.get("collections") if isinstance(data, dict) else None
    problems: list[ConfigProblem] = []
    if isinstance(entries, list):
        entries = [_expand(entry, env, ("collections", i), problems)
                   for i, entry in enumerate(entries)]
        data = {**data, "collections": entries}
    report = _Report(source, entries)
    if problems:
        raise report.error(problems)
    try:
        checked = CollectionsFileModel.model_validate(data)
    except ValidationError as exc:
        raise report.error(config_problems(exc, tags=IMAGE_FILE_TAGS)) from None
    result: dict[str, CollectionConfig] = {}
    for index, model in enumerate(checked.collections):
        config = _config(model, source)
        mapping_file = config.mapping_path()
        if not mapping_file.is_file():
            problems.append(ConfigProblem(("collections", index, "mapping"),
                                          f"mapping file {mapping_file} does not exist"))
        if config.id in result:
            problems.append(ConfigProblem(("collections", index, "id"),
                                          "duplicate collection id"))
        result[config.id] = config
    if problems:
        raise report.error(problems)
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
