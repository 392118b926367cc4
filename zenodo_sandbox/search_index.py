"""The sandbox's lagging search indexes, kept in the store's SQLite file.

A record's indexed version becomes visible at ``visible_at`` (Zenodo's search lags its
database); ``deposit`` and ``records`` versions also hold their words in the FTS5 table
``search_words``, so a query for one specimen's key reads only the records that hold it.
:class:`SearchIndexes` is a part of :class:`zenodo_sandbox.storage.Storage`, whose connection,
lock and transactions it uses.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

#: The indexes searched by query (deposit and records searches), whose words are indexed.
WORD_KINDS = ("deposit", "records")


def _values(doc: Any) -> Iterator[str]:
    """Every key and value of a JSON document as text (the words the search index holds)."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield str(key)
            yield from _values(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _values(value)
    elif doc is not None:
        yield str(doc)


def column_json(value: Any) -> str | None:
    """A JSON column's text, compact (None stays NULL): the store's and the index's."""
    return None if value is None else json.dumps(value, separators=(",", ":"))


class SearchIndexes:
    """The search-index half of the store, mixed into ``Storage``: it runs its SQL through the
    store's ``_all``, ``_run`` and ``transaction`` (one connection, one lock)."""

    def _index_words(self) -> None:
        """Fill the search index's words from the indexed documents."""
        with self.transaction():
            for seq, doc in self._all("SELECT seq, doc FROM search_index WHERE doc IS NOT NULL "
                                      "AND kind IN (?, ?)", WORD_KINDS):
                self._run("INSERT INTO search_words (rowid, words) VALUES (?, ?)",
                          (seq, " ".join(_values(json.loads(doc)))))

    def index_put(self, kind: str, recid: int, *, doc: dict | None, visible_at: float,
                  owner: str | None = None, updated: float | None = None,
                  sets: tuple[str, ...] = ()) -> None:
        """Queue a new indexed version of ``recid`` (``doc=None`` removes it) from ``visible_at``.

        :param kind: ``deposit``, ``records`` or ``oai``
        """
        with self.transaction():
            now = time.time()
            superseded = (  # versions already superseded by a visible newer one
                "SELECT seq FROM search_index WHERE kind = ? AND recid = ? AND seq < ("
                "SELECT MAX(seq) FROM search_index WHERE kind = ? AND recid = ? "
                "AND visible_at <= ?)")
            args = (kind, recid, kind, recid, now)
            self._run(f"DELETE FROM search_words WHERE rowid IN ({superseded})", args)  # noqa: S608
            self._run(f"DELETE FROM search_index WHERE seq IN ({superseded})", args)  # noqa: S608
            seq = self._run(
                "INSERT INTO search_index (kind, recid, owner, visible_at, updated, sets, doc) "
                "VALUES (?,?,?,?,?,?,?)",
                (kind, recid, owner, visible_at, updated, "".join(f"|{s}|" for s in sets),
                 column_json(doc)),
            ).lastrowid
            if doc is not None and kind in WORD_KINDS:
                self._run("INSERT INTO search_words (rowid, words) VALUES (?, ?)",
                          (seq, " ".join(_values(doc))))

    _VISIBLE = (
        "FROM search_index s WHERE s.kind = ? AND s.visible_at <= ? AND s.doc IS NOT NULL "
        "AND s.seq = (SELECT MAX(t.seq) FROM search_index t WHERE t.kind = s.kind "
        "AND t.recid = s.recid AND t.visible_at <= ?)"
    )

    def index_docs(self, kind: str, now: float, owner: str | None = None,
                   words: list[str] | None = None) -> list[dict]:
        """Return the documents of ``kind`` visible at ``now`` (of ``owner`` if given).

        :param words: ASCII letters and digits a matching document must hold (a query's,
            :func:`zenodo_sandbox.query.index_words`): only the versions of the records one
            of whose versions holds them all are read, so a search for a specimen's key in
            281,372 records does not decode them all. Every version of such a record is
            returned, so picking the latest per concept is not changed by it.
        """
        sql = "SELECT s.doc " + self._VISIBLE
        params: tuple = (kind, now, now)
        if owner is not None:
            sql += " AND s.owner = ?"
            params += (owner,)
        if words and kind in WORD_KINDS:
            sql += (" AND s.recid IN (SELECT d2.id FROM depositions d1 JOIN depositions d2 "
                    "ON d2.conceptrecid = d1.conceptrecid WHERE d1.id IN (SELECT x.recid "
                    "FROM search_index x WHERE x.kind = ? AND x.seq IN (SELECT rowid FROM "
                    "search_words WHERE search_words MATCH ?)))")
            params += (kind, " AND ".join(f'"{w}"' for w in words))
        return [json.loads(r[0]) for r in self._all(sql + " ORDER BY s.recid", params)]

    def index_summaries(self, kind: str, now: float,
                        owner: str | None = None) -> list[dict[str, Any]]:
        """Return what a listing without a query sorts and pages by, of the documents of
        ``kind`` visible at ``now`` (of ``owner`` if given): ``id``, ``conceptrecid``,
        ``created``, ``modified`` and ``metadata.publication_date``, read by SQLite without
        decoding every document (a search engine's listing does not read every record)."""
        sql = ("SELECT json_extract(s.doc, '$.id'), json_extract(s.doc, '$.conceptrecid'), "
               "json_extract(s.doc, '$.created'), json_extract(s.doc, '$.modified'), "
               "json_extract(s.doc, '$.metadata.publication_date') " + self._VISIBLE)
        params: tuple = (kind, now, now)
        if owner is not None:
            sql += " AND s.owner = ?"
            params += (owner,)
        return [{"id": i, "conceptrecid": c, "created": created, "modified": modified,
                 "metadata": {"publication_date": published}}
                for i, c, created, modified, published in self._all(sql, params)]

    def index_doc(self, kind: str, recid: int, now: float) -> dict | None:
        """Return the visible document of ``recid`` in index ``kind``, or None."""
        rows = self._all("SELECT s.doc " + self._VISIBLE + " AND s.recid = ?",
                         (kind, now, now, recid))
        return json.loads(rows[0][0]) if rows else None

    def index_page(self, kind: str, now: float, *, set_spec: str | None, start: float | None,
                   end: float | None, offset: int, limit: int) -> tuple[list[dict], int]:
        """Return one page (ordered by recid) of visible documents filtered by set and time."""
        where, params = self._index_filter(kind, now, set_spec, start, end)
        with self._lock:
            total = self._all("SELECT COUNT(*) " + self._VISIBLE + where, params)[0][0]
            rows = self._all(
                "SELECT s.doc " + self._VISIBLE + where + " ORDER BY s.recid LIMIT ? OFFSET ?",
                (*params, limit, offset),
            )
        return [json.loads(r[0]) for r in rows], int(total)

    def index_ids(self, kind: str, now: float, *, set_spec: str | None, start: float | None,
                  end: float | None) -> list[int]:
        """Return the recids, ascending, of :meth:`index_page`'s documents without reading
        the documents (an OAI-PMH list over a whole collection opens with them)."""
        where, params = self._index_filter(kind, now, set_spec, start, end)
        rows = self._all("SELECT s.recid " + self._VISIBLE + where + " ORDER BY s.recid", params)
        return [int(r[0]) for r in rows]

    @staticmethod
    def _index_filter(kind: str, now: float, set_spec: str | None, start: float | None,
                      end: float | None) -> tuple[str, tuple]:
        """The conditions after :data:`_VISIBLE` for a set and a time range, and every parameter."""
        where, params = "", [kind, now, now]
        if set_spec is not None:
            where += " AND instr(s.sets, ?) > 0"
            params.append(f"|{set_spec}|")
        if start is not None:
            where += " AND s.updated >= ?"
            params.append(start)
        if end is not None:
            where += " AND s.updated <= ?"
            params.append(end)
        return where, tuple(params)

    def index_sets(self, kind: str, now: float) -> list[str]:
        """Return the distinct set specs of visible documents of ``kind``."""
        rows = self._all("SELECT DISTINCT s.sets " + self._VISIBLE, (kind, now, now))
        found = {part for (sets,) in rows for part in sets.split("|") if part}
        return sorted(found)

    def index_earliest(self, kind: str, now: float) -> float | None:
        """Return the earliest ``created`` (else ``updated``) of visible documents of ``kind``."""
        value = self._all("SELECT MIN(COALESCE(json_extract(s.doc, '$.created'), s.updated)) "
                          + self._VISIBLE, (kind, now, now))[0][0]
        return None if value is None else float(value)
