"""A local Zenodo-compatible server for offline runs, tests and rehearsals.

Start it with ``python -m zenodo_sandbox`` (see ``--help``); from Python, use
:class:`zenodo_sandbox.testing.SandboxProcess`. The admin API is documented in
:mod:`zenodo_sandbox.api_admin`, fault configuration in :mod:`zenodo_sandbox.faults`, the
supported search syntax in :mod:`zenodo_sandbox.query`, publish validation in
:mod:`zenodo_sandbox.validation`.

Choices where Zenodo's documented behaviour is unconfirmed, or where the sandbox deliberately
differs from it:

* Deposit API (:mod:`zenodo_sandbox.api_deposit`) as zenodo-rdm's legacy API runs it (see
  ``README.md``, "Deposit API"): a missing or unknown token, another user's deposition or
  bucket answer 403 ``Permission denied.``; create/update take ``metadata`` (and ``files``)
  only, apply Zenodo's defaults and transforms and echo what Zenodo keeps
  (:mod:`zenodo_sandbox.legacy_in`); problems InvenioRDM finds in a draft drop the value and
  show at publish (400, InvenioRDM field names such as ``metadata.resource_type``);
  ``discard`` and ``DELETE`` answer 204 (a never-published draft is deleted); ``edit`` of a
  draft answers 201; ``newversion`` on a draft is 404. An unknown token on public endpoints
  (records, OAI-PMH) is treated as anonymous; the InvenioRDM API answers 403 to anonymous
  callers. Token scopes are not enforced.
* Bucket PUT/DELETE on a published record (also while editing) is 403; multipart POST is 404.
  A key holding ``/`` is 404 (no route), as on Zenodo; keys are also refused (400) when
  empty, ``.``/``..`` or holding control characters. Empty files are 400, as on zenodo.org.
  The bucket listing (``GET {bucket}``) shape follows the pre-2023 Files REST API
  (``contents`` list).
* ``prereserve_doi`` is hard-coded ``10.5281/zenodo.<id>`` as on Zenodo; real DOIs use
  ``--doi-prefix`` (10.5072). Record and concept ids come from one sequence (concept id first).
* Communities: every slug is accepted unless ``--community`` lists the known ones; unknown
  slugs are dropped silently at publish (Zenodo swallows inclusion errors). Membership is
  added at each publish, never removed.
* Deposit list: ``status`` is accepted and ignored, as on zenodo.org; ``all_versions``
  (bare or true) lists every version, else the latest per concept; sort names are Zenodo's
  (``newest`` default without ``q``, ``bestmatch`` with it; an unknown name is 400);
  ``size`` above 100 or ``page*size`` above 10,000 is 400. Relevance is not scored
  (``bestmatch`` is newest id first); view and download sorts fall back to creation time.
  Hits are chosen from the lagging index but rendered from the database (current state).
* Records API (:mod:`zenodo_sandbox.records`, see ``README.md``, "Records API"): Zenodo JSON
  as zenodo-rdm's ``zenodojson.py`` dumps it (:mod:`zenodo_sandbox.zenodojson`): resource
  type ``{type, subtype, title}``, ``alternate_identifiers``, grant objects, ``license``
  objects with the legacy id, ``closed`` shown as ``restricted``; files of a record whose
  access is not open are listed to and downloadable by its owner only (others: ``[]``, 403);
  a deleted record is 410 ``Record deleted`` with a tombstone.
  Search: no ``sortBy``, no ``aggregations`` (no facets computed); ``newest`` without ``q``,
  ``bestmatch`` with it; guests may ask 25 hits a page, token holders 100; unknown community
  slugs give no hits. Funder names and countries exist for EC and NIH only.
* OAI-PMH (:mod:`zenodo_sandbox.oaipmh`, see ``README.md``, "OAI-PMH"): as invenio-oaiserver
  runs on zenodo.org, including its 500s (an aware and a naive date bound, ``GetMetadata``, a
  token whose scroll was cleared); eight formats, ``dcat`` reduced; ListSets names
  communities by slug; pattern sets ``openaire``, ``openaire_data``, ``software``.
* Rate limits: guest numbers follow the repository config/observations (133/min, 8000/h),
  not the documented 60/min. Callers are keyed by user name (token) or client IP.
  ``Retry-After`` is sent with every limited answer, as Flask-Limiter does. 429 bodies are
  JSON, except on ``/oai2d`` (HTML). Admin calls and ``GET /`` are never limited.
* Faults: gateway errors (502/503/504, outages) answer nginx-style HTML; 500 answers JSON with
  ``error_id``. A dropped connection is logged as status 599.
* InvenioRDM API (:mod:`zenodo_sandbox.api_rdm`, see ``README.md``, "InvenioRDM API"): RDM
  records are ordinary depositions (same ids, storage, records API, admin API, OAI feed)
  whose RDM body is kept beside a derived legacy view; ids are answered as strings. The
  record schema, vocabularies and Zenodo's settings are zenodo.org's (no metadata-only or
  restricted records, a ``publisher`` for the DataCite DOI); anonymous callers and other
  users get 403. Vocabulary entries are not dereferenced (no titles added to ids);
  affiliation, subject and funder ids are not checked. The caller curates every community
  it names (any slug unless ``--community`` lists them), so a submission or inclusion is
  accepted at once unless ``--review curator`` or ``"require_review": true`` keeps it open
  until ``POST /api/requests/{id}/actions/accept``. A community is named by slug or by the
  UUID ``GET /api/communities/{slug}`` answers; ``parent.communities`` lists the UUIDs.
* Indexing delays apply to deposit search, records search and the OAI-PMH feed; reads of a
  single deposition or record are immediate (database reads), as on Zenodo.
"""
