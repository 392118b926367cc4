"""Fixtures for real Airflow runs of the collection DAGs against the sandbox.

``run_env`` makes a sample collection, points ``herbarium_sample`` at it through the
environment (as a deployment would), and gives a fresh ledger on SQLite or PostgreSQL.
"""

from __future__ import annotations

import os
import pathlib
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from zenodo.ledger.ledger import Ledger
from zenodo_demo.sample import SampleInfo, generate_sample
from zenodo_sandbox.testing import SandboxProcess

ROOT = pathlib.Path(__file__).resolve().parents[2]
DAG_ID = "herbarium_sample"
COMMUNITY = "herbarium-sample"
DWCA_DAG_ID = "herbarium_dwca"
DWCA_COLLECTIONS = textwrap.dedent("""\
    collections:
      - id: herbarium_dwca
        dwca: {path: "${SAMPLE_DWCA}"}
        images:
          root: "${SAMPLE_IMAGE_ROOT}"
          files: ["{catalogNumber}.jpg"]   # not used: the archive has a multimedia extension
        mapping: pilot1
        mapping_params:
          institution_names: {SMPL: Sample Herbarium of Examples}
        community: herbarium-dwca
        schedule: null
        batch_size: 20
    """)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """An initialised Airflow metadata database (SQLite in the temporary AIRFLOW_HOME)."""
    from airflow.utils import db

    db.resetdb()


@dataclass
class RunEnv:
    """A sample collection wired to the sandbox, its ledger, and a way to run the DAG."""

    sample: SampleInfo
    ledger: Ledger
    reports: pathlib.Path
    sandbox: SandboxProcess
    dag: Any
    defaults: dict[str, Any]

    def run(self, **conf: Any) -> Any:
        """Run the collection DAG once with ``dag.test()`` (a new run); return the DagRun.

        Every param is passed: in-process runs share the DAG's Param objects, and a value
        given to one run would otherwise stay for the next.
        """
        from airflow.sdk import timezone

        now = timezone.utcnow()
        return self.dag.test(logical_date=now, run_after=now,
                             run_conf={**self.defaults, **conf})

    def rerun(self, run: Any, **conf: Any) -> Any:
        """Clear every task of ``run`` and run it again (same run id); return the DagRun."""
        return self.dag.test(logical_date=run.logical_date, run_after=run.run_after,
                             run_conf={**self.defaults, **conf})


def run_dwca_collection(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path,
                        sandbox: SandboxProcess, ledger_url: str, *, archive: pathlib.Path,
                        image_root: str, collections_text: str = DWCA_COLLECTIONS,
                        env_extra: dict[str, str] | None = None) -> Any:
    """Run the ``herbarium_dwca`` collection (its source ``archive``) once; return the DagRun.

    The collections file names only the archive; ``image_root`` is a folder or a URL.
    ``collections_text`` replaces the collections file (same collection id), ``env_extra``
    adds to the environment (e.g. an ``AIRFLOW_CONN_<ID>`` for the images' store).
    """
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import timezone

    collections = tmp_path / "collections.yaml"
    collections.write_text(collections_text, encoding="utf-8")
    env = {
        "SAMPLE_DWCA": str(archive), "SAMPLE_IMAGE_ROOT": image_root,
        "ZENODO_COLLECTIONS_FILE": str(collections), "ZENODO_LEDGER_URL": ledger_url,
        "ZENODO_REPORTS_DIR": str(tmp_path / "reports"),
        "ZENODO_CACHE_DIR": str(tmp_path / "cache"),
        "AIRFLOW_CONN_ZENODO_DEFAULT": sandbox.connection_json(protocol="deposit"),
        "ZENODO_TASK_RETRIES": "0", "ZENODO_FEED_POKE_INTERVAL": "1",
        "ZENODO_FEED_TIMEOUT": "20", "ZENODO_FEED_GRACE": "0", **(env_extra or {}),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    assert set(bag.dags) == {DWCA_DAG_ID}
    now = timezone.utcnow()
    dag = bag.dags[DWCA_DAG_ID]
    return dag.test(logical_date=now, run_after=now, run_conf=dag.params.dump())


def collections_without_summary(dest: pathlib.Path) -> pathlib.Path:
    """Write the collections file in use (``ZENODO_COLLECTIONS_FILE``, else the shipped one)
    to ``dest`` without any ``summary`` key, and return ``dest``."""
    source = os.environ.get("ZENODO_COLLECTIONS_FILE") or ROOT / "include" / "collections.yaml"
    data = yaml.safe_load(pathlib.Path(source).read_text(encoding="utf-8"))
    for entry in data["collections"]:
        entry.pop("summary", None)
    dest.write_text(yaml.safe_dump(data), encoding="utf-8")
    return dest


def task_states(run: Any) -> dict[tuple[str, int], str]:
    """Return ``{(task_id, map_index): state}`` of a DagRun."""
    return {(ti.task_id, ti.map_index): str(ti.state) for ti in run.get_task_instances()}


@pytest.fixture
def run_env(
    airflow_db: None, sandbox: SandboxProcess, tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., RunEnv]]:
    """Return ``make(n, ledger_url, hostile_share=0.2, retries=0, protocol="deposit",
    summary=False)``.

    ``protocol="rdm"`` points the collection at the InvenioRDM records API with the
    ``dwc-rich-rdm`` mapping. ``summary=False`` leaves the collection's summary record out
    (the runs then hold specimens only); ``True`` keeps it as the collections file says.
    """
    ledgers: list[Ledger] = []

    def make(n: int, ledger_url: str, *, hostile_share: float = 0.2,
             retries: int = 0, protocol: str = "deposit", summary: bool = False) -> RunEnv:
        sample = generate_sample(tmp_path / "sample", n=n, hostile_share=hostile_share, seed=11)
        env = {
            **sample.env(),
            "SAMPLE_COMMUNITY": COMMUNITY,
            "ZENODO_LEDGER_URL": ledger_url,
            "ZENODO_REPORTS_DIR": str(tmp_path / "reports"),
            "ZENODO_CACHE_DIR": str(tmp_path / "cache"),
            "AIRFLOW_CONN_ZENODO_DEFAULT": sandbox.connection_json(protocol=protocol),
            "SAMPLE_MAPPING": "dwc-rich-rdm" if protocol == "rdm" else "pilot1",
            "ZENODO_TASK_RETRIES": str(retries),
            "ZENODO_TASK_RETRY_DELAY": "0.5",
            "ZENODO_FEED_POKE_INTERVAL": "1",
            "ZENODO_FEED_TIMEOUT": "20",
            "ZENODO_FEED_GRACE": "0",
        }
        if not summary:
            env["ZENODO_COLLECTIONS_FILE"] = str(
                collections_without_summary(tmp_path / "collections-no-summary.yaml"))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=str(ROOT / "dags"))
        assert bag.import_errors == {}
        ledger = Ledger(ledger_url)
        ledgers.append(ledger)
        dag = bag.dags[DAG_ID]
        return RunEnv(sample, ledger, tmp_path / "reports", sandbox, dag, dag.params.dump())

    yield make
    for ledger in ledgers:
        ledger.dispose()
