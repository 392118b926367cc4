"""Serve the OAI-PMH endpoint from the sandbox's lagging ``oai`` index."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zenodo_sandbox.core import Context
from zenodo_sandbox.oai_record import OaiRecord


def _record(doc: dict[str, Any]) -> OaiRecord:
    return OaiRecord(
        recid=int(doc["recid"]), doi=doc["doi"], conceptdoi=doc["conceptdoi"],
        conceptrecid=str(doc["conceptrecid"]),
        updated=datetime.fromtimestamp(doc["updated"], UTC), sets=tuple(doc["sets"]),
        metadata=doc["metadata"],
    )


class StorageOaiSource:
    """Published, non-deleted records whose change is older than the OAI indexing delay.

    Sets are ``<set_prefix><slug>`` for each community a record joined at publish.
    """

    def __init__(self, ctx: Context) -> None:
        """Read records through ``ctx.storage``, time from ``ctx.clock``."""
        self._ctx = ctx

    def oai_records(self, *, set_spec: str | None, from_: datetime | None,
                    until: datetime | None, offset: int, limit: int,
                    ) -> tuple[list[OaiRecord], int]:
        """Return one page ordered by recid and the total number of matches."""
        docs, total = self._ctx.storage.index_page(
            "oai", self._ctx.clock(), set_spec=set_spec,
            start=from_.timestamp() if from_ else None,
            end=until.timestamp() if until else None, offset=offset, limit=limit)
        return [_record(d) for d in docs], total

    def oai_record(self, recid: int) -> OaiRecord | None:
        """Return record ``recid`` if the feed shows it."""
        doc = self._ctx.storage.index_doc("oai", recid, self._ctx.clock())
        return _record(doc) if doc else None

    def oai_sets(self) -> list[tuple[str, str]]:
        """Return the community sets that hold at least one visible record."""
        prefix = self._ctx.config.oai_set_prefix
        specs = self._ctx.storage.index_sets("oai", self._ctx.clock())
        return [(spec, spec.removeprefix(prefix)) for spec in specs]

    def earliest_datestamp(self) -> datetime | None:
        """Return the earliest ``updated`` of the visible records."""
        value = self._ctx.storage.index_earliest("oai", self._ctx.clock())
        return datetime.fromtimestamp(value, UTC) if value is not None else None
