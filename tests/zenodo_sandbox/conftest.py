"""Fixtures: one sandbox process per test session, wiped before each test that uses it."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from zenodo_sandbox.testing import SandboxProcess

GOOD_METADATA: dict[str, Any] = {
    "upload_type": "image",
    "image_type": "photo",
    "publication_date": "2024-03-01",
    "title": "Herbarium specimen BR0000013",
    "creators": [{"name": "Meise, Botanic Garden", "affiliation": "Meise"}],
    "description": "<p>Digitised herbarium sheet.</p>",
    "access_right": "open",
    "license": "cc-by-4.0",
    "keywords": ["herbarium", "Plantae"],
    "related_identifiers": [{"identifier": "urn:catalog:BR:BR0000013",
                             "relation": "isAlternateIdentifier"}],
    "custom": {"dwc:catalogNumber": ["BR0000013"], "dwc:kingdom": ["Plantae"]},
}


@pytest.fixture
def api(sandbox: SandboxProcess) -> requests.Session:
    """Return a session authenticated as the default user (alice)."""
    session = requests.Session()
    session.headers.update(sandbox.headers())
    return session


@pytest.fixture
def metadata() -> dict[str, Any]:
    """Return complete, publishable deposit metadata."""
    return {k: (list(v) if isinstance(v, list) else v) for k, v in GOOD_METADATA.items()}


@pytest.fixture
def deposit(sandbox: SandboxProcess, api: requests.Session, metadata: dict[str, Any]):
    """Return a function that creates a deposition, uploads files and optionally publishes.

    ``deposit(metadata=None, files={"sheet.jpg": b"..."}, publish=False, session=api)``
    returns the last deposition JSON.
    """
    def make(meta: dict[str, Any] | None = None, files: dict[str, bytes] | None = None,
             publish: bool = False, session: requests.Session | None = None) -> dict[str, Any]:
        client = session or api
        created = client.post(f"{sandbox.url}/api/deposit/depositions",
                              json={"metadata": meta if meta is not None else metadata})
        assert created.status_code == 201, created.text
        dep = created.json()
        for key, content in (files if files is not None else {"sheet.jpg": b"jpeg"}).items():
            put = client.put(f"{dep['links']['bucket']}/{key}", data=content)
            assert put.status_code == 201, put.text
        if publish:
            published = client.post(dep["links"]["publish"])
            assert published.status_code == 202, published.text
            return published.json()
        return client.get(dep["links"]["self"]).json()

    return make
