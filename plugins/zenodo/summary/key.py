"""The ledger key of a collection's summary record, which no specimen can take.

The summary record (a dataset listing the published specimens, see
:mod:`zenodo.summary.publish`) lives in the collection's ledger like a specimen, so the same
exactly-once machinery drives it and reconciliation knows it as the collection's own record.
Validation refuses a source row with this key, and such a row is quarantined under another key
(:meth:`zenodo.ledger.prepare.Preparer._quarantine`), so it can never be a specimen's. Every
count, list and export of specimens leaves it out.
"""

from __future__ import annotations

#: The key of the summary record in every collection's ledger (and its Zenodo keyword).
SUMMARY_KEY = "_collection-summary"


def is_summary(key: str) -> bool:
    """Tell whether ``key`` is the summary record's ledger key."""
    return key == SUMMARY_KEY
