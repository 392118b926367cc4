"""A real Airflow run (``dag.test()``) of a collection whose images are only in an S3 store.

The sample collection is written as a DwC-A; its images are put into a bucket of a real S3-API
server process (moto's server mode) and removed from the disk; ``images.root`` names the
bucket and ``images.conn_id`` an Airflow ``aws`` connection (``AIRFLOW_CONN_IMAGES_S3``) whose
endpoint is a fault proxy in front of the server. One object is missing, one answers 503, one
is replaced between prepare and upload: those three specimens fail, each with its reason (the
upload task whose batch held the replaced one says so and fails the run, as for any specimen
that fails there), and the others publish with the stored objects' md5s, read from the
sandbox's admin API.
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil

import pytest

from tests.dags.conftest import DWCA_COLLECTIONS, run_dwca_collection, task_states
from tests.zenodo.payload_factory import published_by_key
from tests.zenodo.source.s3_server import FaultProxy, S3Server, connection_json
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.states import State
from zenodo_demo.sample import generate_sample
from zenodo_demo.sample_dwca import sample_archive
from zenodo_sandbox.testing import SandboxProcess

BUCKET, PREFIX = "herbarium-images", "sheets/"
SPECIMEN = "https://herbarium.example.org/specimen/SMPL000000{}"
#: The collections file of the DwC-A runs, its images in the store through a connection.
ROOT_LINE = '      root: "${SAMPLE_IMAGE_ROOT}"\n'
S3_COLLECTIONS = DWCA_COLLECTIONS.replace(ROOT_LINE, ROOT_LINE + "      conn_id: images_s3\n")


def test_a_collection_with_images_only_in_s3_is_published(
    airflow_db: None, sandbox: SandboxProcess, tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str,
) -> None:
    assert "conn_id: images_s3" in S3_COLLECTIONS
    sample = generate_sample(tmp_path / "sample", n=10, hostile_share=0.0, seed=5)
    archive = sample_archive(sample)
    folder = pathlib.Path(sample.image_root)
    md5s = {p.name: hashlib.md5(p.read_bytes(), usedforsecurity=False).hexdigest()
            for p in folder.iterdir()}
    swapped = bytearray((folder / "SMPL0000004.jpg").read_bytes())
    swapped[100] ^= 0xFF  # same size, other content
    with S3Server() as s3:
        s3.upload_folder(folder, BUCKET, PREFIX)
        shutil.rmtree(folder)  # no worker reads a disk: the images are only in the store
        client = s3.client()
        client.delete_object(Bucket=BUCKET, Key=f"{PREFIX}SMPL0000001.jpg")

        def put(key: str, content: bytes) -> None:
            client.put_object(Bucket=BUCKET, Key=key.partition("/")[2], Body=content)

        with FaultProxy(s3.url, put) as proxy:
            proxy.faults[f"{BUCKET}/{PREFIX}SMPL0000002.jpg"] = 503
            # the first whole read is prepare's md5, the second the upload's
            proxy.swaps[f"{BUCKET}/{PREFIX}SMPL0000004.jpg"] = (2, bytes(swapped))
            run = run_dwca_collection(
                monkeypatch, tmp_path, sandbox, sqlite_url, archive=archive,
                image_root=f"s3://{BUCKET}/{PREFIX}", collections_text=S3_COLLECTIONS,
                env_extra={"AIRFLOW_CONN_IMAGES_S3": connection_json(proxy.url)})
    states = task_states(run)
    assert states[("prepare", -1)] == "success", "a 503 at prepare fails its specimen only"
    assert {task for (task, _), state in states.items() if state == "failed"} == {
        "upload", "check_run"}, "the batch with the replaced object says it is not done"
    assert states[("report", -1)] == "success"

    depositions = sandbox.admin.depositions()
    by_key = published_by_key([d for d in depositions if d["submitted"]])
    failing = {SPECIMEN.format(n) for n in (1, 2, 4)}
    assert set(by_key) == set(sample.valid_keys) - failing, "the batch went on around them"
    for deposits in by_key.values():
        (deposition,) = deposits
        images = [f for f in deposition["files"] if f["key"] in md5s]  # not the JSON-LD sidecar
        assert images and all(f["md5"] == md5s[f["key"]] for f in images)
    on_zenodo = {f["key"] for d in depositions for f in d["files"]}
    assert "SMPL0000004.jpg" not in on_zenodo, "the replaced object never became a file"

    ledger = Ledger(sqlite_url)
    try:
        missing, unavailable, replaced = (ledger.get("herbarium_dwca", SPECIMEN.format(n))
                                          for n in (1, 2, 4))
    finally:
        ledger.dispose()
    assert missing.state == State.QUARANTINED
    assert list(missing.quarantine_reasons) == [
        f"SMPL0000001.jpg: image file is missing: image s3://{BUCKET}/{PREFIX}SMPL0000001.jpg: "
        "not in the store (404)"]
    assert unavailable.state == State.FAILED and unavailable.retry_after is not None
    assert unavailable.last_error_status == 503
    assert "SMPL0000002.jpg: stat failed (503); try again later" in \
        unavailable.last_error_message
    assert replaced.state == State.FAILED and "has md5" in replaced.last_error_message
