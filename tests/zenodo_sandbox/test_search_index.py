"""Searches ask the search index's words first, and answer as a scan of every record would.

A lookup after a lost create searches the caller's depositions for one specimen key; at pilot
2's size (281,372 records) reading and decoding every indexed document for each such search
would stall the sandbox for seconds. The index (SQLite FTS5 over each document's keys and
values) narrows the search to the records one of whose versions holds every ASCII word of the
query; the query is then evaluated on those records exactly as before (every version, then the
latest per concept, then the match), so the answers do not change.
"""

from __future__ import annotations

import requests

from zenodo_sandbox.query import index_words, parse
from zenodo_sandbox.storage import Deposition, Storage

KEYWORD = "specimen-key:urn:catalog:BR{n}"  # the seed puts 1..count for {n}
TEMPLATE = {"upload_type": "image", "image_type": "photo", "publication_date": "2024-01-01",
            "title": "Sheet {n}", "description": "Café sheet number {n}",
            "creators": [{"name": "Seed, Ann"}], "access_right": "open",
            "license": "cc-by-4.0", "keywords": [KEYWORD]}


def _hits(sandbox, api, q: str, **params: str) -> list[int]:
    answer = api.get(f"{sandbox.url}/api/deposit/depositions", params={"q": q, **params})
    assert answer.status_code == 200, answer.text
    return sorted(d["id"] for d in answer.json())


def test_a_key_search_finds_its_record_among_many_and_answers_as_before(sandbox, api):
    sandbox.admin.set_delays(deposit=0, records=0, oai=0)
    owner = sandbox.user
    sandbox.admin.seed(400, owner=owner, metadata=TEMPLATE)
    records = {r["metadata"]["keywords"][0]: r["id"] for r in sandbox.admin.records()}
    wanted = KEYWORD.replace("{n}", "217")
    assert _hits(sandbox, api, f'keywords:"{wanted}"') == [records[wanted]]
    assert _hits(sandbox, api, 'keywords:"specimen-key:urn:catalog:BR9999"') == []
    # a query without an ASCII word is not narrowed, and still matched word by word
    assert len(_hits(sandbox, api, "Café", size="100")) == 100
    public = requests.get(f"{sandbox.url}/api/records", params={"q": f'"{wanted}"'}, timeout=30)
    assert [h["id"] for h in public.json()["hits"]["hits"]] == [records[wanted]]
    # the store reads only the record that holds the words, not the 400
    store = Storage(sandbox.data_dir / "sandbox.sqlite3")
    try:
        words = index_words(parse(f'keywords:"{wanted}"'))
        assert words == ["specimen", "key", "urn", "catalog", "br217"]
        narrowed = store.index_docs("deposit", 4e9, owner=owner, words=words)
        assert [d["id"] for d in narrowed] == [records[wanted]]
        assert len(store.index_docs("deposit", 4e9, owner=owner)) == 400
    finally:
        store.close()


def test_only_the_latest_version_answers_unless_all_versions_are_asked(sandbox, api, deposit,
                                                                       metadata):
    sandbox.admin.set_delays(deposit=0, records=0, oai=0)
    first = deposit(meta={**metadata, "keywords": ["specimen-key:OLD1"]}, publish=True)
    new = api.post(first["links"]["newversion"])
    assert new.status_code == 201, new.text
    draft_url = new.json()["links"]["latest_draft"]
    draft = api.get(draft_url).json()
    updated = api.put(draft_url, json={"metadata": {
        **metadata, "keywords": ["specimen-key:NEW1"], "publication_date": "2024-01-02"}})
    assert updated.status_code == 200, updated.text
    assert _hits(sandbox, api, 'keywords:"specimen-key:NEW1"') == [draft["id"]]
    assert _hits(sandbox, api, 'keywords:"specimen-key:OLD1"') == [], "the latest has NEW1"
    assert _hits(sandbox, api, 'keywords:"specimen-key:OLD1"', all_versions="1") == [first["id"]]


