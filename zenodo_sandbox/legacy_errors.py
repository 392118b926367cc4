"""The two ways Zenodo refuses legacy deposit metadata on create and update."""

from __future__ import annotations

from typing import Any

MISSING = "Missing data for required field."


def error(field: str, message: str) -> dict[str, Any]:
    """Return one Zenodo field error ``{"field": ..., "messages": [...]}``."""
    return {"field": field, "messages": [message]}


class MetadataError(ValueError):
    """The deserialiser refused the body: 400 "A validation error occurred." with ``errors``."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        """Keep the error entries."""
        super().__init__("; ".join(f"{e['field']}: {e['messages'][0]}" for e in errors))
        self.errors = errors


class InvalidValue(ValueError):
    """A vocabulary id is unknown: 400 ``Invalid value <id>.`` without field errors."""

    def __init__(self, value: Any, field: str) -> None:
        """Keep the offending id and the InvenioRDM field that holds it."""
        super().__init__(f"Invalid value {value}.")
        self.value, self.field = value, field
