"""The run report's plots, drawn with matplotlib (no pyplot, no display) as SVG data URIs,
so the HTML report needs no other file; breaker pauses are shaded.
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from zenodo.ledger.states import State

#: One colour per ledger state, stable across reports.
STATE_COLOURS = {
    "NEW": "#9e9e9e", "DRAFTED": "#90caf9", "UPLOADED": "#42a5f5", "UNKNOWN": "#ffb300",
    "PUBLISHED": "#43a047", "VERIFIED": "#1b5e20", "FAILED": "#e53935",
    "QUARANTINED": "#8e24aa", "STALE": "#6d4c41",
}


def _data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def run_timeline(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge the batches' timelines into one, on the run's clock.

    :return: ``{"bin_seconds", "requests", "errors", "done"}`` (lists, one entry per bin) and
        ``"pauses"`` as ``[(start_s, end_s), ...]`` since the run's start.
    """
    if not rows:
        return {"bin_seconds": 5.0, "requests": [], "errors": [], "done": [], "pauses": []}
    start = min(r["started_at"] for r in rows)
    width = float(rows[0]["timeline"].get("bin_seconds", 5.0))
    series: dict[str, Counter[int]] = {k: Counter() for k in ("requests", "errors", "done")}
    pauses: list[tuple[float, float]] = []
    for row in rows:
        offset = (row["started_at"] - start).total_seconds()
        shift = int(offset // width)
        for name, counter in series.items():
            for i, n in enumerate(row["timeline"].get(name, [])):
                counter[shift + i] += n
        pauses += [(offset + s, offset + e) for s, e in row["pauses"]]
    size = max((max(c) + 1 for c in series.values() if c), default=0)
    merged = {name: [c.get(i, 0) for i in range(size)] for name, c in series.items()}
    return {"bin_seconds": width, **merged, "pauses": sorted(pauses)}


def _shade(ax: Any, pauses: Sequence[tuple[float, float]]) -> None:
    for i, (s, e) in enumerate(pauses):
        ax.axvspan(s, e, color="#ffcdd2", alpha=0.7, label="paused (Zenodo down)" if i == 0
                   else None)


def throughput_plot(timeline: Mapping[str, Any]) -> str:
    """Plot specimens finished per minute over the run."""
    width = timeline["bin_seconds"]
    xs = [i * width for i in range(len(timeline["done"]))]
    fig = Figure(figsize=(8, 3))
    ax = fig.subplots()
    ax.step(xs, [n * 60 / width for n in timeline["done"]], where="post", color="#1e88e5",
            label="specimens finished / min")
    ax.step(xs, [n * 60 / width for n in timeline["requests"]], where="post", color="#90a4ae",
            linewidth=0.8, label="requests / min")
    _shade(ax, timeline["pauses"])
    ax.set_xlabel("seconds since the run started")
    ax.set_ylabel("per minute")
    ax.set_title("Throughput")
    ax.legend(loc="upper right", fontsize="small")
    return _data_uri(fig)


def errors_plot(timeline: Mapping[str, Any]) -> str:
    """Plot error responses (and transport failures) per bin over the run."""
    width = timeline["bin_seconds"]
    xs = [i * width for i in range(len(timeline["errors"]))]
    fig = Figure(figsize=(8, 3))
    ax = fig.subplots()
    ax.bar(xs, timeline["errors"], width=width, align="edge", color="#e53935",
           label=f"errors per {width:g} s")
    _shade(ax, timeline["pauses"])
    ax.set_xlabel("seconds since the run started")
    ax.set_ylabel("errors")
    ax.set_title("Errors over time")
    ax.legend(loc="upper right", fontsize="small")
    return _data_uri(fig)


def states_plot(counts: Mapping[str, Mapping[str, int]]) -> str:
    """Plot a stacked bar of ledger states per collection.

    :param counts: collection → state → specimens.
    """
    names = sorted(counts)
    fig = Figure(figsize=(8, 0.6 * max(len(names), 1) + 1.2))
    ax = fig.subplots()
    left = [0] * len(names)
    for state in State:
        values = [counts[n].get(state.value, 0) for n in names]
        if any(values):
            ax.barh(names, values, left=left, color=STATE_COLOURS.get(state.value),
                    label=state.value)
            left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel("specimens")
    ax.set_title("States per collection")
    ax.legend(loc="lower right", fontsize="small", ncol=3)
    return _data_uri(fig)
