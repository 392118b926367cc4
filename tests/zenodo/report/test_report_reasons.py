"""A published specimen has no reason in ``specimens.csv``; its history stays in the events."""

from __future__ import annotations

import csv
import pathlib
from datetime import timedelta

from tests.zenodo.engine_helpers import run_batch
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo.report.run_report import build_report, write_report
from zenodo_sandbox.testing import SandboxProcess


def _csv_rows(ledger: Ledger, folder: pathlib.Path) -> dict[str, dict[str, str]]:
    paths = write_report(build_report(ledger, COLLECTION, run_id="r1"), ledger, folder)
    with paths["csv"].open(newline="", encoding="utf-8") as handle:
        return {row["key"]: row for row in csv.DictReader(handle)}


def test_a_fault_free_run_reports_published_specimens_without_a_reason(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    keys = register_specimens(ledger, tmp_path, 3)
    assert run_batch(ledger, zenodo_hook, keys).outcomes == {"published": 3}

    rows = _csv_rows(ledger, tmp_path / "reports")
    assert {rows[k]["state"] for k in keys} == {"PUBLISHED"}
    assert {rows[k]["reason"] for k in keys} == {""}, rows
    for key in keys:
        row = ledger.get(COLLECTION, key)
        assert (row.last_error_kind, row.last_error_message, row.last_error_status,
                row.last_error_at) == (None, None, None, None)
        # The history is the ledger's: the publish intent and the publication, in order.
        moves = [(e.from_state, e.to_state) for e in ledger.events(COLLECTION, key)]
        assert ("UPLOADED", "UNKNOWN") in moves and moves[-1] == ("UNKNOWN", "PUBLISHED")
        assert ledger.events(COLLECTION, key)[-1].detail["settled_error"] == {
            "kind": "unknown:publish", "message": "publish sent; outcome not yet seen"}


def test_a_specimen_published_after_a_failure_loses_its_reason_but_not_its_history(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    [key, other] = register_specimens(ledger, tmp_path, 2)
    ledger.claim(COLLECTION, [key], owner="earlier-run", ttl_s=60)
    ledger.record_failure(COLLECTION, key, owner="earlier-run", kind="ServerError", status=503,
                          message="create: HTTP 503", retry_after=timedelta(seconds=-1))
    ledger.release(COLLECTION, [key], owner="earlier-run")
    assert _csv_rows(ledger, tmp_path / "before")[key]["reason"] == (
        "ServerError 503: create: HTTP 503")

    assert run_batch(ledger, zenodo_hook, [key, other]).outcomes == {"published": 2}

    rows = _csv_rows(ledger, tmp_path / "after")
    assert (rows[key]["state"], rows[key]["reason"]) == ("PUBLISHED", "")
    failed = [e for e in ledger.events(COLLECTION, key) if e.to_state == State.FAILED.value]
    assert failed and failed[0].detail["status"] == 503
