"""Persist depositions, files and the lagging search indexes in one SQLite file.

One connection in WAL mode, guarded by a re-entrant lock: every public method is atomic, and
``transaction()`` groups several calls into one atomic unit. Handlers run in FastAPI's thread
pool, so the lock is what makes the server safe for concurrent clients.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zenodo_sandbox.search_index import SearchIndexes, column_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS pids (id INTEGER PRIMARY KEY AUTOINCREMENT);
CREATE TABLE IF NOT EXISTS depositions (
    id INTEGER PRIMARY KEY, conceptrecid TEXT NOT NULL, owner TEXT NOT NULL,
    state TEXT NOT NULL, submitted INTEGER NOT NULL DEFAULT 0, draft TEXT, record TEXT,
    bucket TEXT UNIQUE NOT NULL, communities TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL, modified REAL NOT NULL, published REAL, updated REAL,
    revision INTEGER NOT NULL DEFAULT 1, deleted INTEGER NOT NULL DEFAULT 0);
DROP INDEX IF EXISTS dep_owner;
CREATE INDEX IF NOT EXISTS dep_concept ON depositions(conceptrecid);
CREATE INDEX IF NOT EXISTS dep_counts ON depositions(owner, state, deleted);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, depid INTEGER NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL,
    md5 TEXT NOT NULL, mimetype TEXT NOT NULL, version_id TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL, path TEXT NOT NULL, UNIQUE(depid, key));
CREATE TABLE IF NOT EXISTS search_index (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, recid INTEGER NOT NULL,
    owner TEXT, visible_at REAL NOT NULL, updated REAL, sets TEXT NOT NULL DEFAULT '',
    doc TEXT);
CREATE INDEX IF NOT EXISTS idx_kind ON search_index(kind, recid, visible_at);
CREATE VIRTUAL TABLE IF NOT EXISTS search_words USING fts5(words);
CREATE TABLE IF NOT EXISTS rdm_state (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
"""

#: Depositions by owner, state and deletion, read off the ``dep_counts`` index.
STATE_COUNTS = ("SELECT owner, state, deleted, COUNT(*) FROM depositions "
                "GROUP BY owner, state, deleted")

_DEP_COLUMNS = (
    "id, conceptrecid, owner, state, submitted, draft, record, bucket, communities, "
    "created, modified, published, updated, revision, deleted"
)


@dataclass
class Deposition:
    """One deposition row; ``draft``/``record`` hold the draft and published metadata."""

    id: int
    conceptrecid: str
    owner: str
    state: str  # unsubmitted | inprogress | done
    bucket: str
    created: float
    modified: float
    submitted: bool = False
    draft: dict[str, Any] | None = None
    record: dict[str, Any] | None = None
    communities: list[str] = field(default_factory=list)
    published: float | None = None
    updated: float | None = None
    revision: int = 1
    deleted: bool = False


@dataclass
class StoredFile:
    """One file of a deposition; ``path`` is the blob on disk."""

    id: str
    depid: int
    key: str
    size: int
    md5: str
    mimetype: str
    version_id: str
    created: float
    updated: float
    path: str


def _dep_from_row(row: tuple) -> Deposition:
    return Deposition(
        id=row[0], conceptrecid=row[1], owner=row[2], state=row[3], submitted=bool(row[4]),
        draft=json.loads(row[5]) if row[5] is not None else None,
        record=json.loads(row[6]) if row[6] is not None else None,
        bucket=row[7], communities=json.loads(row[8]), created=row[9], modified=row[10],
        published=row[11], updated=row[12], revision=row[13], deleted=bool(row[14]),
    )



