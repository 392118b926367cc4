"""A plain ``requests`` upload written from the Zenodo docs works unchanged on the sandbox.

Against zenodo.org only ``BASE`` and ``TOKEN`` change: nothing below is sandbox-specific.
"""

from __future__ import annotations

import hashlib

import requests


def md5_hex(data: bytes) -> str:
    """Return the md5 hex digest of ``data``."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def upload_one(base: str, token: str, path_bytes: bytes, name: str) -> dict:
    """Create a deposition with metadata, PUT one file to its bucket, publish it."""
    headers = {"Authorization": f"Bearer {token}"}
    metadata = {
        "upload_type": "image", "image_type": "photo", "publication_date": "2024-05-01",
        "title": "Specimen photograph", "creators": [{"name": "Doe, Jane"}],
        "description": "A herbarium sheet.", "access_right": "open", "license": "cc-by-4.0",
    }
    r = requests.post(f"{base}/api/deposit/depositions", json={"metadata": metadata},
                      headers=headers, timeout=60)
    r.raise_for_status()
    deposition = r.json()
    r = requests.put(f"{deposition['links']['bucket']}/{name}", data=path_bytes,
                     headers=headers, timeout=300)
    r.raise_for_status()
    assert r.json()["checksum"] == "md5:" + md5_hex(path_bytes)
    r = requests.post(f"{base}/api/deposit/depositions/{deposition['id']}/actions/publish",
                      headers=headers, timeout=60)
    r.raise_for_status()
    return r.json()


def test_reference_script_publishes_a_record(sandbox):
    published = upload_one(sandbox.url, sandbox.token, b"\xff\xd8 jpeg", "sheet.jpg")
    assert published["submitted"] is True and published["doi"].startswith("10.5072/zenodo.")
    record = requests.get(published["links"]["record"], timeout=10).json()
    assert record["files"][0]["key"] == "sheet.jpg"
    assert sandbox.admin.counts()["by_state"] == {"done": 1}
