"""The environment that points Airflow, the ledger and the sample collection at a local folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The Zenodo community the sample collection publishes into.
COMMUNITY = "herbarium-sample"


def sample_variables(db_url: str, image_root: str | Path) -> dict[str, str]:
    """Return the variables that point the ``herbarium_sample`` collection at a sample."""
    return {"SAMPLE_DB_URL": db_url, "SAMPLE_IMAGE_ROOT": str(image_root)}


def pipeline_env(work: Path, connection_json: str, sample: Mapping[str, str], *,
                 mapping: str | None = None) -> dict[str, str]:
    """Return the variables of a local run: Airflow home, ledger, reports, cache in ``work``.

    :param connection_json: the ``zenodo_default`` connection (JSON form)
    :param sample: the sample's variables (:func:`sample_variables`)
    :param mapping: the sample collection's mapping (default: the one in collections.yaml)
    """
    env = {
        "AIRFLOW_HOME": str(work / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_ZENODO_DEFAULT": connection_json,
        "ZENODO_LEDGER_URL": f"sqlite:///{work / 'ledger.db'}",
        "ZENODO_REPORTS_DIR": str(work / "reports"),
        "ZENODO_CACHE_DIR": str(work / "cache"),
        "ZENODO_FEED_GRACE": "0",
        "SAMPLE_COMMUNITY": COMMUNITY,
        **sample,
    }
    if mapping:
        env["SAMPLE_MAPPING"] = mapping
    return env
