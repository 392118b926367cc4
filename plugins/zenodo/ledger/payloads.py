"""The payload store: per specimen, the exact metadata and files the upload step sends.

The prepare step stores each payload beside the ledger row; the mapped upload tasks get only
keys and read payloads here, so a retried or cleared task sends exactly what was registered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zenodo.source.hashing_reader import CheckedFileSpec, with_identity
from zenodo.source.image_urls import stored_path
from zenodo.source.specimen import FileSpec
from zenodo.store.tables import Payload

if TYPE_CHECKING:
    from zenodo.ledger.ledger import Ledger

#: One specimen's payload (read once per specimen a batch drives: built once, see
#: :mod:`zenodo.ledger.statements`).
_ONE_PAYLOAD = sa.select(Payload.__table__).where(
    Payload.__table__.c.collection == sa.bindparam("p_collection"),
    Payload.__table__.c.key == sa.bindparam("p_key"))


@dataclass(frozen=True)
class SpecimenPayload:
    """What is sent for one specimen: deposit metadata, files, and how to find it again.

    :param key: the specimen's stable key.
    :param metadata: the deposit metadata (contains the key, so search can find it).
    :param files: the files to upload (images, sidecar), each with size and md5 (and, read
        back from the store, the identity of the file validated).
    :param search_query: the deposit-search ``q`` that finds this specimen's depositions.
    """

    key: str
    metadata: dict[str, Any]
    files: tuple[FileSpec, ...]
    search_query: str


class MissingPayload(LookupError):
    """The specimen has no stored payload: run the prepare step first."""


def _file_json(spec: FileSpec) -> dict[str, Any]:
    """A file as stored, with the identity (device, inode) of the file validated just now."""
    checked = spec if isinstance(spec, CheckedFileSpec) and spec.inode is not None \
        else with_identity(spec)
    stored = {"name": spec.name, "path": str(spec.path), "size": spec.size, "md5": spec.md5,
              "device": checked.device, "inode": checked.inode}
    conn_id = getattr(spec.path, "conn_id", None)  # an object store's connection (not a secret)
    return {**stored, "conn_id": conn_id} if conn_id else stored


def _file_spec(entry: dict[str, Any]) -> CheckedFileSpec:
    """A stored file (the upload opens it with ``open_checked``, which checks its identity);
    a remote image's path is its URL (an object store's with its connection id)."""
    return CheckedFileSpec(stored_path(entry["path"], entry.get("conn_id")), entry["name"],
                           entry.get("size"),
                           entry.get("md5"), entry.get("device"), entry.get("inode"))


class PayloadStore:
    """Read and write payloads in the ledger's database.

    :param ledger: the ledger whose engine (and migrated schema) is used.
    """

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._table = Payload.__table__

    def put_many(self, collection: str, payloads: Iterable[SpecimenPayload]) -> int:
        """Insert or replace payloads in one transaction; return how many were written."""
        now = datetime.now(UTC)
        rows = [
            {
                "collection": collection,
                "key": p.key,
                "metadata_json": p.metadata,
                "files": [_file_json(f) for f in p.files],
                "search_query": p.search_query,
                "updated_at": now,
            }
            for p in payloads
        ]
        if not rows:
            return 0
        table = self._table
        keys = [r["key"] for r in rows]
        with self._ledger.engine.begin() as conn:
            conn.execute(
                table.delete().where(table.c.collection == collection, table.c.key.in_(keys))
            )
            conn.execute(table.insert(), rows)
        return len(rows)

    def get(self, collection: str, key: str) -> SpecimenPayload:
        """Return one specimen's payload.

        :raises MissingPayload: nothing stored for the key.
        """
        with self._ledger.engine.connect() as conn:
            row = conn.execute(_ONE_PAYLOAD, {"p_collection": collection, "p_key": key}
                               ).mappings().first()
        if row is None:
            raise MissingPayload(f"specimen {collection}/{key}: no payload stored")
        return SpecimenPayload(
            key=key,
            metadata=row["metadata_json"],
            files=tuple(_file_spec(f) for f in row["files"]),
            search_query=row["search_query"],
        )
