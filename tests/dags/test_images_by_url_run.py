"""A real Airflow run (``dag.test()``) of a collection whose images are only on an HTTP server.

The sample collection is written as a DwC-A; its images are moved out of reach of the
pipeline's file system and served by a real HTTP server on 127.0.0.1, which ``images.root``
names. What is published, with which md5s, is read from the sandbox's admin API.
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil

import pytest

from tests.dags.conftest import run_dwca_collection, task_states
from tests.dags.test_dwca_run import _assert_published
from tests.zenodo.source.image_server import serving
from zenodo.ledger.ledger import Ledger
from zenodo_demo.sample import generate_sample
from zenodo_demo.sample_dwca import sample_archive
from zenodo_sandbox.testing import SandboxProcess


def test_a_collection_with_images_by_url_is_published(
    airflow_db: None, sandbox: SandboxProcess, tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str,
) -> None:
    sample = generate_sample(tmp_path / "sample", n=12, hostile_share=0.0, seed=5)
    archive = sample_archive(sample)
    served = tmp_path / "served"
    shutil.move(sample.image_root, served)  # the pipeline can only reach them over HTTP
    md5s = {p.name: hashlib.md5(p.read_bytes(), usedforsecurity=False).hexdigest()
            for p in served.iterdir()}
    with serving(served) as server:
        run = run_dwca_collection(monkeypatch, tmp_path, sandbox, sqlite_url,
                                  archive=archive, image_root=server.url)
        assert str(run.state) == "success", task_states(run)
        fetched = {name for method, name, _ in server.requests if method == "GET"}
    assert fetched and fetched <= set(md5s), "every image came from the server"

    ledger = Ledger(sqlite_url)
    try:
        _assert_published(sandbox, ledger, sample)
    finally:
        ledger.dispose()
    published = [f for d in sandbox.admin.depositions() if d["submitted"] for f in d["files"]]
    images = [f for f in published if f["key"] in md5s]
    assert {f["key"] for f in images} == fetched, "each image fetched is published"
    assert all(f["md5"] == md5s[f["key"]] for f in images), "with the server's file's md5"
