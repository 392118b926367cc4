"""The ledger on SQLite and on the real PostgreSQL: registration, guarded writes, leases."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from zenodo.ledger.ledger import Ledger
from zenodo.ledger.rows import LeaseLost, SpecimenNotFound, record_order
from zenodo.ledger.states import IllegalTransition, State

C = "herbarium"
MD5_A = "0" * 31 + "a"
MD5_B = "0" * 31 + "b"
FILES = [{"name": "a.jpg", "size": 10, "md5": MD5_A}, {"name": "b.json", "size": 5, "md5": MD5_B}]


class Clock:
    """A settable clock for lease and retry tests."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(database_url: str, clock: Clock) -> Ledger:
    led = Ledger(database_url, clock=clock)
    led.migrate()
    yield led
    led.dispose()


def register(
    ledger: Ledger, key: str, *, metadata_hash: str = "h1", files=FILES, version: str = "1"
) -> State:
    return ledger.register(
        C,
        key,
        metadata_hash=metadata_hash,
        files=files,
        mapping_name="pilot1",
        mapping_version=version,
        source_modified=None,
        actor="test",
    )


def publish(ledger: Ledger, key: str, owner: str = "w1") -> None:
    register(ledger, key)
    assert ledger.claim(C, [key], owner=owner, ttl_s=60) == [key]
    ledger.record_draft(C, key, owner=owner, deposition_id="101", bucket_url="http://b/1")
    for f in FILES:
        ledger.record_file(C, key, owner=owner, name=f["name"], size=f["size"], md5=f["md5"])
    ledger.record_uploaded(C, key, owner=owner)
    ledger.record_published(
        C,
        key,
        owner=owner,
        record_id=101,
        doi="10.5281/zenodo.101",
        concept_doi="10.5281/zenodo.100",
        concept_recid="100",
    )


def test_register_creates_new_row_with_one_event(ledger: Ledger) -> None:
    assert register(ledger, "k1") == State.NEW
    row = ledger.get(C, "k1")
    assert row is not None and row.state == State.NEW
    assert [f.name for f in row.files] == ["a.jpg", "b.json"]
    assert not row.all_files_uploaded
    assert row.created_at.tzinfo is not None
    events = ledger.events(C, "k1")
    assert [(e.from_state, e.to_state, e.actor) for e in events] == [(None, State.NEW, "test")]


def test_register_unchanged_leaves_row_and_writes_no_event(ledger: Ledger) -> None:
    register(ledger, "k1")
    assert register(ledger, "k1") == State.NEW
    assert len(ledger.events(C, "k1")) == 1


def test_get_returns_none_for_an_unknown_key(ledger: Ledger) -> None:
    assert ledger.get(C, "nope") is None


def test_happy_path_records_ids_and_one_event_per_state_change(ledger: Ledger) -> None:
    publish(ledger, "k1")
    row = ledger.get(C, "k1")
    assert row.state == State.PUBLISHED
    assert (row.deposition_id, row.record_id, row.concept_recid) == ("101", "101", "100")
    assert row.doi == "10.5281/zenodo.101" and row.all_files_uploaded
    states = [e.to_state for e in ledger.events(C, "k1")]
    assert states == [State.NEW, State.DRAFTED, State.UPLOADED, State.PUBLISHED]


