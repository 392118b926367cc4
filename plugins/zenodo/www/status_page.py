"""The Zenodo status page: a FastAPI app the plugin mounts in Airflow's API server.

Per collection: counts by state, the last runs with their reports, and the newest failed,
quarantined and published specimens; it only reads the ledger. Every route needs a logged-in
Airflow user (the API server's own ``get_user``); an anonymous browser is sent to the login.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)

from zenodo import runtime
from zenodo.ledger.states import State
from zenodo.report import status_data
from zenodo.report.run_report import report_folder

log = logging.getLogger(__name__)

URL_PREFIX = "/zenodo"
_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_STYLE = """<style>body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.4em 0 1.2em}th,td{border:1px solid #ccc;
padding:.2em .6em;text-align:left}td.n{text-align:right}</style>"""
_INDEX = _ENV.from_string("""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Zenodo status</title>""" + _STYLE + """</head><body><h1>Zenodo status</h1>
<p>Signed in as {{ user }}. Counts from the ledger.</p>
{% if not counts %}<p>The ledger holds no specimens yet.</p>{% else %}
<table id="collections"><tr><th>collection</th>{% for s in states %}<th>{{ s }}</th>
{% endfor %}<th>total</th></tr>{% for c, by_state in counts.items() %}
<tr data-collection="{{ c }}"><td><a href="{{ prefix }}/collections/{{ c|urlencode }}">{{ c }}
</a></td>{% for s in states %}<td class="n" data-state="{{ s }}">{{ by_state.get(s, 0) }}</td>
{% endfor %}<td class="n">{{ by_state.values()|sum }}</td></tr>{% endfor %}</table>{% endif %}
</body></html>""")
_COLLECTION = _ENV.from_string("""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Zenodo status: {{ c }}</title>""" + _STYLE + """</head><body>
<p><a href="{{ prefix }}/">All collections</a></p><h1>Collection {{ c }}</h1>
<h2>Specimens by state</h2><table id="counts">{% for s, n in counts.items() %}
<tr><td>{{ s }}</td><td class="n" data-state="{{ s }}">{{ n }}</td></tr>{% endfor %}</table>
<h2>Last runs</h2>{% if runs %}<table id="runs"><tr><th>run</th><th>started</th><th>ended</th>
<th>batches</th><th>specimens</th><th>published</th><th>unsuccess</th><th>errors</th>
<th>paused (s)</th><th>report</th></tr>{% for r in runs %}<tr><td>{{ r.run_id }}</td>
<td>{{ r.started_at }}</td><td>{{ r.ended_at }}</td><td class="n">{{ r.batches }}</td>
<td class="n">{{ r.specimens }}</td><td class="n">{{ r.published }}</td>
<td class="n">{{ r.failed }}</td><td class="n">{{ r.errors }}</td>
<td class="n">{{ "%.0f"|format(r.paused_seconds or 0) }}</td><td>{% if reports[r.run_id] %}
<a class="report" href="{{ reports[r.run_id] }}">HTML report</a>{% endif %}</td></tr>
{% endfor %}</table>{% else %}<p>No runs recorded yet.</p>{% endif %}
<h2>Newest failures</h2>{% if failures %}<table id="failures"><tr><th>specimen</th>
<th>state</th><th>attempts</th><th>when</th><th>reason</th></tr>{% for f in failures %}<tr>
<td>{{ f.key }}</td><td>{{ f.state }}</td><td class="n">{{ f.attempts }}</td>
<td>{{ f.last_error_at or "" }}</td><td>{{ f.last_error_kind or "" }}
{{ f.last_error_status or "" }}: {{ f.last_error_message or "" }}</td></tr>{% endfor %}
</table>{% else %}<p>None.</p>{% endif %}
<h2>Newest quarantined</h2>{% if quarantined %}<table id="quarantined"><tr><th>specimen</th>
<th>reasons</th></tr>{% for q in quarantined %}<tr><td>{{ q.key }}</td>
<td>{{ (q.quarantine_reasons or [])|join("; ") }}</td></tr>{% endfor %}</table>
{% else %}<p>None.</p>{% endif %}
<h2>Newest published</h2>{% if published %}<table id="published"><tr><th>specimen</th>
<th>DOI</th><th>record</th></tr>{% for p in published %}<tr><td>{{ p.key }}</td>
<td>{{ p.doi or "" }}</td><td>{% if base_url and p.record_id %}<a class="record"
href="{{ base_url }}/records/{{ p.record_id|urlencode }}">{{ p.record_id }}</a>{% else %}
{{ p.record_id or "" }}{% endif %}</td></tr>{% endfor %}</table>{% else %}<p>None.</p>{% endif %}
</body></html>""")


async def require_user(request: Request) -> Any:
    """Return the logged-in Airflow user, or raise 401/403 as the API server does.

    Calls the API server's ``get_user`` (imported here, so loading the plugin elsewhere, e.g.
    on a worker, does not import the API server).
    """
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    credentials = await bearer_scheme(request)
    return await get_user(request, None, credentials)


User = Annotated[Any, Depends(require_user)]


@lru_cache(maxsize=1)
def _engine(url: str) -> Any:
    from zenodo.store.database import make_engine

    return make_engine(url)


def zenodo_base_url(collection: str) -> str:
    """Return the base URL of the collection's configured Zenodo ('' when unknown)."""
    from zenodo.operators.record_links import zenodo_base_url as base_url

    try:
        return base_url(runtime.collection_config(collection).zenodo_conn_id)
    except Exception:  # an unconfigured collection or connection: no links, not an error
        log.debug("no Zenodo connection for collection %s", collection)
        return ""


