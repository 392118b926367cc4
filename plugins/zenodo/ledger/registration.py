"""What registering a valid, mapped specimen does to its ledger row.

One pure decision, shared by :meth:`zenodo.ledger.ledger.Ledger.register` (which writes it) and a
dry run's preview (which only counts it), so the preview can never tell a different story.
"""

from __future__ import annotations

from dataclasses import dataclass

from zenodo.ledger.rows import FileEntry, SpecimenRow, carry_uploads
from zenodo.ledger.states import State


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


def plan_registration(
    row: SpecimenRow | None, *, files: list[FileEntry], metadata_hash: str, mapping_name: str,
    mapping_version: str,
) -> Registration:
    """Decide what registering a mapped specimen does to ``row`` (None: no row yet).

    New key: NEW. Published one whose metadata, mapping or files changed: STALE (ids kept).
    Quarantined one: leaves quarantine. UPLOADED whose files changed: DRAFTED. Otherwise the
    state stays and the new hash and files are stored.
    """
    if row is None:
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
