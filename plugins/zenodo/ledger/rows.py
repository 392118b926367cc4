"""Plain, frozen views of ledger rows, and validation of what callers write into them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zenodo.ledger.states import State

_MD5 = re.compile(r"^[0-9a-f]{32}$")
MAX_MESSAGE = 2000
#: The longest remote id the ledger stores (its id columns are ``VARCHAR(64)``).
MAX_ID = 64


class LeaseLost(RuntimeError):
    """A write was attempted by a worker that does not hold the specimen's lease."""

    def __init__(self, collection: str, key: str, owner: str, holder: str | None) -> None:
        self.collection = collection
        self.key = key
        self.owner = owner
        self.holder = holder
        super().__init__(
            f"specimen {collection}/{key}: lease not held by {owner!r} (held by {holder!r})"
        )


class SpecimenNotFound(LookupError):
    """The ledger has no row for the specimen."""

    def __init__(self, collection: str, key: str) -> None:
        self.collection = collection
        self.key = key
        super().__init__(f"specimen {collection}/{key}: not in the ledger")


@dataclass(frozen=True)
class FileEntry:
    """One file of a specimen: what we send, and whether the server confirmed it."""

    name: str
    size: int
    md5: str
    uploaded: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form stored in the ledger."""
        return {"name": self.name, "size": self.size, "md5": self.md5, "uploaded": self.uploaded}

    @property
    def identity(self) -> tuple[str, int, str]:
        """Return what makes two entries the same file."""
        return (self.name, self.size, self.md5)


@dataclass(frozen=True)
class SpecimenRow:
    """A snapshot of one specimen's ledger row."""

    collection: str
    key: str
    state: State
    prior_state: State | None
    deposition_id: str | None
    record_id: str | None
    doi: str | None
    concept_doi: str | None
    concept_recid: str | None
    bucket_url: str | None
    metadata_hash: str | None
    files: tuple[FileEntry, ...]
    mapping_name: str | None
    mapping_version: str | None
    source_modified: datetime | None
    attempts: int
    last_error_kind: str | None
    last_error_status: int | None
    last_error_message: str | None
    last_error_at: datetime | None
    retry_after: datetime | None
    quarantine_reasons: tuple[str, ...]
    lease_owner: str | None
    lease_expires: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def all_files_uploaded(self) -> bool:
        """Tell whether the server confirmed every file's md5."""
        return all(f.uploaded for f in self.files)

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> SpecimenRow:
        """Build a snapshot from a database row mapping."""
        values = {name: row[name] for name in cls.__dataclass_fields__}
        values["state"] = State(values["state"])
        values["prior_state"] = State(values["prior_state"]) if values["prior_state"] else None
        values["files"] = tuple(FileEntry(**f) for f in values["files"] or ())
        values["quarantine_reasons"] = tuple(values["quarantine_reasons"] or ())
        return cls(**values)

    def as_mapping(self) -> dict[str, Any]:
        """Return the row as the database holds it (the inverse of :meth:`from_mapping`)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values["state"] = self.state.value
        values["prior_state"] = self.prior_state.value if self.prior_state else None
        values["files"] = [f.to_json() for f in self.files]
        values["quarantine_reasons"] = list(self.quarantine_reasons)
        return values


@dataclass(frozen=True)
class EventRow:
    """One recorded state change."""

    id: int
    collection: str
    key: str
    from_state: State | None
    to_state: State
    at: datetime
    actor: Any
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class Watermarks:
    """Where a collection's last extract and last OAI-PMH harvest got to (None: never)."""

    collection: str
    extract: str | None
    harvest: str | None
    updated_at: datetime | None


