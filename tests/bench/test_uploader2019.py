"""The 2019 uploader model against a real sandbox: its stages, its log, what it leaves behind.

Each test forces one fault on every request of one kind, so the outcome is certain: what the
uploader logs, what the sandbox holds (counted through its admin API by ``reckon``).
"""

from __future__ import annotations

import pathlib

import pytest

from bench.baseline_uploader import Logged, Upload, Uploader2019
from bench.log_truth import Reckoning, reckon
from tests.zenodo.payload_factory import metadata_for, specimen_key
from zenodo_sandbox.testing import SandboxProcess

COUNT = 6


@pytest.fixture
def uploads(tmp_path: pathlib.Path) -> list[Upload]:
    """Six records, each with a small real file."""
    made = []
    for index in range(COUNT):
        path = tmp_path / f"HERB{index:05d}.jpg"
        path.write_bytes(f"specimen {index} ".encode() * 40)
        key = specimen_key(index)
        made.append(Upload(key, metadata_for(key, index), path))
    return made


def upload_once(sandbox: SandboxProcess, uploads: list[Upload],
                fault: dict[str, dict[str, object]] | None = None) -> tuple[Uploader2019,
                                                                            Reckoning]:
    """Run one batch with ``fault`` (kind -> spec) on the sandbox; reckon the sandbox."""
    sandbox.admin.set_faults({"seed": 1, "kinds": fault} if fault else None)
    uploader = Uploader2019(sandbox.url, sandbox.token, workers=3)
    uploader.run(uploads)
    sandbox.admin.set_faults(None)
    said = {key: logged is Logged.PUBLISHED for key, logged in uploader.log.items()}
    keys = [u.key for u in uploads]
    return uploader, reckon(sandbox.admin, keys, said, uploader.drafts)


def test_without_faults_every_record_is_published_and_logged_so(
        sandbox: SandboxProcess, uploads: list[Upload]) -> None:
    uploader, found = upload_once(sandbox, uploads)
    assert set(uploader.log.values()) == {Logged.PUBLISHED}
    assert found.census.once == COUNT and found.census.drafts == 0
    assert (found.published_not_online, found.failed_but_online, found.orphans) == (0, 0, 0)


def test_the_stages_run_in_turn_creates_then_uploads_then_publishes(
        sandbox: SandboxProcess, uploads: list[Upload]) -> None:
    upload_once(sandbox, uploads)
    kinds = [entry["kind"] for entry in sorted(sandbox.admin.requests()["requests"],
                                               key=lambda entry: entry["time"])
             if entry["kind"] in ("create", "file_put", "publish")]
    assert kinds == ["create"] * COUNT + ["file_put"] * COUNT + ["publish"] * COUNT


def test_a_failed_publish_is_logged_published_and_never_retried(
        sandbox: SandboxProcess, uploads: list[Upload]) -> None:
    uploader, found = upload_once(sandbox, uploads,
                                  {"publish": {"error_rate": 1.0, "error_statuses": [502]}})
    assert set(uploader.log.values()) == {Logged.PUBLISHED}
    assert sandbox.admin.requests(kind="publish")["total"] == COUNT, "no retry"
    assert found.census.lost == COUNT and found.published_not_online == COUNT
    assert found.census.drafts == COUNT and found.orphans == 0  # drafts it knows, left as is


def test_a_lost_create_answer_leaves_an_orphan_draft(
        sandbox: SandboxProcess, uploads: list[Upload]) -> None:
    uploader, found = upload_once(sandbox, uploads, {"create": {
        "commit_then_fail": 1.0, "commit_fail_mode": "gateway"}})
    assert set(uploader.log.values()) == {Logged.CREATE_FAILED} and not uploader.drafts
    assert sandbox.admin.requests(kind="create")["total"] == COUNT, "no retry"
    assert found.census.drafts == COUNT and found.orphans == COUNT
    assert found.census.lost == COUNT and found.failed_but_online == 0


def test_a_failed_upload_is_logged_failed_and_its_record_never_published(
        sandbox: SandboxProcess, uploads: list[Upload]) -> None:
    uploader, found = upload_once(sandbox, uploads, {"file_put": {"error_rate": 1.0}})
    assert set(uploader.log.values()) == {Logged.UPLOAD_FAILED}
    assert sandbox.admin.requests(kind="publish")["total"] == 0
    assert found.census.drafts == COUNT and found.orphans == 0
    assert found.published_not_online == 0 and found.failed_but_online == 0


def test_the_next_batch_overwrites_the_log_of_what_it_resubmits(
        sandbox: SandboxProcess, uploads: list[Upload]) -> None:
    sandbox.admin.set_faults({"seed": 1, "kinds": {"file_put": {"error_rate": 1.0}}})
    uploader = Uploader2019(sandbox.url, sandbox.token, workers=3)
    uploader.run(uploads[:2])
    sandbox.admin.set_faults(None)
    uploader.run(uploads)
    assert set(uploader.log.values()) == {Logged.PUBLISHED} and len(uploader.log) == COUNT
    assert len(uploader.drafts) == COUNT + 2  # the two abandoned drafts stay known, undiscarded
    assert len(sandbox.admin.depositions(state="unsubmitted")) == 2
