"""A collection run on a real CeleryExecutor deployment: two workers, one shared rate budget.

Starts, as processes: the api-server, scheduler and dag-processor on a fresh PostgreSQL
metadata database, two ``airflow celery worker`` processes (told apart by
``[core] hostname_callable = zenodo.runtime.worker_hostname``) on a Redis broker, and the
sandbox with a rate limit; the ledger (and so the shared pacer) is on PostgreSQL too. The
collection is read from a DwC-A served over HTTP, and its images are only in an S3 store (a
real S3-API server process, moto's server mode, through an Airflow ``aws`` connection), so no
worker reads a shared disk. The run is triggered through REST API v2 with a JWT and polled to
success.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import yaml

from tests.airflow_processes import (
    ADMIN_USER,
    AirflowApi,
    AirflowProcesses,
    airflow_env,
    free_port,
    manual_collections_file,
    wait_until,
    write_admin_password,
)
from tests.zenodo.payload_factory import published_by_key
from tests.zenodo.source.image_server import serving
from tests.zenodo.source.s3_server import S3Server, connection_json
from zenodo_demo.sample import SampleInfo, generate_sample
from zenodo_demo.sample_dwca import sample_archive
from zenodo_sandbox.testing import SandboxProcess

# One deployment of Airflow at a time (see tests/browser/test_airflow_ui.py).
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(420),
              pytest.mark.xdist_group("airflow-deployment")]

DAG_ID = "herbarium_sample"
#: The token's limit, in the sandbox and in the connection (so in the shared pacer): a minute's
#: window as on Zenodo, and fewer than the run's requests, so pacing is what avoids 429s.
LIMIT, WINDOW = 120, 60.0
WORKERS = ("worker-a", "worker-b")


def max_in_window(times: list[float], window: float) -> int:
    """Return the most requests whose times fall in any ``window``-second interval."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def s3_collections_file(dest: Path, archive_url: str, image_root: str) -> Path:
    """The shipped ``herbarium_sample`` (manual only) read from a DwC-A at ``archive_url``,
    its images under the object store URL ``image_root`` through connection ``images_s3``."""
    manual_collections_file(dest)
    document = yaml.safe_load(dest.read_text("utf-8"))
    (entry,) = document["collections"]
    for key in ("database", "table", "modified_column"):
        entry.pop(key, None)
    entry["dwca"] = {"path": archive_url}
    entry["images"] = {**entry["images"], "root": image_root, "conn_id": "images_s3"}
    dest.write_text(yaml.safe_dump(document), "utf-8")
    return dest


def _images_to_s3(sample: SampleInfo, s3: S3Server) -> str:
    """Move the sample's images into the S3 server (off the disk); return their root URL."""
    s3.upload_folder(Path(sample.image_root), "herbarium-images", "sheets/")
    shutil.rmtree(sample.image_root)
    return "s3://herbarium-images/sheets/"


