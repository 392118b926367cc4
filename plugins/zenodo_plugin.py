"""Plugin entry file: Airflow's plugin loader imports this top-level module.

The plugin class lives in the ``zenodo`` package (``plugins/.airflowignore`` keeps the loader
out of it, since the loader would import its modules under their bare file names).
"""

from __future__ import annotations

from zenodo.airflow_plugin import ZenodoPlugin

__all__ = ["ZenodoPlugin"]
