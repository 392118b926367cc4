"""One self-contained HTML report per run: batch tables, errors by status, plots, failures.

The tables follow the 2019 pilot's spreadsheets (Table 4 per batch, Table 5 errors by status);
the plots are inlined, so the file opens anywhere on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from zenodo.engine.statistics import (
    T4_COLUMNS,
    lookup_totals,
    paused_seconds,
    paused_spans,
    table4,
    table4_total,
    table5,
)
from zenodo.report import plots

if TYPE_CHECKING:
    from zenodo.report.run_report import RunReport

_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Zenodo run report: {{ r.collection }} {{ r.run_id }}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: bold; }
.pause { background: #ffebee; padding: 0.5em 1em; border-left: 4px solid #e53935; }
img { max-width: 100%; display: block; margin: 0.5em 0 1.5em; }
</style></head><body>
<h1>Run report: {{ r.collection }}</h1>
<p>Run <code>{{ r.run_id }}</code>, generated {{ r.generated_at }}.
Online (published or verified): <strong id="online">{{ r.online }}</strong>.</p>
{% if r.export %}<p id="export">Darwin Core Archive for GBIF:
<a href="{{ r.export.path.rsplit('/', 1)[-1] }}"><code>{{ r.export.path }}</code></a>
({{ r.export.occurrences }} occurrences, {{ r.export.media }} multimedia rows).</p>{% endif %}
{% if r.summary %}<p id="summary">Summary record: {% if r.summary.doi %}DOI
<a href="https://doi.org/{{ r.summary.doi }}">{{ r.summary.doi }}</a>, concept DOI
{{ r.summary.concept_doi }}{% if r.summary.version %}, version {{ r.summary.version }}{% endif %}
({{ "new version published" if r.summary.changed else "unchanged" }}; {{ r.summary.specimens }}
specimens){% else %}{{ r.summary.state }}{% if r.summary.reason %}:
{{ r.summary.reason }}{% endif %}{% endif %}.</p>{% endif %}
<h2>Specimens by state</h2>
<table id="states"><tr><th>state</th><th>specimens</th></tr>
{% for state, n in r.counts.items() if n %}<tr><td>{{ state }}</td><td>{{ n }}</td></tr>
{% endfor %}</table>
{% if r.preview %}<h2>Dry run preview</h2>
<p id="preview-note">Nothing was written or sent. Of the {{ r.preview.rows }} rows read, a real
run would leave these states (every row, with its state now and after, is in
<code>preview.csv</code>):</p>
<table id="preview"><tr><th>state</th><th>specimens</th></tr>
{% for state, n in r.preview.states.items() %}<tr><td>{{ state }}</td><td>{{ n }}</td></tr>
{% endfor %}</table>{% endif %}
<h2>Batches (Table 4)</h2>
{% if outages %}<p class="pause" id="pause-note">Zenodo was unavailable: the workers paused
for {{ "%.0f"|format(paused) }} s of the run's time ({{ outages|length }} time(s); the batches
running then paused together, {{ pauses|length }} batch pause(s) in all); no specimen was sent
into errors while paused.</p>{% endif %}
<table id="table4"><tr>{% for c in t4_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in t4 %}<tr>{% for c in t4_columns %}<td>{{ row[c] }}</td>{% endfor %}</tr>
{% endfor %}{% for row in total %}<tr class="total">{% for c in t4_columns %}<td>{{ row[c] }}</td>
{% endfor %}</tr>{% endfor %}</table>
<h2>Errors by HTTP status (Table 5)</h2>
{% if t5 %}<table id="table5"><tr><th>status</th><th>n</th><th>%</th></tr>
{% for row in t5 %}<tr><td>{{ row.status }}</td><td>{{ row.n }}</td><td>{{ row["%"] }}</td></tr>
{% endfor %}</table>{% else %}<p id="table5">No errors.</p>{% endif %}
<h2>Unknown outcomes looked up</h2>
{% if lookups %}<table id="lookups"><tr><th>found</th><th>n</th></tr>
{% for found, n in lookups.items() %}<tr><td>{{ found }}</td><td>{{ n }}</td></tr>{% endfor %}
</table>{% else %}<p id="lookups">None.</p>{% endif %}
<h2>Plots</h2>
{% if short %}<p id="short-run">The run took {{ "%.1f"|format(timeline.seconds) }} s, too short
for a time series of {{ "%g"|format(timeline.bin_seconds) }} s bins: the plots show each batch's
rate and the errors by HTTP status instead.</p>{% endif %}
{% for title, uri in images %}<img alt="{{ title }}" src="{{ uri }}">{% endfor %}
<h2>Failures ({{ r.failures|length }})</h2>
<ul>{% for f in r.failures[:limit] %}<li><code>{{ f.key }}</code> {{ f.state }}:
{{ f.reason }}</li>{% endfor %}</ul>
{% if r.writeback %}<h2>DOI write-back</h2>
<p id="writeback">Written: {{ r.writeback.written }}; failed: {{ r.writeback.failed }}.</p>
<ul id="writeback-failures">{% for f in r.writeback.failures[:limit] %}<li><code>{{ f.key }}</code>:
{{ f.reason }}</li>{% endfor %}</ul>{% endif %}
<h2>Quarantined ({{ r.quarantined|length }})</h2>
<ul>{% for q in r.quarantined[:limit] %}<li><code>{{ q.key }}</code>:
{{ q.reasons|join("; ") }}</li>{% endfor %}</ul>
</body></html>
""")

def _cells(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a table's lines for the template, a missing value (``t/n`` of no specimens) as ""."""
    return frame.astype(object).where(frame.notna(), "").to_dict("records")


def render_html(report: RunReport, batches: Sequence[Mapping[str, Any]],
                states_by_collection: Mapping[str, Mapping[str, int]], *,
                limit: int = 200) -> str:
    """Return the run's HTML report.

    :param report: the run report (counts, failures, quarantined).
    :param batches: the run's ``batch_stats`` rows (:func:`zenodo.engine.statistics.load_batches`).
    :param states_by_collection: collection → state → specimens, for the states plot.
    :param limit: list at most this many failures and quarantined specimens.
    """
    t4, t5 = table4(batches), table5(batches)
    timeline = plots.run_timeline(batches)
    outages = paused_spans(batches)
    figures = [("Throughput", plots.throughput_figure(timeline, t4)),
               ("Errors", plots.errors_figure(timeline, t5)),
               ("States per collection", plots.states_figure(states_by_collection))]
    return _TEMPLATE.render(
        r=report, t4=_cells(t4), t4_columns=T4_COLUMNS, total=_cells(table4_total(batches)),
        t5=_cells(t5), lookups=lookup_totals(batches), limit=limit, timeline=timeline,
        short=bool(batches) and plots.too_short(timeline), pauses=timeline["pauses"],
        images=[(title, plots.svg_uri(fig)) for title, fig in figures],
        outages=outages, paused=paused_seconds(outages),
    )


def write_html(report: RunReport, batches: Sequence[Mapping[str, Any]],
               states_by_collection: Mapping[str, Mapping[str, int]], folder: Path) -> Path:
    """Write ``report.html`` into the run's report folder and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.html"
    path.write_text(render_html(report, batches, states_by_collection), encoding="utf-8")
    return path
