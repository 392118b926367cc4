"""The model of a collections file (``include/collections.yaml``): every key of an entry, its
type, its default and its check; docs/collections.md describes them.

It checks an entry after ``${NAME}`` substitution (:mod:`zenodo.config.collection_file`),
which also checks what needs the file system (the mapping file exists) or the whole file
(ids are unique).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from zenodo.config.model_base import NonBlank, StrictModel
from zenodo.config.summary_model import SummaryModel
from zenodo.config.url_credentials import credential_refusal, shown
from zenodo.config.writeback_model import WritebackModel

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{0,199}$"
SQL_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$"
COLUMN_PATTERN = r"^[A-Za-z_][A-Za-z0-9_:]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
#: The tags of an image file's union: a template string or a mapping.
IMAGE_FILE_TAGS = ("template", "file")


def _one_of(*keys: str) -> dict[str, Any]:
    """Return the JSON Schema part that asks for exactly one of ``keys``."""
    return {"oneOf": [{"required": [key]} for key in keys]}


class DatabaseModel(StrictModel, json_schema_extra=_one_of("url", "conn_id")):
    """Where the rows are: exactly one of a SQLAlchemy URL and an Airflow connection id."""

    url: NonBlank | None = Field(None, description="a SQLAlchemy URL, used as is")
    conn_id: NonBlank | None = Field(
        None, description="an Airflow connection id, read when a task runs")

    @model_validator(mode="after")
    def _exactly_one(self) -> DatabaseModel:
        if (self.url is None) == (self.conn_id is None):
            raise ValueError("give exactly one of 'url' and 'conn_id'")
        return self


class ImageFileModel(StrictModel):
    """One image file template with its upload name, and whether it may be absent."""

    path: NonBlank = Field(description="a template over the row's terms; globs allowed")
    name: NonBlank | None = Field(None, description="the upload name (a template)")
    optional: bool = Field(False, description="leave the file out when it is absent")


def _image_file_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "template"
    return "file" if isinstance(value, dict) else None


ImageFile = Annotated[
    Annotated[NonBlank, Tag("template")] | Annotated[ImageFileModel, Tag("file")],
    Discriminator(_image_file_kind, custom_error_type="image_file",
                  custom_error_message="must be a template or a mapping with 'path'"),
]


class ImagesModel(StrictModel):
    """Where a specimen's image files are: a root folder and file-name templates."""

    root: NonBlank = Field(
        description="the folder the files are in, or a URL: http(s)://, file://, or an object "
                    "store's (s3://bucket/prefix/, gs://…) read through Airflow's "
                    "ObjectStoragePath; never with credentials in it")
    files: list[ImageFile] = Field(
        min_length=1, description="templates over the row's Darwin Core terms")
    conn_id: NonBlank | None = Field(
        None, description="the Airflow connection an object store's images are read with "
                          "(e.g. an 'aws' connection for s3://); default: the store's own "
                          "default credentials")

    @field_validator("root")
    @classmethod
    def _root_without_credentials(cls, root: str) -> str:
        if (why := credential_refusal(root)) is not None:
            raise ValueError(why)
        return root

    @field_validator("files")
    @classmethod
    def _files_without_credentials(cls, files: list[Any]) -> list[Any]:
        for item in files:
            path = item if isinstance(item, str) else item.path
            if (why := credential_refusal(path)) is not None:
                raise ValueError(f"{shown(path)!r}: {why}")
        return files


class DwcaModel(StrictModel):
    """Where a Darwin Core Archive is: a local zip or an http(s) URL (e.g. an IPT's archive)."""

    path: NonBlank = Field(
        description="a DwC-A zip: a local path (relative: to the collections file's folder) or "
                    "an http(s) URL, downloaded to the cache folder")


#: A collection reads a database's ``table`` or ``query``, or a DwC-A (``dwca``), never two.
_SOURCE_SCHEMA = {
    **_one_of("table", "query", "dwca"),
    "dependentRequired": {"table": ["database"], "query": ["database"]},
    "dependentSchemas": {"dwca": {"not": {"anyOf": [
        {"required": ["database"]}, {"required": ["modified_column"]}]}}},
}


