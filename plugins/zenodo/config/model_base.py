"""What the models of the configuration files share: a strict base and a non-blank string.

The models (:mod:`zenodo.config.collection_model`, :mod:`zenodo.config.mapping_model`) check
the YAML files and give the JSON Schemas editors validate them with
(:mod:`zenodo.config.schemas`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: A string with at least one character that is not white space (JSON Schema ``pattern``).
NOT_BLANK = r"\S"

NonBlank = Annotated[str, Field(pattern=NOT_BLANK)]


class StrictModel(BaseModel):
    """A model that refuses unknown keys and converts nothing (``"4"`` is no integer)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
