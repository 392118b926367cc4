"""Images by URL through the engine: streamed from an HTTP server to the real sandbox.

Specimens are registered with images served by a real HTTP server on 127.0.0.1
(:mod:`tests.zenodo.source.image_server`); faults are set on the server after prepare. What the
sandbox holds is read from its admin API: never a published record with a partial file.
"""

from __future__ import annotations

import dataclasses
import pathlib

import pytest

from tests.zenodo.engine_helpers import run_batch
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from tests.zenodo.source.image_server import serving
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore
from zenodo.ledger.states import State
from zenodo.source.image_http import RemoteFile
from zenodo_sandbox.testing import SandboxProcess


def _serve_payloads(ledger: Ledger, keys: list[str], base_url: str) -> None:
    """Point the stored payloads' images at the server (same name, size and md5), with a
    query token that must never be shown."""
    store = PayloadStore(ledger)
    payloads = [store.get(COLLECTION, key) for key in keys]
    store.put_many(COLLECTION, [dataclasses.replace(p, files=tuple(
        dataclasses.replace(f, path=RemoteFile(f"{base_url}{f.name}?token=secret"))
        for f in p.files)) for p in payloads])


@pytest.mark.parametrize("protocol", ["deposit", "rdm"])
def test_remote_images_are_streamed_and_faults_never_publish_a_partial_file(
    sandbox: SandboxProcess, ledger: Ledger, tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch, protocol: str,
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_REMOTE", sandbox.connection_json(protocol=protocol))
    hook = ZenodoHook("zenodo_remote", backoff_max=0.1)
    keys = register_specimens(ledger, tmp_path, 6, schema=protocol)
    with serving(tmp_path / "images") as server:
        _serve_payloads(ledger, keys, server.url)
        names = {key: PayloadStore(ledger).get(COLLECTION, key).files[0].name for key in keys}
        server.faults[names[keys[1]]] = "500"
        server.faults[names[keys[2]]] = "short"
        server.faults[names[keys[3]]] = "cut"
        server.faults[names[keys[4]]] = "404"
        changed = tmp_path / "images" / names[keys[5]]
        changed.write_bytes(changed.read_bytes()[:-1] + b"!")  # same size, other md5

        result = run_batch(ledger, hook, keys, retry_waits=(0.05,))

    assert result.outcomes == {"published": 1, "failed": 5}, result.as_dict()
    rows = {key: ledger.get(COLLECTION, key) for key in keys}
    assert rows[keys[0]].state == State.PUBLISHED
    for key in keys[1:4]:  # the server's fault: retried later
        assert rows[key].state == State.FAILED and rows[key].retry_after is not None
        assert rows[key].last_error_kind == "ImageUnavailable"
        assert f"{server.url}{names[key]}" in rows[key].last_error_message
    assert rows[keys[4]].last_error_kind == "ImageGone"
    assert "HTTP 404" in rows[keys[4]].last_error_message
    assert rows[keys[5]].last_error_kind == "ImageChanged"
    assert "has md5" in rows[keys[5]].last_error_message
    assert all("secret" not in (row.last_error_message or "") for row in rows.values())
    published = [d for d in sandbox.admin.depositions() if d["submitted"]]
    assert len(published) == 1
    payload = PayloadStore(ledger).get(COLLECTION, keys[0])
    assert [(f["key"], f["md5"]) for f in published[0]["files"]] == [
        (f.name, f.md5) for f in payload.files]
