"""Shared helpers for the harvest and reconcile tests: seeded metadata and a hook on a sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from zenodo.hooks.zenodo import ZenodoHook
from zenodo.metadata.identity import key_keyword
from zenodo_sandbox.testing import SandboxProcess

CONN_ID = "zenodo_reconcile_test"


def specimen_metadata(key: str, *, alternate: str | None = None,
                      keyword: bool = True) -> dict[str, Any]:
    """Return deposit metadata as the mapping writes it for ``key`` (``{n}`` allowed)."""
    metadata: dict[str, Any] = {
        "upload_type": "image", "image_type": "photo", "publication_date": "2024-01-01",
        "title": f"Specimen {key}", "creators": [{"name": "Garden, Botanic"}],
        "description": f"Herbarium specimen {key}.", "access_right": "open",
        "license": "cc-by-4.0", "keywords": ["Quercus"],
        "related_identifiers": [{"identifier": alternate or f"urn:specimen:{key}",
                                 "relation": "isAlternateIdentifier", "scheme": "urn"}],
    }
    if keyword:
        metadata["keywords"].append(key_keyword(key))
    return metadata


def make_hook(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxProcess,
              **kwargs: Any) -> ZenodoHook:
    """Return a hook whose connection points at the sandbox (from an env var)."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({
        "conn_type": "zenodo", "host": sandbox.url, "password": sandbox.token,
        "extra": {"rate_limit_profile": "none"}}))
    return ZenodoHook(CONN_ID, **kwargs)


def seed(sandbox: SandboxProcess, key: str, *, communities: tuple[str, ...] = ("herb",),
         count: int = 1, **metadata_options: Any) -> list[int]:
    """Seed ``count`` published records for ``key`` (``{n}`` numbers them); return their ids."""
    answer = sandbox.admin.seed(count, communities=list(communities),
                                metadata=specimen_metadata(key, **metadata_options))
    return list(answer["ids"])


def oai_requests(sandbox: SandboxProcess) -> list[dict[str, Any]]:
    """Return the sandbox's logged OAI-PMH requests."""
    return sandbox.admin.requests(kind="oai")["requests"]
