"""A local Zenodo-compatible server for offline runs, tests and rehearsals.

Start it with ``python -m zenodo_sandbox`` (see ``--help``); from Python, use
:class:`zenodo_sandbox.testing.SandboxProcess`. The admin API is documented in
:mod:`zenodo_sandbox.api_admin`, fault configuration in :mod:`zenodo_sandbox.faults`, the
supported search syntax in :mod:`zenodo_sandbox.query`, publish validation in
:mod:`zenodo_sandbox.validation`.

Choices where Zenodo's documented behaviour is unconfirmed, or where the sandbox deliberately
differs from it:

* Auth: a missing or unknown token on deposit/bucket endpoints is **401**
  ``{"status": 401, "message": ...}`` (real Zenodo answers 403 to anonymous callers). Another
  user's deposition is 404. An unknown token on public endpoints (records, OAI-PMH) is treated
  as anonymous. Token scopes are not enforced.
* Create/update accept only the top-level key ``metadata`` (Zenodo's schema raises on unknown
  and dump-only keys); unknown keys inside ``metadata`` are dropped silently.
* ``actions/discard`` answers 201 with the deposition (documented), 400 when not editing;
  ``actions/edit`` on an unpublished draft is 400; ``newversion`` on a draft is 404.
* Bucket PUT/DELETE on a published record (also while editing) is 403; multipart POST is 404.
  Bucket keys are refused (400) when empty, with a leading ``/``, an empty, ``.`` or ``..``
  segment, or control characters. The bucket listing (``GET {bucket}``) shape follows the
  pre-2023 Files REST API (``contents`` list).
* ``prereserve_doi`` is hard-coded ``10.5281/zenodo.<id>`` as on Zenodo; real DOIs use
  ``--doi-prefix`` (10.5072). Record and concept ids come from one sequence (concept id first).
* Communities: every slug is accepted unless ``--community`` lists the known ones; unknown
  slugs are dropped silently at publish (Zenodo swallows inclusion errors). Membership is
  added at each publish, never removed.
* Publish fills a default license when none is given for open/embargoed records (cc0-1.0 for
  datasets, else cc-by-4.0). ``publication_date`` and ``access_right`` are required.
* Deposit list: ``status=draft`` = never published, ``published`` = published (including
  records being edited); ``all_versions=false`` (default) keeps the highest id per concept
  after the status filter; default sort ``mostrecent`` without ``q``, ``bestmatch``
  (newest id first) with it; ``size`` above 100 or ``page*size`` above 10,000 is 400. Hits
  are chosen from the lagging index but rendered from the database (current state).
* Records search: guests may ask 25 hits a page, token holders 100; unknown community slugs
  give no hits.
* Rate limits: guest numbers follow the repository config/observations (133/min, 8000/h),
  not the documented 60/min. Callers are keyed by user name (token) or client IP.
  ``Retry-After`` is sent with every limited answer, as Flask-Limiter does. 429 bodies are
  JSON, except on ``/oai2d`` (HTML). Admin calls and ``GET /`` are never limited.
* Faults: gateway errors (502/503/504, outages) answer nginx-style HTML; 500 answers JSON with
  ``error_id``. A dropped connection is logged as status 599.
* InvenioRDM API (:mod:`zenodo_sandbox.api_rdm`): RDM records are ordinary depositions
  (same ids, storage, records API, admin API, OAI feed) whose RDM body is kept beside a
  derived legacy view. Ids are answered as strings. Draft problems are listed in ``errors``
  (not refused) until publish. Content uploads need ``application/octet-stream``. A
  community-submission review is accepted at once (the caller curates every known
  community), so ``submit-review`` publishes; with ``--review curator`` it stays open until
  ``POST /api/requests/{id}/actions/accept``. A review's receiver may name the community by
  slug or by the id ``GET /api/communities/{slug}`` answers; see
  :mod:`zenodo_sandbox.rdm_community`.
* Indexing delays apply to deposit search, records search and the OAI-PMH feed; reads of a
  single deposition or record are immediate (database reads), as on Zenodo.
"""
