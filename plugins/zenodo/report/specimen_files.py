"""A report's per-specimen files (``specimens.csv``, ``dwca.zip``), reused when nothing changed.

Both hold a line per specimen, so at a collection's size (281,372 for pilot 2) writing them
takes minutes, and a nightly run that changed nothing would write the same bytes again. The
ledger's state is summed up as a fingerprint: the collection's specimen count, its newest row
update and its newest event (a sequence, whatever the workers' clocks say), with the archive's
settings. The collection's reports folder keeps the last fingerprint written (``latest.json``);
when it matches, the files are linked (or copied) from that run's folder instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zenodo.report.dwca_export import ARCHIVE_NAME, write_dwca
from zenodo.report.run_report import SPECIMENS_CSV, write_specimens_csv
from zenodo.store.tables import Event, Specimen

if TYPE_CHECKING:
    from zenodo.ledger.ledger import Ledger

LATEST = "latest.json"
FILES = (SPECIMENS_CSV, ARCHIVE_NAME)
_S, _E = Specimen.__table__, Event.__table__


@dataclass(frozen=True)
class ArchiveSettings:
    """What the Darwin Core Archive says besides the specimens (see :func:`write_dwca`)."""

    base_url: str
    title: str
    description: str


@dataclass(frozen=True)
class SpecimenFiles:
    """The files a report holds: the archive's counts, and the run they were first written by
    (None: written by this run)."""

    export: dict[str, Any]
    reused_from: str | None


def ledger_fingerprint(ledger: Ledger, collection: str, settings: ArchiveSettings) -> str:
    """Return a digest of what the per-specimen files are made of."""
    rows = sa.select(sa.func.count(), sa.func.max(_S.c.updated_at)).where(
        _S.c.collection == collection)
    events = sa.select(sa.func.max(_E.c.id)).where(_E.c.collection == collection)
    with ledger.engine.connect() as conn:
        count, newest = conn.execute(rows).one()
        last_event = conn.execute(events).scalar_one()
    state = [count, newest.isoformat() if newest else None, last_event,
             settings.base_url, settings.title, settings.description]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()


def write_specimen_files(ledger: Ledger, collection: str, run_id: str, folder: Path,
                         settings: ArchiveSettings) -> SpecimenFiles:
    """Write (or reuse) ``specimens.csv`` and ``dwca.zip`` in ``folder``, the run's report folder.

    :param folder: ``<reports>/<collection>/<run>``; its parent keeps ``latest.json``.
    """
    fingerprint = ledger_fingerprint(ledger, collection, settings)
    latest = _read_latest(folder.parent)
    previous = folder.parent / str(latest.get("folder", ""))
    if (latest.get("fingerprint") == fingerprint and previous != folder
            and previous.parent == folder.parent and all((previous / n).is_file() for n in FILES)):
        folder.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            _link_or_copy(previous / name, folder / name)
        export = {**latest["export"], "path": str(folder / ARCHIVE_NAME)}
        files = SpecimenFiles(export, str(latest.get("run_id")))
    else:
        write_specimens_csv(ledger, collection, folder)
        export = write_dwca(ledger.engine, collection, folder, base_url=settings.base_url,
                            title=settings.title, description=settings.description).as_dict()
        files = SpecimenFiles(export, None)
    _write_latest(folder.parent, {"fingerprint": fingerprint, "folder": folder.name,
                                  "run_id": files.reused_from or run_id, "export": files.export})
    return files


def _read_latest(collection_folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((collection_folder / LATEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_latest(collection_folder: Path, data: dict[str, Any]) -> None:
    partial = collection_folder / f".{LATEST}.partial"
    partial.write_text(json.dumps(data, indent=2), encoding="utf-8")
    partial.replace(collection_folder / LATEST)


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link ``source`` as ``target`` (a copy where links are not possible)."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
