"""The Airflow plugin of the package: the community extra link and the Zenodo status page."""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.plugins_manager import AirflowPlugin

from zenodo.links.community import ZenodoCommunityLink
from zenodo.www.status_page import URL_PREFIX, create_app


class ZenodoPlugin(AirflowPlugin):
    """Register :class:`ZenodoCommunityLink` and mount the status page in the API server.

    The status page (:mod:`zenodo.www.status_page`) is served under ``/zenodo/`` and listed in the
    UI's navigation; it needs a logged-in Airflow user.
    """

    name = "zenodo"
    operator_extra_links: ClassVar[list[Any]] = [ZenodoCommunityLink()]
    fastapi_apps: ClassVar[list[dict[str, Any]]] = [
        {"app": create_app(), "url_prefix": URL_PREFIX, "name": "Zenodo status"},
    ]
    external_views: ClassVar[list[dict[str, Any]]] = [
        {"name": "Zenodo status", "href": f"{URL_PREFIX}/", "destination": "nav",
         "category": "browse", "url_route": "zenodo-status"},
    ]
