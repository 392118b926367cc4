"""An image swapped after validation is never sent: the opened file itself is checked.

Specimens are registered (their files validated, hashed and identified), then files are
swapped on disk, as someone with write access to the image folder could: a symlink to a file
outside the image root, another file renamed over the image. The engine runs against the real
sandbox; what the sandbox received is read from its admin API and request log.
"""

from __future__ import annotations

import os
import pathlib

import pytest

from tests.zenodo.engine_helpers import run_batch
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.payloads import PayloadStore
from zenodo.ledger.states import State
from zenodo.source.hashing_reader import UnsafeFile, open_checked
from zenodo.source.specimen import FileSpec
from zenodo_sandbox.testing import SandboxProcess


def _swap(tmp_path: pathlib.Path, keys: list[str], ledger: Ledger) -> dict[str, pathlib.Path]:
    """Swap the image of keys[0] for a link outside the root, keys[1]'s for another file."""
    store = PayloadStore(ledger)
    images = {key: store.get(COLLECTION, key).files[0].path for key in keys}
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_bytes(b"S" * images[keys[0]].stat().st_size)  # same size: only identity tells
    images[keys[0]].unlink()
    images[keys[0]].symlink_to(secret)
    other = images[keys[1]].with_name("other.jpg")
    other.write_bytes(b"X" * images[keys[1]].stat().st_size)
    os.replace(other, images[keys[1]])
    return images


@pytest.mark.parametrize("protocol", ["deposit", "rdm"])
def test_a_swapped_image_fails_its_specimen_and_is_never_sent(
    sandbox: SandboxProcess, ledger: Ledger, tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch, protocol: str,
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_SWAP", sandbox.connection_json(protocol=protocol))
    hook = ZenodoHook("zenodo_swap", backoff_max=0.2)
    keys = register_specimens(ledger, tmp_path, 3, schema=protocol)
    images = _swap(tmp_path, keys, ledger)

    result = run_batch(ledger, hook, keys)

    assert result.outcomes == {"published": 1, "failed": 2}, result.as_dict()
    linked, replaced = ledger.get(COLLECTION, keys[0]), ledger.get(COLLECTION, keys[1])
    for row, path in ((linked, images[keys[0]]), (replaced, images[keys[1]])):
        assert row.state == State.FAILED and row.retry_after is None, "permanent"
        assert row.last_error_kind == "UnsafeFile"
        assert f"file {path.name!r} ({path})" in row.last_error_message
        assert "was replaced since it was validated" in row.last_error_message
    assert str(tmp_path / "outside" / "secret.txt") in linked.last_error_message
    assert ledger.get(COLLECTION, keys[2]).state == State.PUBLISHED
    # Nothing of the swapped files reached the server: no content PUT for their drafts.
    sent = [r for r in sandbox.admin.requests()["requests"] if r["method"] == "PUT"
            and ("/files/" in r["path"] or r["path"].endswith("/content"))]
    assert len(sent) == 1, sent
    held = [f for d in sandbox.admin.depositions() for f in d.get("files") or []]
    assert [f["key"] for f in held] == [images[keys[2]].name]


def test_open_checked_refuses_what_is_not_the_validated_regular_file(
    tmp_path: pathlib.Path,
) -> None:
    image = tmp_path / "sheet.jpg"
    image.write_bytes(b"\xff\xd8 sheet \xff\xd9")
    size = image.stat().st_size
    with open_checked(FileSpec(image, "sheet.jpg", size)) as handle:
        assert handle.read() == image.read_bytes()

    link = tmp_path / "link.jpg"
    link.symlink_to(image)
    with pytest.raises(UnsafeFile, match=r"'link.jpg' \(.*link.jpg\) is a symbolic link"):
        open_checked(FileSpec(link, "link.jpg", size))  # no identity known: no links
    fifo = tmp_path / "fifo.jpg"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeFile, match="is not a regular file"):
        open_checked(FileSpec(fifo, "fifo.jpg", size))  # and opening did not block
    with pytest.raises(UnsafeFile, match="has 3 bytes, 12 when validated"):
        image.write_bytes(b"abc")
        open_checked(FileSpec(image, "sheet.jpg", 12))
    with pytest.raises(UnsafeFile, match="cannot be opened: No such file"):
        open_checked(FileSpec(tmp_path / "gone.jpg", "gone.jpg", size))
