"""The report's plots say something for a run of seconds, and a run without errors says so."""

from __future__ import annotations

import io
import os
import pathlib
import time

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from tests.zenodo.engine_helpers import run_batch
from tests.zenodo.payload_factory import COLLECTION, register_specimens
from zenodo.engine.statistics import (
    T4_COLUMNS,
    BatchStats,
    load_batches,
    save_batch,
    table4,
    table5,
)
from zenodo.hooks.zenodo import ZenodoHook
from zenodo.ledger.ledger import Ledger
from zenodo.report import plots
from zenodo.report.html import render_html
from zenodo.report.run_report import build_report
from zenodo.report.status_data import counts_by_collection
from zenodo_sandbox.testing import SandboxProcess

BLUE, RED = (0x1E, 0x88, 0xE5), (0xE5, 0x39, 0x35)


def _png(fig: Figure, name: str, folder: pathlib.Path) -> np.ndarray:
    """Render ``fig`` to ``folder/name`` (and to $PLOTS_DIR, to look at) and read it back."""
    path = folder / name
    fig.savefig(path, format="png", dpi=80, bbox_inches="tight")
    if os.environ.get("PLOTS_DIR"):
        fig.savefig(pathlib.Path(os.environ["PLOTS_DIR"]) / name, format="png", dpi=80,
                    bbox_inches="tight")
    return (imread(path)[..., :3] * 255).round()


def _pixels(image: np.ndarray, colour: tuple[int, int, int]) -> int:
    """Count the pixels of ``colour`` (give or take antialiasing)."""
    return int((np.abs(image - np.array(colour)).max(axis=-1) <= 8).sum())


def _texts(fig: Figure) -> str:
    (ax,) = fig.axes
    return " | ".join([ax.get_title(), *(t.get_text() for t in ax.texts)])


def test_a_run_of_seconds_plots_its_batch_rates_as_bars_and_says_no_errors(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger,
    tmp_path: pathlib.Path,
) -> None:
    keys = register_specimens(sqlite_ledger, tmp_path, 6)
    for batch, half in (("b1", keys[:3]), ("b2", keys[3:])):
        run_batch(sqlite_ledger, zenodo_hook, half, batch_id=batch, actor={"run_id": "short"})
    batches = load_batches(sqlite_ledger, COLLECTION, "short")
    timeline = plots.run_timeline(batches)
    assert 0 < timeline["seconds"] < 15 and plots.too_short(timeline), timeline
    t4 = table4(batches)

    throughput = plots.throughput_figure(timeline, t4)
    image = _png(throughput, "short-throughput.png", tmp_path)
    (ax,) = throughput.axes
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == t4["records/min"].tolist() and min(heights) > 0
    assert [t.get_text() for t in ax.get_xticklabels()] == ["b1", "b2"]
    low, high = ax.get_xlim()
    assert low < 0 < 1 < high and high - low > 1, "both bars in view, not a ±0.04 s frame"
    assert ax.get_ylim()[1] >= max(heights)
    assert "too short for a time series of 5 s bins" in ax.get_title()
    assert _pixels(image, BLUE) > 2000, "the bars are drawn"

    errors = plots.errors_figure(timeline, table5(batches))
    image = _png(errors, "short-errors.png", tmp_path)
    assert "no errors" in _texts(errors) and len(errors.axes[0].patches) == 0
    assert _pixels(image, RED) == 0

    html = render_html(build_report(sqlite_ledger, COLLECTION, run_id="short"), batches,
                       counts_by_collection(sqlite_ledger.engine))
    assert 'id="short-run">The run took' in html and "too short" in html
    assert html.count('src="data:image/svg+xml;base64,') == 3
    assert '<p id="table5">No errors.</p>' in html
    (shown,) = pd.read_html(io.StringIO(html), attrs={"id": "table4"})
    assert tuple(shown.columns) == T4_COLUMNS and shown["batch"].tolist() == ["b1", "b2", "total"]
    assert shown["records/min"].tolist()[:2] == heights
    assert shown["n"].tolist() == [3, 3, 6] and html.count('<tr class="total">') == 1


def test_a_short_run_with_errors_plots_them_by_status(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, sqlite_ledger: Ledger,
    tmp_path: pathlib.Path,
) -> None:
    keys = register_specimens(sqlite_ledger, tmp_path, 8)
    sandbox.admin.set_faults({"seed": 7, "kinds": {"get": {"error_rate": 0.5},
                                                   "create": {"error_rate": 0.3}}})
    run_batch(sqlite_ledger, zenodo_hook, keys, batch_id="b1", actor={"run_id": "faulty"})
    batches = load_batches(sqlite_ledger, COLLECTION, "faulty")
    timeline = plots.run_timeline(batches)
    t5 = table5(batches)
    assert plots.too_short(timeline) and t5["n"].sum() == batches[0]["errors"] > 0

    errors = plots.errors_figure(timeline, t5)
    image = _png(errors, "short-errors-by-status.png", tmp_path)
    (ax,) = errors.axes
    assert [bar.get_height() for bar in ax.patches] == t5["n"].tolist()
    assert [t.get_text() for t in ax.get_xticklabels()] == t5["status"].tolist()
    assert "Errors by status" in ax.get_title() and _pixels(image, RED) > 1000


def test_a_run_of_several_bins_is_a_time_series_with_the_pause_shaded(
    sqlite_ledger: Ledger, tmp_path: pathlib.Path
) -> None:
    stats = BatchStats(COLLECTION, "b1", specimens=4, concurrency=1, run_id="long",
                       bin_seconds=0.1)
    for status in (201, 503, 201, 202, 500, 201):
        stats.request_sent("POST", "create", 100)
        stats.request_done(status)
        if status == 202:
            stats.finished("published")
        time.sleep(0.12)
    stats.paused(stats.started + 0.25, stats.started + 0.45)
    stats.close()
    save_batch(sqlite_ledger, stats)
    batches = load_batches(sqlite_ledger, COLLECTION, "long")
    timeline = plots.run_timeline(batches)
    assert not plots.too_short(timeline) and len(timeline["requests"]) >= 6

    throughput = plots.throughput_figure(timeline, table4(batches))
    _png(throughput, "long-throughput.png", tmp_path)
    (ax,) = throughput.axes
    assert ax.get_xlim() == pytest.approx((0, len(timeline["requests"]) * 0.1))
    assert ax.get_title() == "Throughput" and len(ax.patches) == 3, "two series, one pause"

    errors = plots.errors_figure(timeline, table5(batches))
    image = _png(errors, "long-errors.png", tmp_path)
    (ax,) = errors.axes
    (bars,) = ax.containers
    assert [bar.get_height() for bar in bars] == timeline["errors"]
    assert sum(timeline["errors"]) == 2 == batches[0]["errors"]
    assert ax.get_title() == "Errors over time" and _pixels(image, RED) > 200


def test_a_run_with_no_batch_says_so(tmp_path: pathlib.Path) -> None:
    timeline = plots.run_timeline([])
    throughput = plots.throughput_figure(timeline, table4([]))
    errors = plots.errors_figure(timeline, table5([]))
    states = plots.states_figure({})
    for name, fig in (("none-t", throughput), ("none-e", errors), ("none-s", states)):
        _png(fig, f"{name}.png", tmp_path)
    assert "no batch ran: nothing was sent" in _texts(throughput)
    assert "no requests sent: no errors" in _texts(errors)
    assert "no specimens in the ledger" in _texts(states)
