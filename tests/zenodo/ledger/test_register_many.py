"""Batched registration: a batch of mapped specimens in one transaction, on SQLite and PostgreSQL.

A collection's first prepare registers every specimen; one transaction a specimen cost 281,372
commits at pilot 2's size. These pin that a batch is a few statements and that it decides each
specimen exactly as registering it alone does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from zenodo.ledger.ledger import Ledger
from zenodo.ledger.registration import MappedSpecimen
from zenodo.ledger.states import State

from .test_ledger import FILES, MD5_A, C, publish, register


def mapped(key: str, *, metadata_hash: str = "h1", files=FILES) -> MappedSpecimen:
    return MappedSpecimen(key, metadata_hash, list(files), "pilot1", "1", None)


def test_a_batch_of_new_specimens_is_a_handful_of_statements(ledger: Ledger) -> None:
    statements: list[str] = []
    sa.event.listen(ledger.engine, "before_cursor_execute",
                    lambda *args: statements.append(args[2]))
    states = ledger.register_many(C, [mapped(f"k{i:03d}") for i in range(300)], actor="test")
    writes = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))]
    assert states == [State.NEW] * 300
    assert len(writes) <= 4, writes  # lock the batch, insert the rows, insert the events
    assert ledger.counts(C)[State.NEW] == 300
    events = ledger.events(C, "k150")
    assert [(e.from_state, e.to_state, e.actor) for e in events] == [(None, State.NEW, "test")]


def test_a_mixed_batch_decides_each_specimen_as_registering_it_alone(ledger: Ledger) -> None:
    publish(ledger, "published")
    register(ledger, "unchanged")
    ledger.quarantine(C, "quarantined", ["title: missing"], source_modified=None)
    changed = [FILES[0], {"name": "b.json", "size": 6, "md5": MD5_A}]
    states = ledger.register_many(C, [
        mapped("published", files=changed), mapped("unchanged"), mapped("quarantined"),
        mapped("fresh")])
    assert states == [State.STALE, State.NEW, State.NEW, State.NEW]
    row = ledger.get(C, "published")
    assert (row.doi, row.state) == ("10.5281/zenodo.101", State.STALE)
    assert not row.all_files_uploaded  # the changed file is to be uploaded again
    assert not ledger.get(C, "quarantined").quarantine_reasons
    assert len(ledger.events(C, "unchanged")) == 1  # nothing changed: no event


def test_a_key_twice_in_one_batch_is_refused_and_nothing_is_written(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="registered twice"):
        ledger.register_many(C, [mapped("k1"), mapped("k1")])
    assert ledger.get(C, "k1") is None


def test_an_empty_batch_writes_nothing(ledger: Ledger) -> None:
    assert ledger.register_many(C, []) == []


def test_a_specimen_registered_again_unchanged_leaves_its_row_as_it_was(ledger: Ledger) -> None:
    # An incremental extract reads again the row at its watermark (``>=``): registering it
    # unchanged must not touch the row, or a nightly run that changed nothing looks changed
    # (its report then rewrites the whole collection's files).
    modified = datetime(2019, 5, 19, 14, 9, 31, tzinfo=UTC)
    specimen = replace(mapped("S1"), source_modified=modified)
    ledger.register_many(C, [specimen])
    before = ledger.get(C, "S1")

    ledger.register_many(C, [specimen])
    assert ledger.get(C, "S1").updated_at == before.updated_at

    later = modified + timedelta(hours=1)
    ledger.register_many(C, [replace(specimen, source_modified=later)])
    after = ledger.get(C, "S1")
    assert (after.source_modified, after.state) == (later, State.NEW)
    assert after.updated_at > before.updated_at