def parse_files(collection: str, key: str, files: Iterable[Any]) -> list[FileEntry]:
    """Validate a specimen's files; raise ValueError naming the specimen and the field.

    :param files: mappings (or FileEntry) with ``name``, ``size``, ``md5`` (``uploaded`` ignored).
    """
    entries: list[FileEntry] = []
    for i, raw in enumerate(files):
        item = raw.to_json() if isinstance(raw, FileEntry) else raw
        where = f"specimen {collection}/{key}: files[{i}]"
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}: expected a mapping with name, size, md5")
        name, size, md5 = item.get("name"), item.get("size"), item.get("md5")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where}.name: expected a non-empty string, got {name!r}")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"{where}.size: expected an integer >= 0, got {size!r}")
        if not isinstance(md5, str) or not _MD5.match(md5.lower()):
            raise ValueError(f"{where}.md5: expected 32 hex digits, got {md5!r}")
        if any(e.name == name for e in entries):
            raise ValueError(f"{where}.name: duplicate file name {name!r}")
        entries.append(FileEntry(name=name, size=size, md5=md5.lower()))
    return entries


def confirm_file(collection: str, key: str, files: Iterable[Mapping[str, Any]], *, name: str,
                 size: int, md5: str) -> list[dict[str, Any]]:
    """Return the ledger's ``files`` JSON with ``name`` marked uploaded.

    :raises ValueError: naming the specimen and the file, when the ledger has no such file or
        the server's size or md5 differ from the ledger's.
    """
    entries = [FileEntry(**f) for f in files]
    match = [f for f in entries if f.name == name]
    if not match:
        raise ValueError(f"specimen {collection}/{key}: files: no file named {name!r}")
    if (match[0].size, match[0].md5) != (size, md5.lower()):
        raise ValueError(
            f"specimen {collection}/{key}: files[{name!r}]: server has size={size} "
            f"md5={md5}, ledger expects size={match[0].size} md5={match[0].md5}"
        )
    return [FileEntry(*f.identity, uploaded=f.uploaded or f.name == name).to_json()
            for f in entries]


def carry_uploads(old: Iterable[FileEntry], new: list[FileEntry]) -> list[FileEntry]:
    """Mark a new file uploaded when the very same file was uploaded before.

    When a file was removed or replaced, every file is marked not uploaded: the engine must
    resynchronise the deposition's files (a new version), not only edit its metadata.
    """
    old = list(old)
    uploaded = {f.identity for f in old if f.uploaded}
    new_ids = {f.identity for f in new}
    if any(f.identity not in new_ids for f in old):
        return [FileEntry(*f.identity, uploaded=False) for f in new]
    return [FileEntry(*f.identity, uploaded=f.identity in uploaded) for f in new]


def as_id(collection: str, key: str, field: str, value: Any) -> str | None:
    """Return a remote id as the text the ledger stores; raise ValueError naming the field.

    :param value: Zenodo's numeric id (``123`` or ``"123"``), an InvenioRDM id
        (``"abcde-12345"``), or None; text must be non-empty, at most ``MAX_ID`` characters,
        without spaces.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"specimen {collection}/{key}: {field}: expected an id, got {value!r}")
    text = str(value)
    if not text or len(text) > MAX_ID or any(c.isspace() for c in text):
        raise ValueError(
            f"specimen {collection}/{key}: {field}: expected a non-empty id of at most {MAX_ID} "
            f"characters without spaces, got {value!r}"
        )
    return text


def clip(message: str | None) -> str | None:
    """Shorten an error message to what the ledger keeps."""
    if message is None or len(message) <= MAX_MESSAGE:
        return message
    return message[: MAX_MESSAGE - 1] + "…"


def record_order(record_id: str) -> tuple[int, int, str]:
    """Return the sort key of a record id: "oldest" first, as far as ids tell.

    Numeric ids (Zenodo's) sort numerically (``"9"`` < ``"10"``) and before the others
    (InvenioRDM's ``"abcde-12345"``), which sort as text.
    """
    if record_id.isascii() and record_id.isdigit():
        return (0, int(record_id), record_id)
    return (1, 0, record_id)
