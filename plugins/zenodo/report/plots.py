"""The run report's plots, drawn with matplotlib (no pyplot, no display).

Each ``*_figure`` function returns a figure and :func:`svg_uri` inlines it as an SVG data URI,
so the HTML report needs no other file. Breaker pauses are shaded. A run too short for a time
series (:func:`too_short`) is drawn as bars: each batch's rate, and the errors by HTTP status;
a plot with nothing to draw says so in words ("no errors").
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from zenodo.engine.statistics import TIMELINE_SERIES
from zenodo.ledger.states import State

#: One colour per ledger state, stable across reports.
STATE_COLOURS = {
    "NEW": "#9e9e9e", "DRAFTED": "#90caf9", "UPLOADED": "#42a5f5", "UNKNOWN": "#ffb300",
    "PUBLISHED": "#43a047", "VERIFIED": "#1b5e20", "FAILED": "#e53935",
    "QUARANTINED": "#8e24aa", "STALE": "#6d4c41",
}
#: A time series needs this many timeline bins; the last one is usually only partly filled.
MIN_BINS = 3


def svg_uri(fig: Figure) -> str:
    """Return ``fig`` as an SVG ``data:`` URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def run_timeline(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge the batches' timelines into one, on the run's clock (summed per bin).

    :return: ``{"bin_seconds", "requests", "errors", "done"}`` (lists, one entry per bin),
        ``"pauses"`` as ``[(start_s, end_s), ...]`` since the run's start and ``"seconds"``,
        the run's wall time from the first start to the last end.
    """
    if not rows:
        return {"bin_seconds": 5.0, **{name: [] for name in TIMELINE_SERIES}, "pauses": [],
                "seconds": 0.0}
    start = min(r["started_at"] for r in rows)
    width = float(rows[0]["timeline"].get("bin_seconds", 5.0))
    parts: list[pd.DataFrame] = []
    pauses: list[tuple[float, float]] = []
    for row in rows:
        offset = (row["started_at"] - start).total_seconds()
        bins = pd.DataFrame({name: pd.Series(row["timeline"].get(name, []), dtype="int64")
                             for name in TIMELINE_SERIES})
        parts.append(bins.set_axis(bins.index + int(offset // width)))
        pauses += [(offset + s, offset + e) for s, e in row["pauses"]]
    merged = pd.concat(parts).fillna(0).groupby(level=0).sum()
    merged = merged.reindex(range(int(merged.index.max()) + 1 if len(merged) else 0),
                            fill_value=0).astype("int64")
    return {"bin_seconds": width, **{name: merged[name].tolist() for name in TIMELINE_SERIES},
            "pauses": sorted(pauses),
            "seconds": (max(r["ended_at"] for r in rows) - start).total_seconds()}


def too_short(timeline: Mapping[str, Any]) -> bool:
    """Return whether the run is too short for a time series (fewer than :data:`MIN_BINS`)."""
    return timeline["seconds"] < MIN_BINS * timeline["bin_seconds"]


def _shade(ax: Axes, pauses: Sequence[tuple[float, float]]) -> None:
    for i, (s, e) in enumerate(pauses):
        ax.axvspan(s, e, color="#ffcdd2", alpha=0.7, label="paused (Zenodo down)" if i == 0
                   else None)


def _say(ax: Axes, text: str) -> None:
    """Write ``text`` in the middle of an otherwise empty plot."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            fontsize="x-large", color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])


def _time_axis(ax: Axes, timeline: Mapping[str, Any], size: int) -> list[float]:
    """Shade the pauses, fit the x-axis to the run; return the bins' edges in seconds."""
    width = timeline["bin_seconds"]
    edges = [i * width for i in range(size + 1)]
    _shade(ax, timeline["pauses"])
    ax.set_xlim(0, max([edges[-1], *(e for _, e in timeline["pauses"])]))
    ax.set_xlabel("seconds since the run started")
    return edges


def _short_title(what: str, timeline: Mapping[str, Any]) -> str:
    return (f"{what} (the run took {timeline['seconds']:.1f} s, too short for a time series "
            f"of {timeline['bin_seconds']:g} s bins)")


def _label_bars(ax: Any, bars: Any, fmt: str, labels: tuple[str, str], title: str) -> None:
    """Label a short run's bars with their values, and the axes and title."""
    ax.bar_label(bars, fmt=fmt)
    ax.margins(y=0.15)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title, fontsize="medium")


