"""Table 4 (the upload batches) of our run next to the 2019 report's, as text.

Ours comes from the run's ``batch_stats`` rows (:func:`zenodo.engine.statistics.table4`). The
2019 lines are the figures already used in this repository: the batch ``Batch1605`` (12,000
specimens, 8 threads, 30,009 s, 5,804 errors, 5,795 not done; as in
``tests/zenodo/engine/test_statistics.py``) and the whole pilot (281,372 records in 11.7 days,
:mod:`bench.p6_scale`, with 11,532 errors, :mod:`bench.pilot2.faults`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from bench.p6_scale import PILOT_DAYS, PILOT_RECORDS
from bench.pilot2.faults import PILOT_ERRORS
from zenodo.engine.statistics import table4, table4_total

#: The columns both years have.
COLUMNS = ("batch", "n", "c", "t (s)", "t/n", "errors", "unsuccess", "records/min")
#: (batch, n, c, t (s), errors, unsuccess) of the 2019 report; c unknown for the whole pilot.
PILOT_2019: tuple[tuple[str, int, int | None, float, int, int | None], ...] = (
    ("Batch1605", 12_000, 8, 30_009.0, 5_804, 5_795),
    ("pilot 2", PILOT_RECORDS, None, PILOT_DAYS * 86_400, PILOT_ERRORS, None),
)


def table_2019() -> pd.DataFrame:
    """The 2019 lines in our Table 4's columns (records/min counts what was done; ``-``:
    the report does not give it)."""
    lines = []
    for batch, n, c, seconds, errors, unsuccess in PILOT_2019:
        done = n - (unsuccess or 0)
        lines.append({"batch": batch, "n": n, "c": "-" if c is None else c,
                      "t (s)": round(seconds, 1), "t/n": round(seconds / n, 3),
                      "errors": errors, "unsuccess": "-" if unsuccess is None else unsuccess,
                      "records/min": round(done / seconds * 60, 2)})
    return pd.DataFrame(lines, columns=list(COLUMNS))


def ours(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Our batches and their total line (the total only for two batches or more)."""
    frame = pd.concat([table4(rows), table4_total(rows)], ignore_index=True)
    return frame[list(COLUMNS)]


def side_by_side(rows: Sequence[Mapping[str, Any]], *, max_lines: int = 12) -> str:
    """Render our Table 4 (the first ``max_lines`` batches and the total) and 2019's."""
    mine = ours(rows)
    if len(mine) > max_lines + 1:
        mine = pd.concat([mine.head(max_lines), mine.tail(1)], ignore_index=True)
    shown = len(rows) if len(rows) <= max_lines else f"first {max_lines} of {len(rows)}"
    return "\n".join([
        f"P7 Table 4, this run ({shown} batches, total line last):",
        mine.to_string(index=False, na_rep="-"),
        "",
        "P7 Table 4, 2019 (ICEDIG D6.3: Batch1605 and the whole of pilot 2):",
        table_2019().to_string(index=False, na_rep="-"),
    ])


def total_line(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Our run's line of all batches (the single batch's line when there is one)."""
    mine = ours(rows)
    return mine.iloc[-1].to_dict() if len(mine) else {}
