"""Stream specimen rows from a collection database as :class:`SpecimenRecord` objects.

Rows come in chunks, so memory stays flat whatever the table size; a run's values are always
bound parameters. Incremental runs are inclusive (``modified_column >= since``): a row read
twice is harmless, the ledger compares its hashes. Text a SQLite source holds that is not
UTF-8 reaches validation with U+FFFD in place of its bad bytes (the row is quarantined, the
others are read); an image file is found whether its name is NFC or NFD (as macOS writes it).
"""

from __future__ import annotations

import functools
import glob
import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa

from zenodo.config.collection_file import CollectionConfig, ImageTemplate, resolve_db_url
from zenodo.source.image_urls import ImagePath, is_url, local_root, location, root_url, under_url
from zenodo.source.specimen import (
    FileSpec,
    SpecimenRecord,
    derive_key,
    normalise_terms,
    normalise_value,
    strip_invisible,
)

log = logging.getLogger(__name__)

_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_:]*)\}")
_GLOB_CHARS = re.compile(r"[*?\[]")
_COLUMN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_:]*$")

FilterValue = str | int | float | Sequence[str | int | float]


class ExtractError(ValueError):
    """Raised for an extract request that cannot be honoured (e.g. an unknown filter term)."""


def _source_column(config: CollectionConfig, term: str) -> str:
    """Return the source column that holds ``term`` (reverse of the rename map)."""
    for column, renamed in config.rename.items():
        if renamed == term:
            return column
    return term


def build_select(
    config: CollectionConfig,
    *,
    since: Any = None,
    where: Mapping[str, FilterValue] | None = None,
    limit: int | None = None,
) -> sa.Select[Any]:
    """Build the SELECT for a collection; every run value is a bound parameter.

    :param config: the collection
    :param since: watermark: only rows with ``modified_column >= since`` (needs the column)
    :param where: term (or source column) → value or list of values, ANDed as ``=``/``IN``
    :param limit: at most this many rows
    """
    if config.table is not None:
        schema, _, name = config.table.rpartition(".")
        source: Any = sa.table(name, schema=schema or None)
    else:
        source = sa.text(f"({config.query}) AS src")  # from the checked config, not a run
    stmt = sa.select(sa.literal_column("*")).select_from(source)
    if since is not None:
        if not config.modified_column:
            raise ExtractError(
                f"collection {config.id!r}: incremental run needs 'modified_column'"
            )
        stmt = stmt.where(sa.column(config.modified_column) >= sa.bindparam("since", since))
    for index, (term, value) in enumerate(sorted((where or {}).items())):
        column_name = _source_column(config, term)
        if not _COLUMN_RE.match(column_name):
            raise ExtractError(f"collection {config.id!r}: invalid filter term {term!r}")
        column = sa.column(column_name)
        if isinstance(value, list | tuple | set | frozenset):
            param = sa.bindparam(f"w{index}", list(value), expanding=True)
            stmt = stmt.where(column.in_(param))
        else:
            stmt = stmt.where(column == sa.bindparam(f"w{index}", value))
    if config.modified_column:
        stmt = stmt.order_by(sa.column(config.modified_column))
    if limit is not None:
        stmt = stmt.limit(sa.bindparam("row_limit", int(limit)))
    return stmt


