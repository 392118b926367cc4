"""The links we write point where the hook sends the records: its base URL, from the connection."""

from __future__ import annotations

import json

import pytest

from zenodo.operators.record_links import zenodo_base_url


@pytest.mark.parametrize(("conn", "expected"), [
    ({"conn_type": "http", "host": "https://zenodo.org/"}, "https://zenodo.org"),
    ({"conn_type": "http", "host": "sandbox.zenodo.org", "schema": "https"},
     "https://sandbox.zenodo.org"),
    ({"conn_type": "http", "host": "127.0.0.1", "schema": "http", "port": 5000},
     "http://127.0.0.1:5000"),
])
def test_the_base_url_is_the_hooks(monkeypatch: pytest.MonkeyPatch, conn: dict,
                                   expected: str) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_LINKS", json.dumps(
        {**conn, "password": "secret-token"}))
    assert zenodo_base_url("zenodo_links") == expected


def test_a_connection_without_host_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_LINKS", json.dumps({"conn_type": "http"}))
    with pytest.raises(ValueError, match="connection 'zenodo_links': host is empty"):
        zenodo_base_url("zenodo_links")
