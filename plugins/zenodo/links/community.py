"""The extra link from a collection's upload and report tasks to its community on Zenodo.

The task persists the URL in XCom while it runs (it has the collection's config and connection
in hand); drawing the link only reads that XCom, never the YAML or the connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook, BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import Connection


def community_url(conn: Connection, community: str | None) -> str:
    """Return the community page on the connection's Zenodo ('' without a community or host)."""
    host = (conn.host or "").rstrip("/")
    if not community or not host:
        return ""
    if "://" not in host:
        host = f"{conn.schema or 'https'}://{host}"
        if conn.port:
            host = f"{host}:{conn.port}"
    return f"{host}/communities/{community}"


class ZenodoCommunityLink(BaseOperatorLink):
    """Link a task to the community page of its collection on the configured Zenodo."""

    name = "Zenodo community"

    @classmethod
    def persist(cls, context: Any, *, conn_id: str, community: str | None) -> str:
        """Work out the community URL once, store it with the task instance, and return it."""
        url = community_url(BaseHook.get_connection(conn_id), community)
        context["ti"].xcom_push(key=cls().xcom_key, value=url)
        return url

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        """Return the URL the task persisted ('' when it has not run yet)."""
        from airflow.sdk.execution_time.xcom import XCom

        return XCom.get_value(ti_key=ti_key, key=self.xcom_key) or ""
