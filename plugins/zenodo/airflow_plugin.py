"""The Airflow plugin of the package: registers the operator extra link with the API server."""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.plugins_manager import AirflowPlugin

from zenodo.operators.links import ZenodoCommunityLink


class ZenodoPlugin(AirflowPlugin):
    """Register :class:`ZenodoCommunityLink` (so the API server can show it)."""

    name = "zenodo"
    operator_extra_links: ClassVar[list[Any]] = [ZenodoCommunityLink()]
