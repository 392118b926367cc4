"""Every DAG file imports cleanly, fast, and builds the expected DAGs and tasks."""

from __future__ import annotations

import pathlib
import time

import pytest

from zenodo.config.collection_file import load_collections
from zenodo.dag_factory import TASK_IDS

ROOT = pathlib.Path(__file__).resolve().parents[2]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))


def load(path: pathlib.Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(path))


def test_dags_folder_holds_dag_files_only() -> None:
    assert DAG_FILES, "no DAG file found"
    assert {p.name for p in (ROOT / "dags").iterdir()} - {"__pycache__"} == {
        p.name for p in DAG_FILES}


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_imports_without_errors_in_under_two_seconds(path: pathlib.Path) -> None:
    load(path)  # warm up: Airflow's own imports are not the file's cost
    started = time.monotonic()
    bag = load(path)
    elapsed = time.monotonic() - started
    assert bag.import_errors == {}
    assert elapsed < 2.0, f"{path.name} took {elapsed:.2f}s"
    assert all(stat.duration.total_seconds() < 2.0 for stat in bag.dagbag_stats)


def test_one_dag_per_collection_with_the_expected_tasks() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    collections = load_collections()
    assert set(bag.dag_ids) == set(collections)
    for cid, config in collections.items():
        dag = bag.dags[cid]
        assert set(dag.task_ids) == set(TASK_IDS)
        assert dag.doc_md and "## Collection" in dag.doc_md
        assert "zenodo" in dag.tags
        assert dag.catchup is False and dag.start_date is not None
        assert dag.max_active_runs == 1
        assert set(dag.params.keys()) >= {"limit", "only_keys", "dry_run", "publish",
                                          "concurrency", "mapping", "backfill",
                                          "reconcile_only", "batch_size"}
        assert dag.params["batch_size"] == config.batch_size
        for task in dag.tasks:
            assert task.owner and task.retries is not None
        upload = dag.get_task("upload")
        assert upload.partial_kwargs["pool"] == config.zenodo_conn_id
        assert upload.partial_kwargs["map_index_template"] == "{{ batch_label }}"
        sensor = dag.get_task("wait_for_feed")
        assert sensor.mode == "reschedule" and sensor.soft_fail is True
        assert dag.get_task("report").trigger_rule == "all_done"
        assert dag.get_task("upload").upstream_task_ids == {"plan"}
        assert dag.get_task("check_run").upstream_task_ids == set(TASK_IDS) - {"check_run"}


def test_schedule_comes_from_the_collection() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    for cid, config in load_collections().items():
        assert bag.dags[cid].schedule == config.schedule


def test_plugin_registers_the_community_link() -> None:
    from airflow import plugins_manager

    links = plugins_manager.get_operator_extra_links()
    assert any(type(link).__name__ == "ZenodoCommunityLink" for link in links)
