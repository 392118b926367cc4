"""One self-contained HTML report per run: batch tables, errors by status, plots, failures.

The tables follow the 2019 pilot's spreadsheets (Table 4 per batch, Table 5 errors by status);
the plots are inlined, so the file opens anywhere on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from zenodo.engine.statistics import table4, table5
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
{% if paused > 0 %}<p class="pause" id="pause-note">Zenodo was unavailable: workers paused
for {{ "%.0f"|format(paused) }} s in total ({{ pauses|length }} pause(s)); no specimen was sent
into errors while paused.</p>{% endif %}
<table id="table4"><tr>{% for c in t4_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in t4 %}<tr>{% for c in t4_columns %}<td>{{ row[c] }}</td>{% endfor %}</tr>
{% endfor %}{% if total %}<tr class="total">{% for c in t4_columns %}<td>{{ total[c] }}</td>
{% endfor %}</tr>{% endif %}</table>
<h2>Errors by HTTP status (Table 5)</h2>
{% if t5 %}<table id="table5"><tr><th>status</th><th>n</th><th>%</th></tr>
{% for row in t5 %}<tr><td>{{ row.status }}</td><td>{{ row.n }}</td><td>{{ row["%"] }}</td></tr>
{% endfor %}</table>{% else %}<p id="table5">No errors.</p>{% endif %}
<h2>Unknown outcomes looked up</h2>
{% if lookups %}<table id="lookups"><tr><th>found</th><th>n</th></tr>
{% for found, n in lookups.items() %}<tr><td>{{ found }}</td><td>{{ n }}</td></tr>{% endfor %}
</table>{% else %}<p id="lookups">None.</p>{% endif %}
<h2>Plots</h2>
{% for title, uri in images %}<img alt="{{ title }}" src="{{ uri }}">{% endfor %}
<h2>Failures ({{ r.failures|length }})</h2>
<ul>{% for f in r.failures[:limit] %}<li><code>{{ f.key }}</code> {{ f.state }}:
{{ f.reason }}</li>{% endfor %}</ul>
<h2>Quarantined ({{ r.quarantined|length }})</h2>
<ul>{% for q in r.quarantined[:limit] %}<li><code>{{ q.key }}</code>:
{{ q.reasons|join("; ") }}</li>{% endfor %}</ul>
</body></html>
""")

T4_COLUMNS = ("batch", "n", "c", "t (s)", "t/n", "errors", "unsuccess", "records/min", "MB/s",
              "requests", "paused (s)")


def _total(rows: Sequence[Mapping[str, Any]], t4: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Sum the batches (wall time from the first start to the last end)."""
    if len(rows) < 2:
        return None
    seconds = max((max(r["ended_at"] for r in rows) - min(r["started_at"] for r in rows))
                  .total_seconds(), 1e-9)
    n = sum(r["specimens"] for r in rows)
    published = sum(r["published"] for r in rows)
    return {
        "batch": "total", "n": n, "c": max(r["concurrency"] for r in rows),
        "t (s)": round(seconds, 1), "t/n": round(seconds / n, 3) if n else None,
        "errors": sum(r["errors"] for r in t4), "unsuccess": sum(r["unsuccess"] for r in t4),
        "records/min": round(published / seconds * 60, 2),
        "MB/s": round(sum(r["bytes_sent"] for r in rows) / seconds / 1e6, 3),
        "requests": sum(r["requests"] for r in t4),
        "paused (s)": round(sum(r["paused (s)"] for r in t4), 1),
    }


def render_html(report: RunReport, batches: Sequence[Mapping[str, Any]],
                states_by_collection: Mapping[str, Mapping[str, int]], *,
                limit: int = 200) -> str:
    """Return the run's HTML report.

    :param report: the run report (counts, failures, quarantined).
    :param batches: the run's ``batch_stats`` rows (:func:`zenodo.engine.statistics.load_batches`).
    :param states_by_collection: collection → state → specimens, for the states plot.
    :param limit: list at most this many failures and quarantined specimens.
    """
    t4 = table4(batches)
    timeline = plots.run_timeline(batches)
    lookups: dict[str, int] = {}
    for row in batches:
        for found, n in row["lookup_results"].items():
            lookups[found] = lookups.get(found, 0) + n
    images = [("Throughput over time", plots.throughput_plot(timeline)),
              ("Errors over time", plots.errors_plot(timeline)),
              ("States per collection", plots.states_plot(states_by_collection))]
    return _TEMPLATE.render(
        r=report, t4=t4, t4_columns=T4_COLUMNS, total=_total(batches, t4), t5=table5(batches),
        lookups=lookups, images=images, limit=limit, pauses=timeline["pauses"],
        paused=sum(row["paused_seconds"] for row in batches),
    )


def write_html(report: RunReport, batches: Sequence[Mapping[str, Any]],
               states_by_collection: Mapping[str, Mapping[str, int]], folder: Path) -> Path:
    """Write ``report.html`` into the run's report folder and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.html"
    path.write_text(render_html(report, batches, states_by_collection), encoding="utf-8")
    return path
