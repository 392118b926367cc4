"""Map a validated :class:`SpecimenRecord` to its Zenodo record (deposit metadata or an
InvenioRDM record body) and its files.

The mapping file format is described in docs/mappings.md. Whatever a mapping says, the result
carries the specimen key where Zenodo's search finds it (:mod:`zenodo.metadata.identity`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from zenodo.config.collection_file import CollectionConfig, resolve_mapping_path
from zenodo.config.mapping_model import MappingInvalid, SidecarModel, check_mapping
from zenodo.config.model_errors import key_path
from zenodo.config.yaml_errors import yaml_error_summary
from zenodo.metadata import jsonld_sidecar as jsonld
from zenodo.metadata.identity import DEPOSIT, RDM, IdentifierClash, add_key
from zenodo.metadata.rdm_body import RDM_TEMPLATE_GLOBALS, for_zenodo
from zenodo.metadata.refusals import refusals
from zenodo.metadata.template_helpers import TEMPLATE_GLOBALS
from zenodo.source.hashing_reader import file_digest
from zenodo.source.specimen import (
    FileSpec,
    SpecimenRecord,
    alternate_identifier,
    canonical_json,
)
from zenodo.validate.files import unsafe_name_reason
from zenodo.validate.problem import ERROR, Problem

log = logging.getLogger(__name__)

HASH_EXCLUDED_FIELDS = frozenset({"publication_date"})


class MappingConfigError(ValueError):
    """Raised for an invalid mapping file; the message names the file and the field."""


class MappingError(Exception):
    """Raised when one record cannot be mapped; names the record and the field."""

    def __init__(self, key: str, field: str, reason: str) -> None:
        super().__init__(f"record {key!r}: field {field!r}: {reason}")
        self.key, self.field, self.reason = key, field, reason

    def as_problem(self) -> Problem:
        """Return the error as a quarantine problem."""
        return Problem(self.key, self.field, ERROR, f"mapping failed: {self.reason}")


class ZenodoWouldRefuse(MappingError):
    """Raised when a mapped record holds what zenodo.org refuses; names field and value."""

    def __init__(self, problems: list[Problem]) -> None:
        first, rest = problems[0], problems[1:]
        super().__init__(first.key, first.field,
                         first.reason + "".join(f"; {p.field}: {p.reason}" for p in rest))
        self.problems = problems

    def as_problem(self) -> Problem:
        """Return the refusals as one quarantine problem."""
        return Problem(self.key, self.field, ERROR, f"zenodo.org would refuse: {self.reason}")


@dataclass(frozen=True)
class MappedSpecimen:
    """The record of one specimen: its metadata and files.

    ``metadata`` is the deposit metadata for ``POST /api/deposit/depositions`` when ``schema``
    is ``deposit``, the whole record body for ``POST /api/records`` when it is ``rdm``.
    """

    key: str
    metadata: dict[str, Any]
    files: tuple[FileSpec, ...]
    metadata_hash: str
    mapping_name: str
    mapping_version: str
    schema: str = DEPOSIT


@dataclass(frozen=True)
class MappingSpec:
    """A loaded, compiled mapping file."""

    name: str
    version: str
    path: Path
    metadata: Any
    params: dict[str, Any] = field(default_factory=dict)
    let: dict[str, str] = field(default_factory=dict)
    sidecar: bool = False
    sidecar_name: str = "{{ dwc.catalogNumber }}.json"
    sidecar_exclude: frozenset[str] = frozenset()
    description: str = ""
    schema: str = DEPOSIT


def metadata_hash(metadata: dict[str, Any], *, schema: str = DEPOSIT) -> str:
    """Return the sha256 hex digest of the metadata's canonical JSON.

    ``publication_date`` (of the body's ``metadata`` for ``schema="rdm"``) is left out: it is
    the day of mapping, and must not make every published record STALE the next day.
    """
    if schema == RDM and isinstance(metadata.get("metadata"), dict):
        inner = {k: v for k, v in metadata["metadata"].items() if k not in HASH_EXCLUDED_FIELDS}
        hashed = {**metadata, "metadata": inner}
    else:
        hashed = {k: v for k, v in metadata.items() if k not in HASH_EXCLUDED_FIELDS}
    return hashlib.sha256(canonical_json(hashed).encode("utf-8")).hexdigest()


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                                        trim_blocks=True, lstrip_blocks=True)
    env.globals.update(TEMPLATE_GLOBALS)
    env.globals.update(RDM_TEMPLATE_GLOBALS)
    return env


_ENV = _environment()


@functools.lru_cache(maxsize=4096)
def _template(source: str) -> jinja2.Template:
    """Compile a template once per process (a collection maps the same few for every record)."""
    return _ENV.from_string(source)


@functools.lru_cache(maxsize=4096)
def _expression(source: str) -> Any:
    """Compile an expression once per process."""
    return _ENV.compile_expression(source)


def _compile_all(node: Any, where: str, source: Path) -> None:
    """Compile every template and expression once, so syntax errors surface at load time."""
    try:
        if isinstance(node, str):
            _template(node)
        elif isinstance(node, dict) and set(node) == {"expr"}:
            _expression(str(node["expr"]))
        elif isinstance(node, dict):
            for key, value in node.items():
                _compile_all(value, f"{where}.{key}", source)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                _compile_all(value, f"{where}[{index}]", source)
    except jinja2.TemplateSyntaxError as exc:
        raise MappingConfigError(f"{source}: field {where!r}: {exc.message}") from exc


def load_mapping(name_or_path: str | os.PathLike[str]) -> MappingSpec:
    """Load and compile a mapping by name (``pilot1``) or path (trusted: a run's override
    goes through :func:`zenodo.config.mapping_files.resolve_override` first).

    :raises MappingConfigError: naming the file and the field, never quoting the file; one
        line per problem
    """
    path = resolve_mapping_path(os.fspath(name_or_path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingConfigError(f"{path}: cannot read mapping: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise MappingConfigError(f"{path}: cannot read mapping: not UTF-8 text") from None
    except yaml.YAMLError as exc:  # its message quotes the file: tell kind and position only
        raise MappingConfigError(f"{path}: cannot read mapping: {yaml_error_summary(exc)}"
                                 ) from None
    try:
        model = check_mapping(data)
    except MappingInvalid as exc:
        raise MappingConfigError("\n".join(
            f"{path}: field {key_path(p.loc)!r}: {p.message}" if p.loc else f"{path}: {p.message}"
            for p in exc.problems)) from None
    let = model.let or {}
    side = model.sidecar or SidecarModel()
    _compile_all(model.metadata, "metadata", path)
    _compile_all({k: {"expr": v} for k, v in let.items()}, "let", path)
    _compile_all(side.name, "sidecar.name", path)
    return MappingSpec(
        name=model.name, version=model.version, path=path, metadata=model.metadata,
        params=dict(model.params or {}), let=dict(let), sidecar=side.enabled,
        sidecar_name=side.name, sidecar_exclude=frozenset(side.exclude),
        description=model.description, schema=model.schema_,
    )


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


class Mapper:
    """Map records of one collection with one mapping.

    :param spec: the loaded mapping
    :param community: the Zenodo community slug (overrides ``params.community``)
    :param params: values that override the mapping's ``params``
    :param cache_dir: where sidecar files are written
    :param compute_md5: compute size and md5 of every file (needed by the upload engine)
    :param today: the date used as ``publication_date`` (default: today, UTC)
    """

    def __init__(self, spec: MappingSpec, *, community: str | None = None,
                 params: dict[str, Any] | None = None, cache_dir: Path | None = None,
                 compute_md5: bool = True, today: dt.date | None = None) -> None:
        self.spec = spec
        self.today = today
        self.params = {**spec.params, **(params or {})}
        if community:
            self.params["community"] = community
        default_cache = Path(tempfile.gettempdir()) / "specimen-to-zenodo" / "sidecars"
        self.cache_dir = Path(cache_dir or os.environ.get("ZENODO_CACHE_DIR") or default_cache)
        self.compute_md5 = compute_md5

    @classmethod
    def for_collection(cls, config: CollectionConfig, *, cache_dir: Path | None = None,
                       compute_md5: bool = True) -> Mapper:
        """Return the mapper a collection's config asks for."""
        return cls(load_mapping(config.mapping_path()), community=config.community,
                   params=config.mapping_params, cache_dir=cache_dir, compute_md5=compute_md5)

    @property
    def extra_files(self) -> int:
        """Return how many files the mapping adds to the images (the sidecar)."""
        return 1 if self.spec.sidecar else 0

    def _evaluate(self, node: Any, context: dict[str, Any], where: str, key: str) -> Any:
        try:
            if isinstance(node, str):  # a string without "{" is no template: it is itself
                return (_template(node).render(context) if "{" in node else node).strip()
            if isinstance(node, dict) and set(node) == {"expr"}:
                value = _expression(str(node["expr"]))(**context)
                if isinstance(value, jinja2.Undefined):
                    value._fail_with_undefined_error()
                return value
        except jinja2.UndefinedError as exc:
            raise MappingError(key, where, f"undefined value: {exc.message}") from exc
        except (jinja2.TemplateError, TypeError, ValueError, KeyError) as exc:
            raise MappingError(key, where, f"{type(exc).__name__}: {exc}") from exc
        if isinstance(node, dict):
            result = {}
            for name, value in node.items():
                rendered = self._evaluate(value, context, f"{where}.{name}", key)
                if not _empty(rendered):
                    result[name] = rendered
            return result
        if isinstance(node, list):
            items = [self._evaluate(v, context, f"{where}[{i}]", key) for i, v in enumerate(node)]
            return [item for item in items if not _empty(item)]
        return node

    def _today(self) -> dt.date:
        return self.today or dt.datetime.now(dt.UTC).date()

    def _context(self, record: SpecimenRecord) -> dict[str, Any]:
        context: dict[str, Any] = {
            "dwc": dict(record.terms), "key": record.key,
            "alternate_id": alternate_identifier(record), "params": self.params,
            "community": self.params.get("community"),
            "images": [spec.name for spec in record.images], "sidecar": None,
            "publication_date": str(self.params.get("publication_date")
                                    or self._today().isoformat()),
        }
        if self.spec.sidecar:
            context["sidecar"] = jsonld.build_document(
                record, context["images"], self.spec.sidecar_exclude)
        for name, expression in self.spec.let.items():
            context[name] = self._evaluate({"expr": expression}, context, f"let.{name}",
                                           record.key)
        return context

    def _files(self, record: SpecimenRecord, context: dict[str, Any]) -> tuple[FileSpec, ...]:
        files = [FileSpec(s.path, s.name, *file_digest(s.path))
                 if self.compute_md5 else s for s in record.images]
        if self.spec.sidecar:
            name = self._evaluate(self.spec.sidecar_name, context, "sidecar.name", record.key)
            reason = unsafe_name_reason(name)
            if reason:
                raise MappingError(record.key, "sidecar.name", f"{name!r}: {reason}")
            content = jsonld.serialise(context["sidecar"])
            folder = hashlib.sha256(record.key.encode("utf-8")).hexdigest()[:16]
            path = self.cache_dir / folder / name
            jsonld.write_atomically(path, content)
            files.append(FileSpec(path, name, len(content),
                                  hashlib.md5(content, usedforsecurity=False).hexdigest()))
        return tuple(files)

    def map(self, record: SpecimenRecord) -> MappedSpecimen:
        """Map one record.

        :raises MappingError: naming the record and the field
        :raises ZenodoWouldRefuse: (a :class:`MappingError`) for what zenodo.org would refuse
        """
        context = self._context(record)
        metadata = self._evaluate(self.spec.metadata, context, "metadata", record.key)
        try:
            add_key(self.spec.schema, record, metadata)
        except IdentifierClash as exc:
            raise MappingError(record.key, "metadata.identifiers", str(exc)) from exc
        metadata = _nfc(metadata)
        schema = self.spec.schema
        if schema == RDM:
            metadata = for_zenodo(metadata)
        try:
            files = self._files(record, context)
        except OSError as exc:
            raise MappingError(record.key, "files", f"cannot read file: {exc}") from exc
        refused = refusals(record.key, schema, metadata, files, self._today())
        if refused:
            raise ZenodoWouldRefuse(refused)
        return MappedSpecimen(record.key, metadata, files,
                              metadata_hash(metadata, schema=schema), self.spec.name,
                              self.spec.version, schema)

    def map_many(self, records: Iterable[SpecimenRecord]
                 ) -> Iterator[MappedSpecimen | MappingError]:
        """Map records one by one; a failing record yields its error and the batch goes on."""
        for record in records:
            try:
                yield self.map(record)
            except MappingError as exc:
                log.warning("Mapping failed for %s at %s: %s", exc.key, exc.field, exc.reason)
                yield exc
