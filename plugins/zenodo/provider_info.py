"""Provider metadata that lets Airflow show the ``zenodo`` connection form.

Airflow reads connection types only from installed distributions that declare the
``apache_airflow_provider`` entry point (see ``pyproject.toml``); a plugin cannot register one.
The form is declarative (``conn-fields`` + ``ui-field-behaviour``), as Airflow 3.3 prefers.
"""

from __future__ import annotations

from typing import Any

CONNECTION_FIELDS: dict[str, dict[str, Any]] = {
    "user_agent": {
        "label": "User-Agent",
        "description": "Identifies your pipeline to Zenodo (name, version, contact e-mail).",
        "schema": {"type": ["string", "null"]},
    },
    "rate_limit_profile": {
        "label": "Rate-limit profile",
        "description": "zenodo (100/min, 5000/h), zenodo-guest, none, or e.g. '600/min,30000/h'.",
        "schema": {"type": ["string", "null"], "default": "zenodo"},
    },
    "connect_timeout": {
        "label": "Connect timeout (s)",
        "description": "Seconds to wait for a TCP connection.",
        "schema": {"type": ["number", "null"], "default": 10},
    },
    "read_timeout": {
        "label": "Read timeout (s)",
        "description": "Seconds to wait for an answer before the outcome is unknown.",
        "schema": {"type": ["number", "null"], "default": 120},
    },
    "protocol": {
        "label": "Protocol",
        "description": "deposit (legacy deposit API, 3 requests per one-file record) or rdm "
                       "(InvenioRDM records API, 5; any InvenioRDM repository).",
        "schema": {
            "type": ["string", "null"],
            "default": "deposit",
            "enum": ["deposit", "rdm", None],
        },
    },
    "oai_set_prefix": {
        "label": "OAI-PMH community set prefix",
        "description": "user- on Zenodo; community- on other InvenioRDM repositories.",
        "schema": {"type": ["string", "null"], "default": "user-"},
    },
}


def get_provider_info() -> dict[str, Any]:
    """Return the provider description Airflow reads through the entry point."""
    return {
        "package-name": "specimen-to-zenodo",
        "name": "Zenodo (specimen-to-Zenodo)",
        "description": "Publish digitised natural-history specimens to Zenodo.",
        "versions": ["0.1.0"],
        "connection-types": [
            {
                "hook-class-name": "zenodo.hooks.zenodo.ZenodoHook",
                "hook-name": "Zenodo",
                "connection-type": "zenodo",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login"],
                    "relabeling": {"host": "Zenodo base URL", "password": "Access token"},
                    "placeholders": {"host": "https://zenodo.org"},
                },
                "conn-fields": CONNECTION_FIELDS,
            },
        ],
    }
