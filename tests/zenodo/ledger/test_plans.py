"""A run's plan in the ledger: a batch is taken up once, and specimens handed from one batch
to another are in exactly one batch, however the hand-overs and the starts interleave."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from zenodo.ledger.ledger import Ledger

COLLECTION = "plans_test"
RUN = "manual__plans"


def flat(batches: Iterable[Sequence[str]]) -> list[str]:
    return [key for batch in batches for key in batch]


def plan(ledger: Ledger, batches: int, size: int) -> list[list[str]]:
    keys = [[f"k{b:02d}-{i:03d}" for i in range(size)] for b in range(batches)]
    ledger.save_plan(COLLECTION, RUN, keys)
    return keys


def test_a_batch_hands_its_keys_to_the_front_of_the_first_batch_not_started(
    ledger: Ledger,
) -> None:
    keys = plan(ledger, 4, 3)
    assert ledger.start_batch(COLLECTION, RUN, "b0000") == keys[0]
    assert ledger.start_batch(COLLECTION, RUN, "b0001") == keys[1]
    assert ledger.hand_over(COLLECTION, RUN, "b0000", keys[0][1:]) == "b0002"
    assert ledger.planned_keys(COLLECTION, RUN, "b0000") == keys[0][:1]
    assert ledger.planned_keys(COLLECTION, RUN, "b0002") == [*keys[0][1:], *keys[2]]
    assert ledger.hand_over(COLLECTION, RUN, "b0001", keys[1][:1]) == "b0002", (
        "b0002 is not taken up yet: it may be handed more"
    )
    assert ledger.start_batch(COLLECTION, RUN, "b0002") == [*keys[1][:1], *keys[0][1:],
                                                           *keys[2]]
    assert ledger.start_batch(COLLECTION, RUN, "b0003") == keys[3]
    assert ledger.hand_over(COLLECTION, RUN, "b0003", keys[3]) is None, "all taken up"
    assert ledger.planned_keys(COLLECTION, RUN, "b0003") == keys[3]
    assert sorted(ledger.planned_keys(COLLECTION, RUN) or []) == sorted(flat(keys))


def test_a_batch_is_never_handed_its_own_keys_and_a_retry_reads_what_it_kept(
    ledger: Ledger,
) -> None:
    keys = plan(ledger, 2, 2)
    ledger.start_batch(COLLECTION, RUN, "b0001")  # b0000 is the only one not started
    assert ledger.hand_over(COLLECTION, RUN, "b0001", keys[1][:1]) == "b0000"
    assert ledger.hand_over(COLLECTION, RUN, "b0000", keys[0]) is None
    assert ledger.start_batch(COLLECTION, RUN, "b0001") == keys[1][1:], "its retry"
    assert ledger.start_batch(COLLECTION, RUN, "nope") is None
    assert ledger.start_batch(COLLECTION, "manual__other", "b0000") is None


def test_hand_overs_racing_the_starts_of_their_batches_keep_every_key_in_one_batch(
    ledger: Ledger,
) -> None:
    # One worker per batch starts its batch, then hands its keys on, two at a time, while
    # the other workers start theirs: every key ends in exactly one batch, and every key
    # handed to a batch was there when that batch started (else no one would drive it).
    # The odd batches' workers start once a first hand-over went through, so that there is
    # always one (all twelve starting at once may leave none free) and their starts race
    # the hand-overs that follow.
    batches = 12
    keys = plan(ledger, batches, 10)
    started: dict[str, list[str]] = {}
    handed_to: dict[str, list[str]] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(batches // 2)
    first_handed = threading.Event()

    def work(number: int) -> None:
        batch = f"b{number:04d}"
        if number % 2:
            first_handed.wait(30)
        else:
            barrier.wait()
        mine = ledger.start_batch(COLLECTION, RUN, batch) or []
        with lock:
            started[batch] = mine
        for first in range(0, len(mine), 2):
            taker = ledger.hand_over(COLLECTION, RUN, batch, mine[first:first + 2])
            if taker is None:
                break
            with lock:
                handed_to.setdefault(taker, []).extend(mine[first:first + 2])
            first_handed.set()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    final = {f"b{n:04d}": ledger.planned_keys(COLLECTION, RUN, f"b{n:04d}") or []
             for n in range(batches)}
    assert sorted(flat(final.values())) == sorted(flat(keys)), "each key once"
    assert handed_to, "some hand-overs found a batch not started"
    for taker, got in handed_to.items():
        assert set(got) <= set(started[taker]), f"{taker} started without keys handed to it"
