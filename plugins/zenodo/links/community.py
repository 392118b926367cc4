"""The operator extra link from the upload and report tasks to the collection's community."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook, BaseOperatorLink

from zenodo import runtime


def community_url(collection_id: str) -> str:
    """Return the community page of a collection on its configured Zenodo ('' if none)."""
    config = runtime.collection_config(collection_id)
    if not config.community:
        return ""
    conn = BaseHook.get_connection(config.zenodo_conn_id)
    host = (conn.host or "").rstrip("/")
    if not host:
        return ""
    if "://" not in host:
        host = f"{conn.schema or 'https'}://{host}"
        if conn.port:
            host = f"{host}:{conn.port}"
    return f"{host}/communities/{config.community}"


class ZenodoCommunityLink(BaseOperatorLink):
    """Link a task to the community page of its collection on the configured Zenodo."""

    name = "Zenodo community"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        """Return the community URL of the operator's collection ('' when unknown)."""
        collection_id = getattr(operator, "collection_id", None)
        if not collection_id:
            return ""
        return community_url(collection_id)
