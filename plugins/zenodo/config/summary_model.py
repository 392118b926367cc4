"""The ``summary`` key of a collection: the collection's own summary record on Zenodo (a dataset
with ``specimens.csv``, ``README.md`` and the Darwin Core Archive), described in
docs/collections.md ("summary")."""

from __future__ import annotations

from pydantic import Field

from zenodo.config.model_base import NonBlank, StrictModel

ORCID_PATTERN = r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$"


class CreatorModel(StrictModel):
    """One creator of the summary record, as a deposit mapping gives ``creators``."""

    name: NonBlank = Field(description="'Family, Given' for a person, or an organisation")
    affiliation: NonBlank | None = Field(None, description="the creator's institution")
    orcid: str | None = Field(None, pattern=ORCID_PATTERN, description="an ORCID iD")


class SummaryModel(StrictModel):
    """The collection's summary record: published after each run that changed what is
    published (a new version of the same record), and left alone otherwise."""

    enabled: bool = Field(True, description="false: no summary record (as if the key were absent)")
    title: NonBlank = Field(description="the record's title")
    description: NonBlank = Field(description="the record's description (HTML allowed)")
    creators: list[CreatorModel] = Field(min_length=1, description="who made the collection")
    license: NonBlank = Field(
        "CC0-1.0", description="the record's licence (an SPDX or Zenodo licence id)")