def _report_path(collection: str, run_id: str) -> Path:
    return report_folder(runtime.reports_dir(), collection, run_id) / "report.html"


def create_app() -> FastAPI:
    """Build the status app (mounted by the plugin under :data:`URL_PREFIX`)."""
    app = FastAPI(title="Zenodo status", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(HTTPException)
    async def _login_redirect(request: Request, exc: HTTPException) -> Response:
        wants_html = "text/html" in request.headers.get("accept", "")
        if exc.status_code == 401 and wants_html:
            path = request.url.path
            path = path if path.startswith(URL_PREFIX) else URL_PREFIX + path
            return RedirectResponse(f"/auth/login?next={quote(path, safe='/')}",
                                    status_code=303)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=exc.headers)

    @app.exception_handler(sa.exc.DBAPIError)
    async def _no_ledger(request: Request, exc: sa.exc.DBAPIError) -> Response:
        log.warning("status page: the ledger cannot be read: %s", type(exc.orig).__name__)
        return HTMLResponse("<!DOCTYPE html><title>Zenodo status</title><p>The ledger cannot be "
                            "read (not set up yet, or unreachable).</p>", status_code=503)

    @app.get("/", response_class=HTMLResponse)
    def index(user: User) -> str:
        counts = status_data.counts_by_collection(_engine(runtime.ledger_url()))
        return _INDEX.render(user=user.get_name(), counts=dict(sorted(counts.items())),
                             states=[s.value for s in State], prefix=URL_PREFIX)

    @app.get("/collections/{collection}", response_class=HTMLResponse)
    def collection_page(collection: str, user: User) -> str:
        engine = _engine(runtime.ledger_url())
        runs = status_data.last_runs(engine, collection)
        reports = {r.run_id: (f"{URL_PREFIX}/reports/{quote(collection, safe='')}/"
                              f"{quote(r.run_id, safe='')}")
                   if _report_path(collection, r.run_id).is_file() else ""
                   for r in runs}
        return _COLLECTION.render(
            c=collection, prefix=URL_PREFIX, runs=runs, reports=reports,
            counts=status_data.collection_counts(engine, collection),
            failures=status_data.newest(engine, collection, (State.FAILED, State.UNKNOWN)),
            quarantined=status_data.newest(engine, collection, (State.QUARANTINED,)),
            published=status_data.newest(engine, collection, (State.PUBLISHED, State.VERIFIED)),
            base_url=zenodo_base_url(collection),
        )

    @app.get("/reports/{collection}/{run_id}")
    def report(collection: str, run_id: str, user: User) -> Response:
        path = _report_path(collection, run_id)
        if not path.resolve().is_relative_to(runtime.reports_dir().resolve()) or \
                not path.is_file():
            raise HTTPException(status_code=404, detail="no report for this run")
        return FileResponse(path, media_type="text/html")

    return app