def throughput_figure(timeline: Mapping[str, Any], t4: pd.DataFrame) -> Figure:
    """Plot specimens finished per minute over the run; a short run's records/min per batch.

    :param timeline: :func:`run_timeline` of the run's batches.
    :param t4: their Table 4 (:func:`zenodo.engine.statistics.table4`).
    """
    fig = Figure(figsize=(8, 3))
    ax = fig.subplots()
    if t4.empty:
        ax.set_title("Throughput")
        _say(ax, "no batch ran: nothing was sent")
    elif too_short(timeline):
        bars = ax.bar(range(len(t4)), t4["records/min"], color="#1e88e5",
                      tick_label=t4["batch"].astype(str).tolist())
        _label_bars(ax, bars, "%g", ("batch", "records published / min"),
                    _short_title("Throughput per batch", timeline))
    else:
        width = timeline["bin_seconds"]
        edges = _time_axis(ax, timeline, len(timeline["done"]))
        ax.stairs([n * 60 / width for n in timeline["done"]], edges, color="#1e88e5",
                  linewidth=1.5, label="specimens finished / min")
        ax.stairs([n * 60 / width for n in timeline["requests"]], edges, color="#90a4ae",
                  linewidth=0.8, label="requests / min")
        ax.set_ylabel("per minute")
        ax.set_title("Throughput")
        ax.legend(loc="upper right", fontsize="small")
    return fig


def errors_figure(timeline: Mapping[str, Any], t5: pd.DataFrame) -> Figure:
    """Plot error responses (and transport failures) per bin; a short run's by HTTP status.

    :param timeline: :func:`run_timeline` of the run's batches.
    :param t5: their Table 5 (:func:`zenodo.engine.statistics.table5`).
    """
    fig = Figure(figsize=(8, 3))
    ax = fig.subplots()
    if t5.empty:
        ax.set_title("Errors")
        _say(ax, "no errors" if sum(timeline["requests"]) else "no requests sent: no errors")
    elif too_short(timeline):
        bars = ax.bar(t5["status"].astype(str).tolist(), t5["n"], color="#e53935")
        _label_bars(ax, bars, "%g", ("HTTP status or transport failure", "errors"),
                    _short_title("Errors by status", timeline))
    else:
        width = timeline["bin_seconds"]
        edges = _time_axis(ax, timeline, len(timeline["errors"]))
        ax.bar(edges[:-1], timeline["errors"], width=width, align="edge", color="#e53935",
               label=f"errors per {width:g} s")
        ax.set_ylabel("errors")
        ax.set_title("Errors over time")
        ax.legend(loc="upper right", fontsize="small")
    return fig


def states_figure(counts: Mapping[str, Mapping[str, int]]) -> Figure:
    """Plot a stacked bar of ledger states per collection.

    :param counts: collection → state → specimens.
    """
    names = sorted(counts)
    fig = Figure(figsize=(8, 0.6 * max(len(names), 1) + 1.2))
    ax = fig.subplots()
    ax.set_title("States per collection")
    if not names:
        _say(ax, "no specimens in the ledger")
        return fig
    left = [0] * len(names)
    for state in State:
        values = [counts[n].get(state.value, 0) for n in names]
        if any(values):
            ax.barh(names, values, left=left, color=STATE_COLOURS.get(state.value),
                    label=state.value)
            left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel("specimens")
    ax.legend(loc="lower right", fontsize="small", ncol=3)
    return fig
