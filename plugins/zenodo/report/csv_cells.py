"""Report CSVs written with ``DataFrame.to_csv``, whose cells a spreadsheet will not run.

Keys, reasons and DOIs come from collection databases and from Zenodo: a cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel and LibreOffice
(CSV injection). As OWASP advises, such a cell is written with a ``'`` in front, which the
spreadsheet shows as text (:func:`safe_frame` does it to every cell of a DataFrame before it is
written); ``to_csv`` quotes separators, quotes and line breaks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

#: What a formula may start with (OWASP's list, plus a line feed and the full-width forms).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> str:
    """Return ``value`` as CSV text, with a leading ``'`` when it would start a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with every cell as :func:`safe_cell` text (a missing value as "")."""
    return frame.astype(object).where(frame.notna(), None).map(safe_cell)


class SafeCsv:
    """A CSV file written a DataFrame at a time, every cell made safe first.

    Rows are gathered and every ``chunk`` of them goes out as one ``DataFrame.to_csv``, so a
    collection of any size is written with bounded memory.

    :param handle: a text file opened with ``newline=""``.
    :param columns: the header.
    :param chunk: rows per DataFrame.
    """

    def __init__(self, handle: TextIO, columns: Sequence[str], *, chunk: int = 10_000) -> None:
        self._handle = handle
        self._columns = list(columns)
        self._chunk = chunk
        self._rows: list[Sequence[Any]] = []
        self._header = True

    def add(self, row: Sequence[Any]) -> None:
        """Add one row (a value per column); write the gathered rows when a chunk is full."""
        self._rows.append(row)
        if len(self._rows) >= self._chunk:
            self.flush()

    def flush(self) -> None:
        """Write the gathered rows (and the header, the first time)."""
        if not (self._rows or self._header):
            return
        frame = pd.DataFrame(self._rows, columns=self._columns)
        safe_frame(frame).to_csv(self._handle, index=False, header=self._header,
                                 lineterminator="\r\n")
        self._rows, self._header = [], False


@contextmanager
def safe_csv(path: Path, columns: Sequence[str], *, chunk: int = 10_000) -> Iterator[SafeCsv]:
    """Open ``path`` for a :class:`SafeCsv` with ``columns``; write what is left on the way out.

    :param chunk: rows per DataFrame.
    """
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = SafeCsv(handle, columns, chunk=chunk)
        try:
            yield writer
        finally:
            writer.flush()