class CollectionModel(StrictModel, json_schema_extra=_SOURCE_SCHEMA):
    """One collection: one DAG."""

    id: str = Field(pattern=ID_PATTERN, description="the DAG id, unique in the file")
    description: str = Field("", description="text shown in the DAG's doc")
    dwca: DwcaModel | None = Field(
        None, description="a Darwin Core Archive to read instead of a database")
    database: DatabaseModel | None = Field(None, validate_default=True)
    table: str | None = Field(
        None, pattern=SQL_NAME_PATTERN, description="the table to read: name or schema.name")
    query: NonBlank | None = Field(
        None, validate_default=True, description="a SELECT to read instead of a table")
    rename: dict[str, NonBlank] | None = Field(
        {}, description="source column -> Darwin Core term")
    images: ImagesModel
    key: Literal["auto", "occurrenceID", "triplet"] = Field(
        "auto", description="how a specimen's stable key is made")
    modified_column: str | None = Field(
        None, pattern=COLUMN_PATTERN, description="the source column of each row's last change")
    mapping: NonBlank = Field(
        description="a mapping name (include/mappings/<name>.yaml) or a path")
    mapping_params: dict[str, Any] | None = Field(
        {}, description="values the mapping's templates see as params")
    community: str | None = Field(
        None, pattern=SLUG_PATTERN, description="the Zenodo community slug")
    zenodo_conn_id: NonBlank = Field(
        "zenodo_default", description="the Airflow connection to Zenodo (and the pool)")
    schedule: NonBlank | None = Field(
        "@daily", description="a cron expression or preset; null for manual runs only")
    batch_size: int = Field(100, ge=1, le=10_000, description="specimens per upload task")
    concurrency: int = Field(4, ge=1, le=64, description="worker threads per upload task")
    chunk_size: int = Field(
        1000, ge=1, le=100_000, description="rows fetched per database round trip")
    writeback: WritebackModel | None = Field(
        None, description="write each published specimen's DOI back into the database")
    summary: SummaryModel | None = Field(
        None, description="publish the collection's summary record (a dataset) after each "
                          "run that changed what is published")

    @field_validator("database")
    @classmethod
    def _database_or_dwca(cls, database: DatabaseModel | None, info: ValidationInfo
                          ) -> DatabaseModel | None:
        if "dwca" not in info.data:
            return database  # a wrong dwca is told on its own
        if database is None and info.data["dwca"] is None:
            raise PydanticCustomError("missing", "give 'database' (or 'dwca')")
        if database is not None and info.data["dwca"] is not None:
            raise ValueError("give exactly one of 'database' and 'dwca'")
        return database

    @field_validator("modified_column")
    @classmethod
    def _not_for_dwca(cls, column: str | None, info: ValidationInfo) -> str | None:
        if column is not None and info.data.get("dwca") is not None:
            raise ValueError("a 'dwca' collection reads the core's dcterms:modified; "
                             "'modified_column' is for databases")
        return column

    @field_validator("query")
    @classmethod
    def _table_or_query(cls, query: str | None, info: ValidationInfo) -> str | None:
        if "dwca" not in info.data:
            return query  # a wrong dwca is told on its own
        if info.data["dwca"] is not None:
            if info.data.get("table") is not None or query is not None:
                raise ValueError("a 'dwca' collection reads its archive's core: "
                                 "give neither 'table' nor 'query'")
            return query
        if "table" in info.data and (info.data["table"] is None) == (query is None):
            raise ValueError("give exactly one of 'table' and 'query'")
        return query  # a wrong table is told on its own

    @field_validator("writeback")
    @classmethod
    def _somewhere_to_write(cls, writeback: WritebackModel | None, info: ValidationInfo
                            ) -> WritebackModel | None:
        if writeback is not None and writeback.database is None \
                and info.data.get("dwca") is not None:
            raise ValueError("a 'dwca' collection has no database of its own: "
                             "give 'writeback.database'")
        return writeback


class CollectionsFileModel(StrictModel):
    """A collections file: one entry per collection, one DAG per entry."""

    collections: list[CollectionModel]