class Storage(SearchIndexes):
    """Thread-safe access to the sandbox's SQLite database (its search indexes:
    :class:`~zenodo_sandbox.search_index.SearchIndexes`)."""

    def __init__(self, path: Path) -> None:
        """Open (and create if needed) the database at ``path``."""
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        if not self._all("SELECT 1 FROM search_words LIMIT 1"):  # a store made before it
            self._index_words()

    @contextmanager
    def transaction(self) -> Iterator[Storage]:
        """Run the enclosed calls atomically (nested uses join the outer transaction)."""
        with self._lock:
            if self._conn.in_transaction:
                yield self
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _run(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    # ids and users -------------------------------------------------------------------------
    def new_pid(self) -> int:
        """Allocate the next record/concept id (one sequence for both, so they never clash)."""
        return int(self._run("INSERT INTO pids DEFAULT VALUES").lastrowid)

    def user_id(self, name: str) -> int:
        """Return the stable integer id of user ``name`` (created on first use)."""
        with self._lock:
            self._run("INSERT OR IGNORE INTO users(name) VALUES (?)", (name,))
            return int(self._all("SELECT id FROM users WHERE name = ?", (name,))[0][0])

    # depositions ---------------------------------------------------------------------------
    def get(self, depid: int) -> Deposition | None:
        """Return deposition ``depid`` or None."""
        rows = self._all(f"SELECT {_DEP_COLUMNS} FROM depositions WHERE id = ?", (depid,))  # noqa: S608
        return _dep_from_row(rows[0]) if rows else None

    def by_bucket(self, bucket: str) -> Deposition | None:
        """Return the deposition owning ``bucket`` or None."""
        rows = self._all(f"SELECT {_DEP_COLUMNS} FROM depositions WHERE bucket = ?", (bucket,))  # noqa: S608
        return _dep_from_row(rows[0]) if rows else None

    def by_concept(self, conceptrecid: str) -> list[Deposition]:
        """Return all versions of a concept, oldest first."""
        rows = self._all(
            f"SELECT {_DEP_COLUMNS} FROM depositions WHERE conceptrecid = ? ORDER BY id",  # noqa: S608
            (conceptrecid,),
        )
        return [_dep_from_row(r) for r in rows]

    def depositions_after(self, after: int, limit: int) -> list[Deposition]:
        """Return up to ``limit`` depositions whose id is above ``after``, by id."""
        rows = self._all(f"SELECT {_DEP_COLUMNS} FROM depositions WHERE id > ? "  # noqa: S608
                         "ORDER BY id LIMIT ?", (after, limit))
        return [_dep_from_row(r) for r in rows]

    def all_depositions(self, owner: str | None = None) -> list[Deposition]:
        """Return every deposition (of ``owner`` if given), by id."""
        sql = f"SELECT {_DEP_COLUMNS} FROM depositions"  # noqa: S608
        if owner is None:
            return [_dep_from_row(r) for r in self._all(sql + " ORDER BY id")]
        return [_dep_from_row(r) for r in self._all(sql + " WHERE owner = ? ORDER BY id", (owner,))]

    def save(self, dep: Deposition) -> None:
        """Insert or replace ``dep``."""
        self._run(
            f"INSERT OR REPLACE INTO depositions ({_DEP_COLUMNS}) "  # noqa: S608
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (dep.id, dep.conceptrecid, dep.owner, dep.state, int(dep.submitted),
             column_json(dep.draft), column_json(dep.record), dep.bucket,
             column_json(dep.communities), dep.created, dep.modified, dep.published,
             dep.updated, dep.revision, int(dep.deleted)),
        )

    def delete(self, depid: int) -> None:
        """Delete deposition ``depid`` and its file rows."""
        with self.transaction():
            self._run("DELETE FROM files WHERE depid = ?", (depid,))
            self._run("DELETE FROM rdm_state WHERE id = ?", (depid,))
            self._run("DELETE FROM depositions WHERE id = ?", (depid,))

    def state_counts(self) -> list[tuple[str, str, int]]:
        """Return (owner, state, count) triples; deleted records count as state ``deleted``.
        Read off an index alone: a run's progress polled every few seconds reads no document."""
        counts: Counter[tuple[str, str]] = Counter()
        for owner, state, deleted, count in self._all(STATE_COUNTS):
            counts[owner, "deleted" if deleted else state] += count
        return [(owner, state, count) for (owner, state), count in sorted(counts.items())]

    def rdm_state(self, depid: int) -> dict[str, Any] | None:
        """Return the InvenioRDM-side state of ``depid`` (see :mod:`zenodo_sandbox.rdm`)."""
        rows = self._all("SELECT doc FROM rdm_state WHERE id = ?", (depid,))
        return json.loads(rows[0][0]) if rows else None

    def put_rdm_state(self, depid: int, state: dict[str, Any]) -> None:
        """Insert or replace the InvenioRDM-side state of ``depid``."""
        self._run("INSERT OR REPLACE INTO rdm_state (id, doc) VALUES (?, ?)",
                  (depid, column_json(state)))

    # files ---------------------------------------------------------------------------------
    def files(self, depid: int) -> list[StoredFile]:
        """Return the files of ``depid`` in upload order."""
        rows = self._all(
            "SELECT id, depid, key, size, md5, mimetype, version_id, created, updated, path "
            "FROM files WHERE depid = ? ORDER BY created, key", (depid,),
        )
        return [StoredFile(*r) for r in rows]

    def file_stats(self, depid: int) -> tuple[int, int]:
        """Return (count, total bytes) of the files of ``depid``."""
        count, total = self._all(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files WHERE depid = ?", (depid,)
        )[0]
        return int(count), int(total)

    def put_file(self, stored: StoredFile) -> None:
        """Insert ``stored``, replacing any file with the same key in the same deposition."""
        with self.transaction():
            self._run("DELETE FROM files WHERE depid = ? AND key = ?", (stored.depid, stored.key))
            self._run(
                "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?)",
                (stored.id, stored.depid, stored.key, stored.size, stored.md5, stored.mimetype,
                 stored.version_id, stored.created, stored.updated, stored.path),
            )

    def delete_file(self, file_id: str) -> None:
        """Delete the file row ``file_id``."""
        self._run("DELETE FROM files WHERE id = ?", (file_id,))

    def wipe(self) -> None:
        """Delete every row of every table."""
        with self.transaction():
            for table in ("files", "depositions", "search_index", "users", "pids", "rdm_state"):
                self._run(f"DELETE FROM {table}")  # noqa: S608
