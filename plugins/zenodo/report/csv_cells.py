"""CSV cells a spreadsheet will not run: text that starts like a formula gets a leading ``'``.

Keys, reasons and DOIs come from collection databases and from Zenodo: a cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel and LibreOffice
(CSV injection). As OWASP advises, such a cell is written with a ``'`` in front, which the
spreadsheet shows as text; the ``csv`` module quotes separators and quotes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

#: What a formula may start with (OWASP's list, plus a line feed and the full-width forms).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> str:
    """Return ``value`` as CSV text, with a leading ``'`` when it would start a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class SafeCsvWriter:
    """A ``csv.writer`` whose every cell goes through :func:`safe_cell`.

    :param handle: a text file opened with ``newline=""``.
    """

    def __init__(self, handle: Any) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row of safe cells."""
        self._writer.writerow([safe_cell(value) for value in row])
