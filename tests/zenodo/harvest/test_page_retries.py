"""A failed page asked with a resumption token is never asked again with that token.

On zenodo.org every request with a token reads the list's scroll's *next* batch, whatever page
the token names: a token retried after a 5xx can silently skip a page. The harvester restarts
the window from its first page instead (which the hook may retry), against the real sandbox.
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

RESTART_LOG = "restarts from its start (a page asked with a resumption token failed"


def test_injected_5xx_never_replay_a_token_and_every_record_comes_once(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ids = seed(sandbox, "FAULT-{n}", count=230)  # 5 pages of 50
    sandbox.admin.set_faults({"seed": 7, "kinds": {"oai": {
        "error_rate": 0.25, "error_statuses": [500, 502, 503, 504]}}})
    hook = make_hook(monkeypatch, sandbox, backoff_max=0.05)
    answers = record_answers(hook)
    stats = HarvestStats()
    harvester = Harvester(hook, HarvestOptions(max_restarts=30, restart_wait=0.0))

    with caplog.at_level(logging.WARNING, logger="zenodo.harvest.harvester"):
        got = [r.record_id for r in harvester.iter_records("herb", stats=stats)]

    assert sorted(got) == sorted(map(str, ids)), "every record exactly once"
    tokens = [a.token for a in answers if a.token]
    assert len(tokens) == len(set(tokens)), "a resumption token was sent twice"
    lost = [n for n, a in enumerate(answers) if a.token and a.status >= 500]
    assert lost, "the faults hit pages asked with a token"
    assert all(answers[n + 1].token is None for n in lost), "each restarts its list"
    assert stats.restarts == len(lost)
    assert caplog.text.count(RESTART_LOG) == len(lost)
    retried = [n for n, a in enumerate(answers) if not a.token and a.status >= 500]
    assert retried and all(not answers[n + 1].token for n in retried), \
        "a first page is retried (by the hook, not restarted)"


def test_a_page_lost_behind_the_gateway_is_not_skipped(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = seed(sandbox, "GATEWAY-{n}", count=160)  # 4 pages of 50
    with LossyGateway(sandbox.url, lose=2) as gateway:
        hook = make_hook(monkeypatch, SimpleNamespace(url=gateway.url, token=sandbox.token),
                         backoff_max=0.05)
        answers = record_answers(hook)
        result = Harvester(hook, HarvestOptions(restart_wait=0.0)).harvest("herb")

    assert gateway.lost == 2
    assert sorted(r.record_id for r in result.records) == sorted(map(str, ids))
    assert result.stats.restarts == 2
    assert [a.status for a in answers].count(504) == 2
