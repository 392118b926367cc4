"""The problem type every validation rule reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem with one record.

    :param key: the record's key
    :param field: the Darwin Core term, file name or metadata field concerned
    :param severity: ``error`` (record is quarantined, not sent) or ``warning`` (sent, reported)
    :param reason: human-readable explanation
    """

    key: str
    field: str
    severity: Severity
    reason: str

    def as_dict(self) -> dict[str, str]:
        """Return the problem as a plain dict (for the ledger and reports)."""
        return {"key": self.key, "field": self.field, "severity": self.severity,
                "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.severity}: {self.key}: {self.field}: {self.reason}"
