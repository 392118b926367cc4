"""Where a running task finds its ledger, reports folder, collection config and Zenodo hook.

Everything is read from the worker's environment when the task runs, never at parse time (the
variables are listed in docs/settings.md). Hooks built here share one database pacer per
connection and request kind, so all tasks of all runs share the token's budget.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zenodo.config.collection_file import CollectionConfig
    from zenodo.hooks.zenodo import ZenodoHook
    from zenodo.ledger.ledger import Ledger

_migrated: set[str] = set()
_lock = threading.Lock()


def airflow_home() -> Path:
    """Return ``$AIRFLOW_HOME`` (Airflow's own default ``~/airflow`` when unset)."""
    return Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow")


def worker_hostname() -> str:
    """Return ``ZENODO_WORKER_NAME``, else the machine's fully qualified name.

    Point Airflow's ``[core] hostname_callable`` at this function to give each worker on a
    shared machine its own name in the task instances (and in the UI's "Hostname" column).
    """
    return os.environ.get("ZENODO_WORKER_NAME") or socket.getfqdn()


def ledger_url() -> str:
    """Return the ledger URL: ``ZENODO_LEDGER_URL``, else SQLite in ``$AIRFLOW_HOME``."""
    return os.environ.get("ZENODO_LEDGER_URL") or f"sqlite:///{airflow_home() / 'zenodo-ledger.db'}"


def reports_dir() -> Path:
    """Return the reports folder: ``ZENODO_REPORTS_DIR``, else ``$AIRFLOW_HOME/reports``."""
    return Path(os.environ.get("ZENODO_REPORTS_DIR") or airflow_home() / "reports")


def collections_file() -> Path:
    """Return the collections file: ``ZENODO_COLLECTIONS_FILE``, else the shipped one."""
    from zenodo.config.collection_file import DEFAULT_COLLECTIONS_FILE

    return Path(os.environ.get("ZENODO_COLLECTIONS_FILE") or DEFAULT_COLLECTIONS_FILE)


def collection_config(collection_id: str) -> CollectionConfig:
    """Load one collection's configuration as the worker's environment sees it now.

    :raises KeyError: naming the collection and the file when it is not configured.
    """
    from zenodo.config.collection_file import load_collections

    path = collections_file()
    collections = load_collections(path)
    if collection_id not in collections:
        raise KeyError(f"collection {collection_id!r} is not configured in {path}")
    return collections[collection_id]


def open_ledger(url: str | None = None) -> Ledger:
    """Return a ledger on ``url`` (default :func:`ledger_url`), migrated once per process."""
    from zenodo.ledger.ledger import Ledger

    ledger = Ledger(url or ledger_url())
    with _lock:
        if ledger.url not in _migrated:
            ledger.migrate()
            _migrated.add(ledger.url)
    return ledger


def make_hook(conn_id: str, ledger: Ledger) -> ZenodoHook:
    """Return a hook on ``conn_id`` paced by the shared database pacers of that connection.

    A kind without limits (rate-limit profile ``none``) gets no pacer: only the server's 429s
    slow it down.
    """
    from zenodo.hooks.zenodo import ZenodoHook
    from zenodo.traffic.pacer import Pacer, bucket_for

    hook = ZenodoHook(conn_id)
    limits = hook.options.limits or {}
    hook.set_pacers({
        kind: Pacer(ledger.engine, bucket_for(conn_id, kind), kind_limits)
        for kind, kind_limits in limits.items() if kind_limits
    })
    return hook


def actor(context: Mapping[str, Any]) -> dict[str, Any]:
    """Return who acts, for ledger events: DAG, run, task and map index."""
    ti = context.get("ti") or context.get("task_instance")
    return {
        "dag_id": getattr(ti, "dag_id", None),
        "run_id": context.get("run_id") or getattr(ti, "run_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", -1),
        "try_number": getattr(ti, "try_number", None),
    }


def lease_owner(context: Mapping[str, Any]) -> str:
    """Return a lease owner unique to this task try and process (task, host, pid, random)."""
    from zenodo.engine.batch_runner import default_owner

    who = actor(context)
    return f"{who['task_id']}[{who['map_index']}]@{default_owner()}"[-255:]
