"""The payload store: per specimen, the exact metadata and files the upload step sends.

The prepare step stores each payload beside the ledger row; the mapped upload tasks get only
keys and read payloads here, so a retried or cleared task sends exactly what was registered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
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
#: The payloads of ``p_keys``, one page of a batch.
_SOME_PAYLOADS = sa.select(Payload.__table__).where(
    Payload.__table__.c.collection == sa.bindparam("p_collection"),
    Payload.__table__.c.key.in_(sa.bindparam("p_keys", expanding=True)))


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
        return _payload(row)

    def get_many(self, collection: str, keys: Sequence[str]) -> dict[str, SpecimenPayload]:
        """Return the payloads stored for ``keys`` (a key without one is left out)."""
        with self._ledger.engine.connect() as conn:
            rows = conn.execute(_SOME_PAYLOADS, {"p_collection": collection,
                                                 "p_keys": list(keys)}).mappings().all()
        return {row["key"]: _payload(row) for row in rows}


def _payload(row: Mapping[str, Any]) -> SpecimenPayload:
    return SpecimenPayload(key=row["key"], metadata=row["metadata_json"],
                           files=tuple(_file_spec(f) for f in row["files"]),
                           search_query=row["search_query"])


class BatchPayloads:
    """A batch's payloads for its threads, read a page at a time in the batch's order.

    One query a page instead of one a specimen (three round trips each on PostgreSQL): a
    payload not read yet is read with the next unread ones of the batch, which its threads
    ask for next. One is handed out once and then forgotten, so a specimen driven again
    (deferred) or outside the batch is read alone.

    :param store: where the payloads are.
    :param collection: the batch's collection.
    :param keys: the batch's keys, in the order its specimens are driven.
    :param page: payloads read together.
    """

    def __init__(self, store: PayloadStore, collection: str, keys: Sequence[str], *,
                 page: int = 100) -> None:
        self._store, self._collection, self._page = store, collection, page
        self._unread = dict.fromkeys(keys)  # in the batch's order
        self._ready: dict[str, SpecimenPayload] = {}
        self._lock = threading.Lock()

    def __call__(self, key: str) -> SpecimenPayload:
        """Return ``key``'s payload (:class:`MissingPayload` if none is stored)."""
        with self._lock:
            if key in self._unread:
                del self._unread[key]
                page = [key, *islice(self._unread, self._page - 1)]
                for read in page[1:]:
                    del self._unread[read]
                self._ready.update(self._store.get_many(self._collection, page))
            payload = self._ready.pop(key, None)
        return payload if payload is not None else self._store.get(self._collection, key)
