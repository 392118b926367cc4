"""What registering a specimen does to its ledger row, and the key it is stored under.

One pure decision, shared by :meth:`zenodo.ledger.ledger.Ledger.register` (which writes it) and a
dry run's preview (which only counts it), so the preview can never tell a different story.
A key the ledger cannot store (too long for its ``VARCHAR(500)``, a NUL, a lone surrogate) is
replaced by :func:`storable_key`: a readable prefix and the sha256 of the whole key.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zenodo.ledger.rows import FileEntry, SpecimenRow, carry_uploads
from zenodo.ledger.states import State
from zenodo.store.tables import Specimen

#: The longest key the ledger stores, in characters (PostgreSQL's VARCHAR counts characters).
KEY_LIMIT: int = Specimen.__table__.c.key.type.length
#: Characters of the original key kept in front of the digest of an unstorable key.
READABLE_PREFIX = 80
#: What marks a key made by :func:`storable_key` (followed by 64 hex digits).
DIGEST_MARK = "#sha256:"
#: The ``last_error_kind`` prefix of a specimen that could not be prepared for a passing reason
#: (its image server failed): FAILED without a payload, left alone by the engine, registered
#: as NEW by the next prepare that reads its row.
PREPARE_FAILURE = "prepare:"


def is_prepare_failure(row: SpecimenRow) -> bool:
    """Whether ``row`` is FAILED because its specimen could not be prepared (no payload yet)."""
    return row.state == State.FAILED and (row.last_error_kind or "").startswith(PREPARE_FAILURE)


@dataclass(frozen=True)
class Registration:
    """The outcome of registering a specimen.

    :param state: the state the specimen ends in.
    :param rewrite: whether its hash, mapping and files are written (False: nothing changed).
    :param files: its files as they would be stored, uploads carried over where unchanged.
    """

    state: State
    rewrite: bool
    files: list[FileEntry]


@dataclass(frozen=True)
class MappedSpecimen:
    """A valid, mapped specimen to register: what :meth:`Ledger.register_many` stores of it.

    :param files: mappings with ``name``, ``size`` and ``md5``.
    """

    key: str
    metadata_hash: str
    files: list[dict[str, Any]]
    mapping_name: str
    mapping_version: str | int
    source_modified: datetime | None


def plan_registration(
    row: SpecimenRow | None, *, files: list[FileEntry], metadata_hash: str, mapping_name: str,
    mapping_version: str,
) -> Registration:
    """Decide what registering a mapped specimen does to ``row`` (None: no row yet).

    New key (or one that could not be prepared before): NEW. Published one whose metadata,
    mapping or files changed: STALE (ids kept).
    Quarantined one: leaves quarantine. UPLOADED whose files changed: DRAFTED. Otherwise the
    state stays and the new hash and files are stored.
    """
    if row is None or is_prepare_failure(row):
        return Registration(State.NEW, True, files)
    changed = (
        [f.identity for f in row.files] != [f.identity for f in files]
        or (row.metadata_hash, row.mapping_name, row.mapping_version)
        != (metadata_hash, mapping_name, mapping_version)
    )
    if not changed and row.state != State.QUARANTINED:
        return Registration(row.state, False, list(row.files))
    carried = carry_uploads(row.files, files)
    return Registration(_target(row, changed, carried), True, carried)


def _target(row: SpecimenRow, changed: bool, files: list[FileEntry]) -> State:
    if row.state in (State.PUBLISHED, State.VERIFIED):
        return State.STALE
    if row.state == State.QUARANTINED:
        if row.record_id is not None:
            return State.STALE if changed else State.PUBLISHED
        return State.DRAFTED if row.deposition_id is not None else State.NEW
    if row.state == State.UPLOADED and not all(f.uploaded for f in files):
        return State.DRAFTED
    return row.state


def unstorable_reason(key: str) -> str | None:
    """Tell why the ledger cannot store ``key`` as it is (None: it can)."""
    if len(key) > KEY_LIMIT:
        return f"{len(key)} characters, limit {KEY_LIMIT}"
    if "\x00" in key:
        return "it contains NUL (U+0000), which PostgreSQL cannot store"
    if any(unicodedata.category(ch) == "Cs" for ch in key):
        return "it contains a lone surrogate, which is not UTF-8"
    return None


def storable_text(text: str) -> str:
    """Return ``text`` with NUL and lone surrogates written as escapes (``\\x00``, ``\\ud800``)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def storable_key(key: str, suffix: str = "") -> tuple[str, str | None]:
    """Return the ledger key of ``key + suffix``, and a quarantine reason when it had to change.

    A storable key is kept. Otherwise the row is kept under ``<prefix>…<suffix>#sha256:<hex>``:
    the first :data:`READABLE_PREFIX` characters of ``key`` (NUL, surrogates and invisible
    characters shown as ``?``) and the sha256 of the whole ``key + suffix``, so the same row
    gets the same key every run. The reason names the original key (escaped).
    """
    wanted = key + suffix
    why = unstorable_reason(wanted)
    if why is None:
        return wanted, None
    digest = hashlib.sha256(wanted.encode("utf-8", "surrogatepass")).hexdigest()
    readable = "".join("?" if unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch
                       for ch in key[:READABLE_PREFIX])
    stored = f"{readable}…{storable_text(suffix)}{DIGEST_MARK}{digest}"
    return stored, (f"key: the ledger cannot store this key ({why}); the row is kept under "
                    f"{stored!r}; the original key is {storable_text(repr(key))}")
