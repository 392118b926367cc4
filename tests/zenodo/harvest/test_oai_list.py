"""Following an OAI-PMH list through the hook, against the real sandbox (50 records a page).

The sandbox pages as zenodo.org does: the first page opens a scroll, every later request reads
the scroll's *next* batch whatever page its token names, and the scroll is cleared after the
last page (a token of a finished list is then a 500).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import pytest

from tests.zenodo.harvest.client_log import record_answers
from tests.zenodo.oai_helpers import make_hook, oai_requests, seed
from zenodo.harvest.oai_list import PageLost, oai_page, oai_pages
from zenodo.harvest.oai_page import OaiError
from zenodo.harvest.records import parse_record
from zenodo_sandbox.testing import SandboxProcess


def _ids(elements: list[Element]) -> list[str]:
    return [parse_record(e, where="test").record_id for e in elements]


def test_pages_follow_the_resumption_token_to_the_end_of_the_list(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(sandbox, "PAGED-{n}", count=60)
    hook = make_hook(monkeypatch, sandbox, backoff_max=0.05)
    pages = list(oai_pages(hook, verb="ListIdentifiers", set_spec="user-herb"))
    assert [len(p.records) for p in pages] == [50, 10]
    assert pages[0].complete_list_size == 60 and pages[-1].resumption_token is None
    assert [p.cursor for p in pages] == [0, 50]  # invenio-oaiserver response.py: (page-1)*size
    assert len(oai_requests(sandbox)) == 2

    # The list ended, so zenodo.org cleared its scroll: its token is now a 500 however often
    # it is asked, reported after the hook's retries as a lost page, for the caller to restart.
    answers = record_answers(hook)
    with pytest.raises(PageLost, match="page 1, asked with a resumption token, still failed"
                       ) as lost:
        list(oai_pages(hook, verb="ListIdentifiers", resumption_token=pages[0].resumption_token))
    assert lost.value.status == 500
    assert [a.status for a in answers] == [500] * hook.read_attempts


def test_a_replayed_token_reads_the_next_batch_not_the_same_page(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = seed(sandbox, "REPLAY-{n}", count=120)
    hook = make_hook(monkeypatch, sandbox)
    first = oai_page(hook, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
                            "set": "user-herb"})
    again = {"verb": "ListIdentifiers", "resumptionToken": first.resumption_token or ""}
    second = oai_page(hook, again)

    replayed = oai_page(hook, again)  # page 2's token once more: page 3 comes back

    assert [len(p.records) for p in (first, second, replayed)] == [50, 50, 20]
    # ... under page 2's cursor: only the list's total count can show the skip.
    assert second.cursor == replayed.cursor == 50
    pages = [_ids(p.records) for p in (first, second, replayed)]
    assert sorted(pages[0] + pages[1] + pages[2]) == sorted(map(str, ids))  # page 2 not again


def test_no_match_is_one_empty_page_and_other_oai_errors_raise(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = make_hook(monkeypatch, sandbox)
    (empty,) = oai_pages(hook, set_spec="user-nobody")
    assert empty.records == [] and empty.resumption_token is None
    with pytest.raises(OaiError) as refused:
        list(oai_pages(hook, metadata_prefix="no_such"))
    assert refused.value.code == "badArgument"