def test_invenio_rdm_string_ids_are_stored_and_returned_as_given(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w1", ttl_s=60)
    ledger.record_draft(C, "k1", owner="w1", deposition_id="abcde-12345", bucket_url="u")
    for f in FILES:
        ledger.record_file(C, "k1", owner="w1", name=f["name"], size=f["size"], md5=f["md5"])
    ledger.record_uploaded(C, "k1", owner="w1")
    written = ledger.record_published(C, "k1", owner="w1", record_id="abcde-12345",
                                      doi="10.1234/abcde-12345", concept_recid="fghij-67890")
    row = ledger.get(C, "k1")
    ids = ("abcde-12345", "abcde-12345", "fghij-67890")
    assert (row.deposition_id, row.record_id, row.concept_recid) == ids
    assert (written.deposition_id, written.record_id, written.concept_recid) == ids
    assert ledger.events(C, "k1")[-1].detail["record_id"] == "abcde-12345"


def test_transition_stores_integer_ids_as_their_decimal_text(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w1", ttl_s=60)
    row = ledger.transition(C, "k1", State.DRAFTED, owner="w1", deposition_id=9_000_000_001)
    assert row.deposition_id == "9000000001" == ledger.get(C, "k1").deposition_id


def test_ids_that_are_not_ids_are_refused_naming_the_field(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w1", ttl_s=60)
    for bad in ("", " 7", "a b", "x" * 65, 1.5, True, b"7"):
        with pytest.raises(ValueError, match=r"herbarium/k1: deposition_id: expected"):
            ledger.record_draft(C, "k1", owner="w1", deposition_id=bad, bucket_url="u")
        with pytest.raises(ValueError, match=r"herbarium/k1: record_id: expected"):
            ledger.transition(C, "k1", State.NEW, owner="w1", record_id=bad)
    assert ledger.get(C, "k1").deposition_id is None


def test_record_uploaded_refuses_while_a_file_is_unconfirmed(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w1", ttl_s=60)
    ledger.record_draft(C, "k1", owner="w1", deposition_id=5, bucket_url="http://b/5")
    ledger.record_file(C, "k1", owner="w1", name="a.jpg", size=10, md5=MD5_A)
    with pytest.raises(ValueError, match=r"herbarium/k1: files not uploaded: \['b.json'\]"):
        ledger.record_uploaded(C, "k1", owner="w1")
    assert ledger.get(C, "k1").state == State.DRAFTED


def test_record_file_with_a_different_md5_is_an_error_naming_the_file(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w1", ttl_s=60)
    ledger.record_draft(C, "k1", owner="w1", deposition_id=5, bucket_url="http://b/5")
    with pytest.raises(ValueError, match=r"herbarium/k1: files\['a.jpg'\]"):
        ledger.record_file(C, "k1", owner="w1", name="a.jpg", size=10, md5=MD5_B)


def test_record_file_before_a_draft_is_an_illegal_transition(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w1", ttl_s=60)
    with pytest.raises(IllegalTransition, match="herbarium/k1"):
        ledger.record_file(C, "k1", owner="w1", name="a.jpg", size=10, md5=MD5_A)


def test_illegal_transition_leaves_the_row_untouched(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w1", ttl_s=60)
    with pytest.raises(IllegalTransition, match="NEW -> UPLOADED"):
        ledger.transition(C, "k1", State.UPLOADED, owner="w1")
    assert ledger.get(C, "k1").state == State.NEW
    assert len(ledger.events(C, "k1")) == 1


def test_transition_rejects_unknown_fields(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w1", ttl_s=60)
    with pytest.raises(ValueError, match="unknown ledger fields"):
        ledger.transition(C, "k1", State.NEW, owner="w1", colour="red")


def test_write_on_a_missing_specimen_raises_not_found(ledger: Ledger) -> None:
    with pytest.raises(SpecimenNotFound, match="herbarium/ghost"):
        ledger.record_uploaded(C, "ghost", owner="w1")


def test_published_specimen_with_new_metadata_goes_stale_and_keeps_ids(ledger: Ledger) -> None:
    publish(ledger, "k1")
    assert register(ledger, "k1", metadata_hash="h2") == State.STALE
    row = ledger.get(C, "k1")
    assert (row.doi, row.record_id, row.metadata_hash) == ("10.5281/zenodo.101", "101", "h2")
    assert row.all_files_uploaded  # same files: a metadata edit will do


def test_stale_with_changed_files_marks_every_file_for_upload(ledger: Ledger) -> None:
    publish(ledger, "k1")
    changed = [FILES[0], {"name": "b.json", "size": 6, "md5": MD5_A}]
    assert register(ledger, "k1", files=changed) == State.STALE
    assert [f.uploaded for f in ledger.get(C, "k1").files] == [False, False]


def test_new_mapping_version_makes_a_published_specimen_stale(ledger: Ledger) -> None:
    publish(ledger, "k1")
    assert register(ledger, "k1", version="2") == State.STALE


def test_quarantine_then_a_valid_source_brings_it_back_to_new(ledger: Ledger) -> None:
    ledger.quarantine(C, "k1", ["eventDate: not a date"], source_modified=None, actor="test")
    row = ledger.get(C, "k1")
    assert row.state == State.QUARANTINED
    assert row.quarantine_reasons == ("eventDate: not a date",)
    assert "k1" not in ledger.keys_needing_work(C)
    assert register(ledger, "k1") == State.NEW
    assert ledger.get(C, "k1").quarantine_reasons == ()


def test_quarantine_needs_reasons(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="herbarium/k1: quarantine needs non-empty reasons"):
        ledger.quarantine(C, "k1", [], source_modified=None)


def test_unknown_outcome_cannot_be_quarantined(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w1", ttl_s=60)
    ledger.record_unknown(C, "k1", owner="w1", operation="create", message="timeout")
    with pytest.raises(IllegalTransition, match="UNKNOWN -> QUARANTINED"):
        ledger.quarantine(C, "k1", ["bad"], source_modified=None)


def test_bad_files_are_rejected_naming_specimen_and_field(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match=r"herbarium/k1: files\[0\]\.md5"):
        register(ledger, "k1", files=[{"name": "a", "size": 1, "md5": "xyz"}])
    with pytest.raises(ValueError, match=r"herbarium/k1: files\[1\]\.name: duplicate"):
        register(ledger, "k1", files=[FILES[0], FILES[0]])
    assert ledger.get(C, "k1") is None


def test_naive_datetimes_are_refused(ledger: Ledger) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        ledger.register(
            C,
            "k1",
            metadata_hash="h",
            files=[],
            mapping_name="m",
            mapping_version=1,
            source_modified=datetime(2020, 1, 1),
        )


def test_aware_datetimes_round_trip_as_utc(ledger: Ledger) -> None:
    from zoneinfo import ZoneInfo

    when = datetime(2024, 3, 1, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    ledger.register(
        C,
        "k1",
        metadata_hash="h",
        files=[],
        mapping_name="m",
        mapping_version=1,
        source_modified=when,
    )
    got = ledger.get(C, "k1").source_modified
    assert got == when and got.tzinfo == UTC


def test_write_without_the_lease_raises_lease_lost(ledger: Ledger) -> None:
    register(ledger, "k1")
    with pytest.raises(LeaseLost, match="herbarium/k1"):
        ledger.record_draft(C, "k1", owner="w1", deposition_id=1, bucket_url="u")
    assert ledger.get(C, "k1").deposition_id is None


def test_live_lease_blocks_other_owners_until_it_expires(ledger: Ledger, clock: Clock) -> None:
    for key in ("k1", "k2"):
        register(ledger, key)
    assert ledger.claim(C, ["k1"], owner="old", ttl_s=60) == ["k1"]
    assert ledger.claim(C, ["k2", "k1", "k2"], owner="new", ttl_s=60) == ["k2"]
    assert ledger.claim(C, ["k1"], owner="old", ttl_s=60) == ["k1"]  # re-claim own lease
    clock.now += timedelta(seconds=61)
    assert ledger.claim(C, ["k1"], owner="new", ttl_s=60) == ["k1"]
    with pytest.raises(LeaseLost, match="held by 'new'"):
        ledger.record_draft(C, "k1", owner="old", deposition_id=1, bucket_url="u")
    assert ledger.renew(C, ["k1", "k2"], owner="old", ttl_s=60) == []
    assert ledger.renew(C, ["k1", "k2"], owner="new", ttl_s=60) == ["k1", "k2"]


def test_release_frees_only_the_owners_leases(ledger: Ledger) -> None:
    for key in ("k1", "k2"):
        register(ledger, key)
    ledger.claim(C, ["k1"], owner="a", ttl_s=60)
    ledger.claim(C, ["k2"], owner="b", ttl_s=60)
    ledger.release(C, ["k1", "k2"], owner="a")
    assert ledger.get(C, "k1").lease_owner is None
    assert ledger.get(C, "k2").lease_owner == "b"


def test_claim_ignores_keys_not_in_the_ledger(ledger: Ledger) -> None:
    register(ledger, "k1")
    assert ledger.claim(C, ["zz", "k1"], owner="a", ttl_s=5) == ["k1"]


def test_keys_needing_work_lists_due_work_in_key_order(ledger: Ledger, clock: Clock) -> None:
    for key in ("e", "d", "c", "b", "a"):
        register(ledger, key)
    publish(ledger, "a")
    ledger.quarantine(C, "b", ["bad"], source_modified=None)
    ledger.claim(C, ["c", "d"], owner="w", ttl_s=60)
    ledger.record_failure(
        C,
        "c",
        owner="w",
        kind="server",
        status=503,
        message="busy",
        retry_after=timedelta(minutes=5),
    )
    ledger.record_failure(C, "d", owner="w", kind="validation", status=400, message="bad")
    assert ledger.keys_needing_work(C) == ["e"]
    clock.now += timedelta(minutes=6)
    assert ledger.keys_needing_work(C) == ["c", "e"]
    assert ledger.keys_needing_work(C, limit=1) == ["c"]
    assert ledger.keys_needing_work(C, skip=["c"], limit=1) == ["e"], "skipped before the limit"
    assert ledger.keys_needing_work("other") == []


def test_failure_records_error_and_retry_resumes_where_it_stopped(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w", ttl_s=60)
    ledger.record_draft(C, "k1", owner="w", deposition_id=7, bucket_url="u")
    row = ledger.record_failure(
        C,
        "k1",
        owner="w",
        kind="server",
        status=502,
        message="x" * 5000,
        retry_after=1_800_000_000.0,
    )
    assert (row.state, row.attempts, row.last_error_status) == (State.FAILED, 1, 502)
    stored = ledger.get(C, "k1")
    assert stored.retry_after == datetime.fromtimestamp(1_800_000_000, UTC)
    assert len(stored.last_error_message) == 2000 and stored.prior_state == State.DRAFTED
    assert ledger.retry(C, "k1", owner="w") == State.DRAFTED


def test_failure_while_unknown_retries_into_the_lookup(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w", ttl_s=60)
    row = ledger.record_unknown(C, "k1", owner="w", operation="create", message="timed out")
    assert Ledger.pending_operation(row) == "create"
    assert Ledger.pending_operation(ledger.get(C, "k1")) == "create"
    ledger.record_failure(C, "k1", owner="w", kind="server", message="lookup failed")
    assert ledger.retry(C, "k1", owner="w") == State.UNKNOWN


def test_same_state_updates_write_no_event(ledger: Ledger) -> None:
    register(ledger, "k1")
    ledger.claim(C, ["k1"], owner="w", ttl_s=60)
    ledger.record_draft(C, "k1", owner="w", deposition_id=7, bucket_url="u")
    ledger.record_draft(C, "k1", owner="w", deposition_id=7, bucket_url="u2")
    ledger.record_file(C, "k1", owner="w", name="a.jpg", size=10, md5=MD5_A)
    ledger.reset_files(C, "k1", owner="w")
    assert ledger.get(C, "k1").bucket_url == "u2"
    assert not any(f.uploaded for f in ledger.get(C, "k1").files)
    assert [e.to_state for e in ledger.events(C, "k1")] == [State.NEW, State.DRAFTED]


def test_counts_and_rows(ledger: Ledger) -> None:
    for key in ("k1", "k2", "k3"):
        register(ledger, key)
    publish(ledger, "k2")
    counts = ledger.counts(C)
    assert counts[State.NEW] == 2 and counts[State.PUBLISHED] == 1 and counts[State.FAILED] == 0
    assert [r.key for r in ledger.rows(C, page=2)] == ["k1", "k2", "k3"]
    assert [r.key for r in ledger.rows(C, [State.NEW], page=1)] == ["k1", "k3"]


def test_watermarks_are_kept_per_collection(ledger: Ledger) -> None:
    assert ledger.get_watermarks(C).extract is None
    ledger.set_watermarks(C, extract="2026-01-01T00:00:00Z")
    ledger.set_watermarks(C, harvest="2026-01-02T00:00:00Z")
    marks = ledger.get_watermarks(C)
    assert (marks.extract, marks.harvest) == ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
    assert ledger.get_watermarks("other").harvest is None


def test_concurrent_file_records_on_one_row_lose_no_update(ledger: Ledger) -> None:
    files = [{"name": f"f{i}", "size": i, "md5": f"{i:032x}"} for i in range(12)]
    register(ledger, "k1", files=files)
    ledger.claim(C, ["k1"], owner="w", ttl_s=60)
    ledger.record_draft(C, "k1", owner="w", deposition_id=7, bucket_url="u")
    run_threads(
        [
            lambda f=f: ledger.record_file(
                C, "k1", owner="w", name=f["name"], size=f["size"], md5=f["md5"]
            )
            for f in files
        ]
    )
    assert ledger.get(C, "k1").all_files_uploaded


def test_threads_claiming_the_same_keys_never_share_one(ledger: Ledger) -> None:
    keys = [f"k{i:03d}" for i in range(60)]
    for key in keys:
        register(ledger, key)
    won: dict[str, list[str]] = {}
    run_threads(
        [
            lambda o=o: won.setdefault(o, ledger.claim(C, keys, owner=o, ttl_s=60))
            for o in ("a", "b", "c", "d", "e", "f")
        ]
    )
    claimed = [k for ks in won.values() for k in ks]
    assert sorted(claimed) == keys


def run_threads(jobs: list[Callable[[], object]]) -> None:
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            job()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def _worker(url: str, keys: list[str], owner: str) -> None:
    ledger = Ledger(url)
    for key in keys:
        if not ledger.claim(C, [key], owner=owner, ttl_s=60):
            continue
        row = ledger.get(C, key)
        if row.state == State.NEW:
            ledger.record_draft(C, key, owner=owner, deposition_id=1, bucket_url=owner)
            for f in FILES:
                ledger.record_file(
                    C, key, owner=owner, name=f["name"], size=f["size"], md5=f["md5"]
                )
            ledger.record_uploaded(C, key, owner=owner)
            ledger.record_published(C, key, owner=owner, record_id=1, doi=f"doi/{key}")
        ledger.release(C, [key], owner=owner)
    ledger.dispose()


@pytest.mark.slow
def test_processes_racing_on_one_batch_publish_each_specimen_once(ledger: Ledger) -> None:
    keys = [f"k{i:03d}" for i in range(40)]
    for key in keys:
        register(ledger, key)
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(target=_worker, args=(ledger.url, keys[::step], f"p{n}"))
        for n, step in enumerate((1, 1, -1, -1))
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert ledger.counts(C)[State.PUBLISHED] == len(keys)
    drafted = [e for e in ledger.events(C) if e.to_state == State.DRAFTED]
    assert sorted(e.key for e in drafted) == keys  # exactly one draft per specimen


def test_record_order_sorts_numeric_ids_as_numbers_then_other_ids_as_text() -> None:
    ids = ["fghij-67890", "10", "abcde-12345", "9", "100", "2"]
    assert sorted(ids, key=record_order) == ["2", "9", "10", "100", "abcde-12345", "fghij-67890"]
    assert max(["9", "10"], key=record_order) == "10"
    assert record_order("0010") != record_order("10")  # a total order: distinct ids differ