def _decode_sqlite_text(raw: bytes) -> str:
    """Decode a SQLite TEXT value; bytes that are not UTF-8 become U+FFFD (one bad row, not all)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


@contextmanager
def _lenient_text(conn: sa.Connection) -> Iterator[None]:
    """On a pysqlite connection, read invalid UTF-8 text instead of failing the whole cursor."""
    driver = conn.connection.driver_connection
    if conn.dialect.name != "sqlite" or not hasattr(driver, "text_factory"):
        yield
        return
    previous = driver.text_factory
    driver.text_factory = _decode_sqlite_text
    try:
        yield
    finally:
        driver.text_factory = previous


def stream_rows(
    engine: sa.Engine, stmt: sa.Select[Any], chunk_size: int
) -> Iterator[dict[str, Any]]:
    """Yield rows of ``stmt`` as dicts, fetching ``chunk_size`` rows per round trip."""
    with engine.connect() as conn, _lenient_text(conn):
        streaming = conn.execution_options(stream_results=True, yield_per=chunk_size)
        result = streaming.execute(stmt)
        for partition in result.mappings().partitions():
            for row in partition:
                yield dict(row)


def _render(template: str, values: Mapping[str, str], escape: bool) -> str | None:
    """Fill ``{term}`` placeholders; ``None`` when a term is missing."""
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        value = values.get(match.group(1))
        if value is None or value == "":
            missing = True
            return ""
        return glob.escape(value) if escape else value

    rendered = _PLACEHOLDER_RE.sub(replace, template)
    return None if missing else rendered


def _spellings(rendered: str) -> list[str]:
    """``rendered`` as given, in NFC and in NFD (macOS names files in NFD), without repeats."""
    return list(dict.fromkeys([rendered, unicodedata.normalize("NFC", rendered),
                               unicodedata.normalize("NFD", rendered)]))


def _existing(root: Path, rendered: str) -> Path:
    """The file ``root / rendered`` under whichever normalisation exists (else as given)."""
    for spelling in _spellings(rendered):
        if (root / spelling).is_file():
            return root / spelling
    return root / rendered


def _glob_any_form(root: Path, rendered: str) -> list[Path]:
    """Files matching the pattern ``root / rendered`` spelt in NFC or NFD, sorted."""
    found = {path for spelling in _spellings(rendered) for path in glob.glob(str(root / spelling))}
    return [Path(p) for p in sorted(found)]


@functools.lru_cache(maxsize=64)
def _roots(root: Path | str) -> tuple[str | None, Path]:
    """``images.root`` as ``(URL or None, local folder)``, worked out once per root."""
    return root_url(root), local_root(root)


def _remote_images(root: str | None, templates: Sequence[ImageTemplate],
                   values: Mapping[str, str], conn_id: str | None = None
                   ) -> Iterator[tuple[ImagePath, str]]:
    """``(path, rendered)`` of templates that name URLs, or of every template under a URL root.

    A URL is taken as written (no glob: ``?`` starts its query) and never fetched here; an
    object store's is opened with the connection ``conn_id``.
    """
    for template in templates:
        rendered = _render(template.path, values, escape=False)
        if rendered is None:
            continue
        if is_url(rendered):
            yield location(rendered, conn_id), rendered
        elif root is not None:
            yield under_url(root, rendered, conn_id), rendered


def resolve_images(
    root: Path | str, templates: Sequence[ImageTemplate], terms: Mapping[str, Any],
    conn_id: str | None = None,
) -> tuple[FileSpec, ...]:
    """Return the image files of one specimen, in template order then name order.

    A template with glob characters yields every match (possibly none); a plain template
    yields its path whether or not the file exists (validation reports missing files), unless
    it is marked optional, in which case an absent file is skipped. A file is found under an
    NFC or NFD name; its upload name is NFC. A template that renders a URL, or any template
    under a URL ``root``, names a remote image (``file://`` ones are local paths); ``optional``
    and globs apply to local files only. ``conn_id`` (``images.conn_id``) opens an object
    store's images (``s3://``…).
    """
    url_root, folder = _roots(root)
    values = {k: str(v) for k, v in terms.items()}
    values["image_root"] = url_root or str(folder)
    files: list[FileSpec] = []
    seen: set[ImagePath] = set()
    for template in templates:
        may_be_url = template.path.startswith("{") or is_url(template.path)
        if url_root is not None or (
                may_be_url and is_url(_render(template.path, values, escape=False) or "")):
            found = list(_remote_images(url_root, [template], values, conn_id))
        else:
            found = _local_images(folder, template, values)
        for path, rendered in found:
            if path in seen:
                continue
            seen.add(path)
            named = _render(template.name, values, escape=False) if template.name else None
            if isinstance(path, Path) and _GLOB_CHARS.search(rendered):
                named = unicodedata.normalize("NFC", path.name)
            name = named or PurePosixPath(rendered.split("?")[0]).name
            files.append(FileSpec(path=path, name=unicodedata.normalize("NFC", name)))
    return tuple(files)


def _local_images(root: Path, template: ImageTemplate, values: Mapping[str, str]
                  ) -> list[tuple[ImagePath, str]]:
    """``(path, rendered)`` of one template's files under a local ``root``."""
    is_glob = bool(_GLOB_CHARS.search(_PLACEHOLDER_RE.sub("", template.path)))
    rendered = _render(template.path, values, escape=is_glob)
    if rendered is None:
        return []
    if is_glob:  # an absolute ``rendered`` ignores root
        return [(path, str(path)) for path in _glob_any_form(root, rendered)]
    path = _existing(root, rendered)
    if template.optional and not path.is_file():
        return []
    return [(path, rendered)]


def row_to_record(config: CollectionConfig, row: Mapping[str, Any], row_number: int = 0
                  ) -> SpecimenRecord:
    """Rename, normalise and key one database row, and resolve its image files."""
    renamed = {config.rename.get(column, column): value for column, value in row.items()}
    terms = normalise_terms(renamed)
    key = derive_key(terms, config.key_rule)  # before cleaning: validation sees what it holds
    terms, cleaned = strip_invisible(terms)
    if config.modified_column:
        modified = normalise_value(row.get(config.modified_column))
    else:
        modified = terms.get("modified")
    return SpecimenRecord(
        key=key,
        terms=terms,
        modified=None if modified is None else str(modified),
        images=resolve_images(config.image_root, config.image_templates, terms,
                              config.image_conn_id),
        row_number=row_number,
        cleaned=cleaned,
    )


def extract_records(
    config: CollectionConfig,
    *,
    engine: sa.Engine | None = None,
    since: Any = None,
    where: Mapping[str, FilterValue] | None = None,
    limit: int | None = None,
    chunk_size: int | None = None,
) -> Iterator[SpecimenRecord]:
    """Stream the collection's rows as records, one chunk at a time.

    :param config: the collection
    :param engine: an engine to reuse (default: one made from the collection's database)
    :param since: watermark for incremental runs (inclusive)
    :param where: equality / IN filters on terms, as bound parameters
    :param limit: stop after this many rows
    :param chunk_size: rows per round trip (default: the collection's ``chunk_size``)
    """
    stmt = build_select(config, since=since, where=where, limit=limit)
    own_engine = engine is None
    if engine is None:
        engine = sa.create_engine(resolve_db_url(config))
    try:
        log.info("Extracting collection %s (since=%s)", config.id, since)
        count = 0
        for count, row in enumerate(stream_rows(engine, stmt, chunk_size or config.chunk_size),
                                    start=1):
            yield row_to_record(config, row, count)
        log.info("Extracted %d rows from collection %s", count, config.id)
    finally:
        if own_engine:
            engine.dispose()


def newest_modified(current: str | None, candidate: str | None) -> str | None:
    """Return the later of two ISO 8601 stamps (for the next watermark); ``None`` is oldest."""
    if candidate is None:
        return current
    if current is None:
        return candidate
    return max(current, candidate)
