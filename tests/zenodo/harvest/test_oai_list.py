"""Following an OAI-PMH list through the hook, against the real sandbox (50 records a page)."""

from __future__ import annotations

import pytest

from tests.zenodo.oai_helpers import make_hook, oai_requests, seed
from zenodo.harvest.oai_list import oai_pages
from zenodo.harvest.oai_page import OaiError
from zenodo_sandbox.testing import SandboxProcess


def test_pages_follow_the_resumption_token_to_the_end_of_the_list(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(sandbox, "PAGED-{n}", count=60)
    hook = make_hook(monkeypatch, sandbox)
    pages = list(oai_pages(hook, verb="ListIdentifiers", set_spec="user-herb"))
    assert [len(p.records) for p in pages] == [50, 10]
    assert pages[0].complete_list_size == 60 and pages[-1].resumption_token is None
    assert len(oai_requests(sandbox)) == 2
    token = pages[0].resumption_token
    resumed = list(oai_pages(hook, verb="ListIdentifiers", resumption_token=token))
    assert [len(p.records) for p in resumed] == [10], "a list resumed from its token"


def test_no_match_is_one_empty_page_and_other_oai_errors_raise(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = make_hook(monkeypatch, sandbox)
    (empty,) = oai_pages(hook, set_spec="user-nobody")
    assert empty.records == [] and empty.resumption_token is None
    with pytest.raises(OaiError) as refused:
        list(oai_pages(hook, metadata_prefix="no_such"))
    assert refused.value.code == "badArgument"
