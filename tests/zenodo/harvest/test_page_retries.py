"""A failed page is asked again; a page that skipped one restarts the window.

On zenodo.org every request with a token reads the list's scroll's *next* batch, whatever page
the token names (invenio-oaiserver ``query.py`` ``get_records``: ``scroll(scroll_id=...)``), so
a token asked again after a failure the server did serve skips a page. A failure the server
never saw (the sandbox's injected 5xx) costs one retry; a skip shows at the list's end against
``completeListSize`` less the first ``cursor`` (``response.py`` ``resumption_token``) and
restarts the window.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from tests.zenodo.harvest.client_log import record_answers
from tests.zenodo.harvest.lossy_gateway import LossyGateway
from tests.zenodo.oai_helpers import make_hook, seed
from zenodo.harvest.harvester import Harvester, HarvestOptions, HarvestStats
from zenodo_sandbox.testing import SandboxProcess

RESTART_LOG = "restarts from its start (a page of the list is missing"


def test_a_page_the_server_never_served_is_asked_again_without_a_restart(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ids = seed(sandbox, "FAULT-{n}", count=230)  # 5 pages
    sandbox.admin.set_faults({"seed": 7, "kinds": {"oai": {
        "error_rate": 0.25, "error_statuses": [500, 502, 503, 504]}}})
    hook = make_hook(monkeypatch, sandbox, backoff_max=0.05)
    answers = record_answers(hook)
    stats = HarvestStats()
    harvester = Harvester(hook, HarvestOptions(max_restarts=30, restart_wait=0.0))

    with caplog.at_level(logging.WARNING, logger="zenodo.harvest.harvester"):
        got = [r.record_id for r in harvester.iter_records("herb", stats=stats)]

    assert sorted(got) == sorted(map(str, ids)), "every record exactly once"
    failed = [n for n, a in enumerate(answers) if a.status >= 500]
    assert any(answers[n].token for n in failed), "the faults hit pages asked with a token"
    assert all(answers[n + 1].token == answers[n].token for n in failed), \
        "a failed page, with or without a token, is asked again as it was"
    assert stats.retries == len(failed)
    assert stats.restarts == 0 and RESTART_LOG not in caplog.text
    assert stats.requests == 5  # 4 pages of 50 and one of 30: none counted twice


def test_a_page_lost_behind_the_gateway_is_not_skipped(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = seed(sandbox, "GATEWAY-{n}", count=160)  # 4 pages of 50
    with LossyGateway(sandbox.url, lose=2) as gateway:
        hook = make_hook(monkeypatch, SimpleNamespace(url=gateway.url, token=sandbox.token),
                         backoff_max=0.05)
        answers = record_answers(hook)
        result = Harvester(hook, HarvestOptions(restart_wait=0.0)).harvest("herb")

    # Page 2's answer is lost twice, each time after the sandbox served a batch: the third
    # try reads page 4's batch, so the first pass lists 60 of 160 and the window restarts.
    assert gateway.lost == 2
    assert sorted(r.record_id for r in result.records) == sorted(map(str, ids))
    assert result.stats.retries == 2 and result.stats.restarts == 1
    assert [a.status for a in answers].count(504) == 2
