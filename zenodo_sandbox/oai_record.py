"""One published record as the OAI-PMH endpoint shows it, and where such records come from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class OaiRecord:
    """Hold what the OAI-PMH endpoint shows of one published record.

    :param recid: the record id (``oai:<id_prefix>:<recid>``).
    :param doi: the version DOI.
    :param conceptdoi: the concept DOI shared by all versions.
    :param conceptrecid: the concept record id.
    :param updated: last modification, UTC and tz-aware; the header datestamp.
    :param sets: the setSpecs the record belongs to, e.g. ``("user-herbarium", "software")``.
    :param metadata: Zenodo legacy deposit metadata (``title``, ``creators``, ...).
    :param created: when the record was created (first published); Identify's
        ``earliestDatestamp`` is the smallest. ``None`` means ``updated``.
    :param files: ``(key, size, md5)`` of each file (MARC21 ``856``).
    """

    recid: int
    doi: str
    conceptdoi: str
    conceptrecid: str
    updated: datetime
    sets: tuple[str, ...]
    metadata: dict[str, Any]
    created: datetime | None = None
    files: tuple[tuple[str, int, str], ...] = ()


class OaiRecordSource(Protocol):
    """Provide the public records the endpoint serves (storage implements this)."""

    def oai_ids(self, *, set_spec: str | None, from_: datetime | None,
                until: datetime | None) -> list[int]:
        """Return the ids of every matching record, ordered by recid.

        ``from_`` and ``until`` are inclusive bounds on ``updated`` (tz-aware UTC); an unknown
        ``set_spec`` matches nothing. The endpoint keeps this list as the harvest's snapshot,
        as Zenodo's search scroll does.
        """

    def oai_record(self, recid: int) -> OaiRecord | None:
        """Return the public record ``recid``, or ``None``."""

    def oai_sets(self) -> list[tuple[str, str]]:
        """Return every set as ``(setSpec, setName)``, in creation order."""

    def earliest_datestamp(self) -> datetime | None:
        """Return the earliest ``created`` of any record, or ``None`` when there are none."""