def test_a_store_made_before_the_index_gets_its_words_when_opened(tmp_path):
    path = tmp_path / "sandbox.sqlite3"
    store = Storage(path)
    store.save(Deposition(id=7, conceptrecid="6", owner="alice", state="done", bucket="b7",
                          created=0.0, modified=0.0, submitted=True))
    store.index_put("deposit", 7, doc={"id": 7, "conceptrecid": "6",
                                       "metadata": {"keywords": ["specimen-key:K7"]}},
                    visible_at=0.0, owner="alice")
    words = index_words(parse('keywords:"specimen-key:K7"'))
    assert [d["id"] for d in store.index_docs("deposit", 1.0, words=words)] == [7]
    store._run("DELETE FROM search_words")  # as a data folder of an earlier sandbox holds it
    assert store.index_docs("deposit", 1.0, words=words) == []
    store.close()
    reopened = Storage(path)
    assert [d["id"] for d in reopened.index_docs("deposit", 1.0, words=words)] == [7]
    reopened.close()


def test_a_listing_without_a_query_sorts_by_the_same_keys_without_decoding_documents(
        sandbox, api, deposit, metadata):
    # The circuit breaker's probe lists one deposition (``?size=1``); read by decoding every
    # document it took 41 to 96 s with 140,000 records in the store, and held the store.
    sandbox.admin.set_delays(deposit=0, records=0, oai=0)
    sandbox.admin.seed(30, owner=sandbox.user, metadata=TEMPLATE)
    first = deposit(meta={**metadata, "publication_date": "2023-05-01"}, publish=True)
    new = api.post(first["links"]["newversion"])
    assert new.status_code == 201, new.text
    store = Storage(sandbox.data_dir / "sandbox.sqlite3")
    try:
        full = store.index_docs("deposit", 4e9, owner=sandbox.user)
        keys = ("id", "conceptrecid", "created", "modified")
        assert store.index_summaries("deposit", 4e9, owner=sandbox.user) == [
            {**{k: d[k] for k in keys},
             "metadata": {"publication_date": d["metadata"].get("publication_date")}}
            for d in full]
    finally:
        store.close()
    url = f"{sandbox.url}/api/deposit/depositions"
    newest = api.get(url, params={"size": "1"}).json()
    assert [d["id"] for d in newest] == [max(d["id"] for d in full)]
    for sort in ("oldest", "updated-desc", "publication-asc", "version"):
        listed = [d["id"] for d in api.get(url, params={"sort": sort, "size": "100"}).json()]
        every = [d["id"] for d in api.get(url, params={"sort": sort, "size": "100",
                                                        "all_versions": "1"}).json()]
        assert first["id"] in every and first["id"] not in listed, sort  # superseded
        assert len(listed) == 31 and len(every) == 32, sort


def test_an_oai_list_opens_with_the_ids_alone_without_decoding_documents(
        sandbox, api, deposit, metadata, monkeypatch):
    # A ListIdentifiers over pilot 2's 281,372 records decoded every document to take its id
    # (2 GB in the sandbox); Identify's earliest datestamp did the same.
    sandbox.admin.set_delays(deposit=0, records=0, oai=0)
    sandbox.admin.seed(30, owner=sandbox.user, metadata=TEMPLATE)
    ours = deposit(meta={**metadata, "communities": [{"identifier": "herbaria"}]}, publish=True)
    store = Storage(sandbox.data_dir / "sandbox.sqlite3")
    try:
        def page(set_spec, start):
            return store.index_page("oai", 4e9, set_spec=set_spec, start=start, end=None,
                                    offset=0, limit=-1)[0]
        every = page(None, None)
        assert len(every) >= 1 and [d["recid"] for d in page("user-herbaria", None)] == [
            ours["id"]]
        decoded: list[str] = []
        monkeypatch.setattr("zenodo_sandbox.storage.json.loads", decoded.append)
        found = {(set_spec, start): store.index_ids("oai", 4e9, set_spec=set_spec, start=start,
                                                    end=None)
                 for set_spec, start in ((None, None), ("user-herbaria", None), (None, 4e9))}
        earliest = store.index_earliest("oai", 4e9)
        monkeypatch.undo()
        assert decoded == []
        for (set_spec, start), ids in found.items():
            assert ids == [d["recid"] for d in page(set_spec, start)]
        assert found[(None, None)] == sorted(d["recid"] for d in every)
        assert earliest == min(d.get("created", d["updated"]) for d in every)
    finally:
        store.close()