def test_collection_run_on_two_celery_workers(
    postgres_url: str, ledger_postgres_url: str, redis_url: str, tmp_path: Path,
) -> None:
    clock = {"start": time.monotonic()}
    sample = generate_sample(tmp_path / "sample", n=45, hostile_share=0.2, seed=5)
    archive = sample_archive(sample, tmp_path / "served" / "herbarium-dwca.zip")
    home = tmp_path / "airflow"
    password = write_admin_password(home)
    api_port = free_port()
    with SandboxProcess(limits={"api": f"{LIMIT}/min"}) as sandbox, S3Server() as s3, \
            serving(archive.parent) as archive_server:
        collections = s3_collections_file(tmp_path / "collections.yaml",
                                          archive_server.url + archive.name,
                                          _images_to_s3(sample, s3))
        env = airflow_env(home, sql_alchemy_conn=postgres_url, api_port=api_port, extra={
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": redis_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": redis_url,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "zenodo.runtime.worker_hostname",
            "AIRFLOW_CONN_ZENODO_DEFAULT": sandbox.connection_json(
                rate_limit_profile=f"{LIMIT}/min"),
            "ZENODO_LEDGER_URL": ledger_postgres_url,
            "ZENODO_REPORTS_DIR": str(tmp_path / "reports"),
            "ZENODO_CACHE_DIR": str(tmp_path / "cache"),
            "ZENODO_COLLECTIONS_FILE": str(collections),
            "AIRFLOW_CONN_IMAGES_S3": connection_json(s3.url),
            "ZENODO_TASK_RETRIES": "0",
            "ZENODO_FEED_GRACE": "0",
            "ZENODO_FEED_POKE_INTERVAL": "2",
            "ZENODO_FEED_TIMEOUT": "120",
            "SAMPLE_COMMUNITY": "herbarium-sample",
            **sample.env(),
        })
        procs = AirflowProcesses(home, env)
        try:
            procs.cli("db", "migrate")
            clock["migrated"] = time.monotonic()
            procs.start("api-server", "api-server", "--host", "127.0.0.1", "--port",
                        str(api_port), "--workers", "1")
            procs.start("scheduler", "scheduler")
            procs.start("dag-processor", "dag-processor")
            for name in WORKERS:
                procs.start(name, "celery", "worker", "--celery-hostname", f"{name}@%h",
                            "--skip-serve-logs", "--without-mingle", "--without-gossip",
                            env={"ZENODO_WORKER_NAME": name})
            api = AirflowApi(f"http://127.0.0.1:{api_port}")
            wait_until(api.healthy, 120, "the api-server", procs.check_alive)
            api.login(ADMIN_USER, password)
            wait_until(lambda: api.dag_loaded(DAG_ID), 120, "the DAG", procs.check_alive)
            api.set_pool("zenodo_default", 4)
            clock["ready"] = time.monotonic()
            sandbox.admin.clear_requests()

            run_id = api.trigger(DAG_ID, {"batch_size": 10, "concurrency": 4})
            state = wait_until(
                lambda: (s := api.run_state(DAG_ID, run_id)) in ("success", "failed") and s,
                300, "the DAG run", procs.check_alive, interval=2)
            clock["done"] = time.monotonic()
            tis = api.task_instances(DAG_ID, run_id)
            summary = sorted((t["task_id"], t["map_index"], t["state"], t["hostname"])
                             for t in tis)
            assert state == "success", f"{summary}\n{procs.tail('scheduler')}"
        finally:
            procs.stop_all()

        uploads = [t for t in tis if t["task_id"] == "upload"]
        assert len(uploads) >= 4, summary
        ran = [t for t in tis if t["task_id"] not in ("check_run", "writeback", "summary")]
        # check_run fires only when an upstream task failed (trigger rule one_failed);
        # writeback runs only for a collection with a ``writeback`` statement, summary only
        # for one with a ``summary`` record (manual_collections_file leaves it out).
        for task_id in ("check_run", "writeback"):
            assert [t["state"] for t in tis if t["task_id"] == task_id] == ["skipped"], summary
        assert {t["state"] for t in ran} == {"success"}, summary
        assert {t["hostname"] for t in ran} == set(WORKERS), summary
        assert {t["hostname"] for t in uploads} == set(WORKERS), summary

        depositions = sandbox.admin.depositions()
        by_key = published_by_key([d for d in depositions if d["submitted"]])
        assert len(depositions) == len(sample.valid_keys), "no extra drafts"
        assert set(by_key) == set(sample.valid_keys)
        assert {k: len(v) for k, v in by_key.items() if len(v) > 1} == {}, "no duplicates"
        records = sandbox.admin.records(community="herbarium-sample")
        assert len(records) == len(sample.valid_keys)

        log = sandbox.admin.requests()["requests"]
        # The log's time is when the answer went out; a limiter counts a request on arrival.
        paced = sorted(r["time"] - r["latency_ms"] / 1000 for r in log
                       if r["token"] and r["kind"] not in ("oai", "search"))
        assert [r for r in log if r["status"] == 429] == []
        assert len(paced) > LIMIT  # more than one window's budget: the limit binds
        busiest = max_in_window(paced, WINDOW)
        assert 0.9 * LIMIT <= busiest <= LIMIT, "a window is used to the full, never beyond"
        span = paced[-1] - paced[0]
        rate = (len(paced) - 1) / span * WINDOW

    print(
        f"\nCelery run: {len(sample.valid_keys)} records published by {len(uploads)} upload "
        f"batches on {sorted({t['hostname'] for t in uploads})}\n"
        f"  db migrate {clock['migrated'] - clock['start']:.1f} s; components ready "
        f"{clock['ready'] - clock['migrated']:.1f} s; trigger→success "
        f"{clock['done'] - clock['ready']:.1f} s\n"
        f"  {len(paced)} paced requests in {span:.1f} s = {rate:.1f}/min of {LIMIT}/min "
        f"({rate / LIMIT:.0%}); busiest {WINDOW:.0f} s window: {busiest}; 0 x 429"
    )

