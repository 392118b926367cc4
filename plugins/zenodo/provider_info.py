"""Provider metadata that lets Airflow show the ``zenodo`` connection form."""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    """Return the provider description Airflow reads through the entry point."""
    return {
        "package-name": "specimen-to-zenodo",
        "name": "Zenodo (specimen-to-Zenodo)",
        "description": "Publish digitised natural-history specimens to Zenodo.",
        "versions": ["0.1.0"],
        "connection-types": [
            {"hook-class-name": "zenodo.hooks.zenodo.ZenodoHook", "connection-type": "zenodo"},
        ],
    }
