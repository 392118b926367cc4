"""A batch reads its specimens' payloads a page at a time, in the order its threads ask for
them: one query a page instead of one a specimen (three round trips each on PostgreSQL, a
seventh of an upload thread's ledger traffic at pilot 2's size)."""

from __future__ import annotations

import pathlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import BatchPayloads, MissingPayload, PayloadStore


def _count_selects(ledger: Ledger) -> list[str]:
    selects: list[str] = []
    sa.event.listen(ledger.engine, "before_cursor_execute",
                    lambda _c, _cur, statement, *_a: selects.append(statement)
                    if "FROM payloads" in statement else None)
    return selects


def test_a_batch_reads_its_payloads_a_page_at_a_time(ledger: Ledger,
                                                     tmp_path: pathlib.Path) -> None:
    keys = register_specimens(ledger, tmp_path, 25)
    store = PayloadStore(ledger)
    selects = _count_selects(ledger)
    payloads = BatchPayloads(store, COLLECTION, keys, page=10)
    got = [payloads(key) for key in keys]
    assert [p.key for p in got] == keys
    assert [p.metadata for p in got] == [store.get(COLLECTION, k).metadata for k in keys]
    assert len(selects) == 3 + 25  # 3 pages (before: 25 reads), then the 25 reads above


def test_threads_asking_at_once_get_each_payload_once_read(ledger: Ledger,
                                                           tmp_path: pathlib.Path) -> None:
    keys = register_specimens(ledger, tmp_path, 40)
    selects = _count_selects(ledger)
    payloads = BatchPayloads(PayloadStore(ledger), COLLECTION, keys, page=10)
    with ThreadPoolExecutor(4) as pool:  # as a batch's threads take its specimens, in order
        got = dict(zip(keys, pool.map(lambda key: payloads(key).key, keys), strict=True))
    assert got == {key: key for key in keys}
    assert len(selects) == 4  # 4 pages, whichever thread asks first (before: 40 reads)


def test_a_specimen_asked_again_or_out_of_the_batch_is_read_alone(
    ledger: Ledger, tmp_path: pathlib.Path,
) -> None:
    keys = register_specimens(ledger, tmp_path, 5)
    payloads = BatchPayloads(PayloadStore(ledger), COLLECTION, keys[:3], page=10)
    assert payloads(keys[0]).key == keys[0]
    assert payloads(keys[0]).key == keys[0]  # deferred, driven again
    assert payloads(keys[4]).key == keys[4]
    with pytest.raises(MissingPayload, match=f"specimen {COLLECTION}/nope: no payload"):
        payloads("nope")
