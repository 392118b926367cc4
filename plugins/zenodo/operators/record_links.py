"""The public URLs of a collection's records on its Zenodo: base, record page, DOI."""

from __future__ import annotations

from airflow.sdk import BaseHook


def zenodo_base_url(conn_id: str) -> str:
    """Return the connection's Zenodo base URL (``https://zenodo.org``), without a final ``/``.

    The host may carry its scheme; otherwise the schema (default ``https``) and port are used.
    """
    conn = BaseHook.get_connection(conn_id)
    host = (conn.host or "").rstrip("/")
    if not host:
        raise ValueError(f"connection {conn_id!r}: host is empty: the Zenodo base URL is needed")
    if "://" not in host:
        host = f"{conn.schema or 'https'}://{host}"
        if conn.port:
            host = f"{host}:{conn.port}"
    return host
