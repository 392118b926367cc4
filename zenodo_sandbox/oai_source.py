"""Serve the OAI-PMH endpoint from the sandbox's lagging ``oai`` index.

A record's sets are its communities (``<set_prefix><slug>``) followed by the sets Zenodo
defines by search pattern (``app_data/oai_sets.yaml``): ``openaire`` (open files, resource type
exactly ``publication``, ``poster`` or ``presentation``), ``openaire_data`` (``dataset``) and
``software`` (``software``). ListSets shows those three first, then every community the sandbox
knows (``--community``) or any record joined, with the slug as name (communities have no
titles here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zenodo_sandbox.core import Context
from zenodo_sandbox.oai_record import OaiRecord
from zenodo_sandbox.record_view import view_of
from zenodo_sandbox.storage import Deposition
from zenodo_sandbox.zenodojson import record_doi

#: Zenodo's pattern sets: spec -> (name, resource types matched)
SYSTEM_SETS: dict[str, tuple[str, frozenset[str]]] = {
    "openaire": ("OpenAIRE", frozenset({"publication", "poster", "presentation"})),
    "openaire_data": ("OpenAIRE Data", frozenset({"dataset"})),
    "software": ("Software", frozenset({"software"})),
}


def system_sets(metadata: dict[str, Any]) -> list[str]:
    """Return the pattern sets legacy metadata falls in (``openaire`` needs open files)."""
    view = view_of(metadata)
    found = []
    for spec, (_name, types) in SYSTEM_SETS.items():
        if view.resource_type in types and (spec != "openaire" or view.files_public):
            found.append(spec)
    return found


def index_doc(ctx: Context, dep: Deposition) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    """Return the ``oai`` index document of a published record and its sets (None: drop it)."""
    if dep.deleted or not dep.submitted:
        return None, ()
    metadata = dep.record or {}
    sets = tuple(f"{ctx.config.oai_set_prefix}{slug}" for slug in dep.communities)
    sets += tuple(system_sets(metadata))
    files = [[f.key, f.size, f.md5] for f in ctx.storage.files(dep.id)]
    doc = {"recid": dep.id, "doi": record_doi(ctx, dep), "conceptdoi": ctx.doi(dep.conceptrecid),
           "conceptrecid": dep.conceptrecid, "updated": dep.updated,
           "created": dep.published or dep.updated, "sets": list(sets),
           "metadata": metadata, "files": files}
    return doc, sets


def _moment(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _record(doc: dict[str, Any]) -> OaiRecord:
    return OaiRecord(
        recid=int(doc["recid"]), doi=doc["doi"], conceptdoi=doc["conceptdoi"],
        conceptrecid=str(doc["conceptrecid"]),
        updated=datetime.fromtimestamp(doc["updated"], UTC), sets=tuple(doc["sets"]),
        metadata=doc["metadata"], created=_moment(doc.get("created")),
        files=tuple((str(k), int(s), str(m)) for k, s, m in doc.get("files") or []),
    )


class StorageOaiSource:
    """Published, non-deleted records whose change is older than the OAI indexing delay."""

    def __init__(self, ctx: Context) -> None:
        """Read records through ``ctx.storage``, time from ``ctx.clock``."""
        self._ctx = ctx

    def oai_ids(self, *, set_spec: str | None, from_: datetime | None,
                until: datetime | None) -> list[int]:
        """Return the ids of every matching record, by recid."""
        return self._ctx.storage.index_ids(
            "oai", self._ctx.clock(), set_spec=set_spec,
            start=from_.timestamp() if from_ else None,
            end=until.timestamp() if until else None)

    def oai_record(self, recid: int) -> OaiRecord | None:
        """Return record ``recid`` if the feed shows it."""
        doc = self._ctx.storage.index_doc("oai", recid, self._ctx.clock())
        return _record(doc) if doc else None

    def oai_sets(self) -> list[tuple[str, str]]:
        """Return the pattern sets, then every known community's set."""
        prefix = self._ctx.config.oai_set_prefix
        specs = [f"{prefix}{slug}" for slug in self._ctx.config.communities]
        for dep in self._ctx.storage.all_depositions():
            if dep.submitted:
                specs += [f"{prefix}{slug}" for slug in dep.communities]
        sets = [(spec, name) for spec, (name, _types) in SYSTEM_SETS.items()]
        seen = set(SYSTEM_SETS)
        for spec in specs:
            if spec not in seen:
                seen.add(spec)
                sets.append((spec, spec.removeprefix(prefix)))
        return sets

    def earliest_datestamp(self) -> datetime | None:
        """Return the earliest ``created`` of the visible records."""
        return _moment(self._ctx.storage.index_earliest("oai", self._ctx.clock()))
