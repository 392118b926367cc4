"""The public URLs of a collection's records on its Zenodo: base, record page, DOI."""

from __future__ import annotations


def zenodo_base_url(conn_id: str) -> str:
    """Return the base URL the connection's hook speaks to (``https://zenodo.org``), without a
    final ``/``: the links we write point where the records were sent.

    :raises ValueError: when the connection has no host.
    """
    from zenodo.hooks.zenodo import ZenodoHook

    hook = ZenodoHook(conn_id)
    if not (hook.get_connection(conn_id).host or "").strip():
        raise ValueError(f"connection {conn_id!r}: host is empty: the Zenodo base URL is needed")
    hook.get_conn()  # reads the connection and sets base_url; sends nothing
    return str(hook.base_url).rstrip("/")
