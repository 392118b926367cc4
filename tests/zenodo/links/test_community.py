"""The extra link: the URL is worked out when the task runs and only read when drawn.

The whole round trip (persisted by the upload and report tasks of a real run, read back from
XCom) is asserted in ``tests/dags/test_collection_run.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk import Connection

from zenodo import runtime
from zenodo.links.community import ZenodoCommunityLink, community_url


@pytest.mark.parametrize(("host", "schema", "port", "url"), [
    ("https://sandbox.zenodo.org/", None, None, "https://sandbox.zenodo.org/communities/herb"),
    ("127.0.0.1", "http", 5000, "http://127.0.0.1:5000/communities/herb"),
    ("zenodo.org", None, None, "https://zenodo.org/communities/herb"),
])
def test_the_url_is_the_community_page_on_the_connection_host(
    host: str, schema: str | None, port: int | None, url: str
) -> None:
    conn = Connection(conn_id="z", conn_type="zenodo", host=host, schema=schema, port=port)
    assert community_url(conn, "herb") == url


def test_no_community_or_no_host_gives_no_link() -> None:
    assert community_url(Connection(conn_id="z", conn_type="zenodo", host="zenodo.org"), None) == ""
    assert community_url(Connection(conn_id="z", conn_type="zenodo"), "herb") == ""


class _TaskInstance:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def test_persist_stores_the_url_under_the_links_own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_DEFAULT",
                       '{"conn_type": "zenodo", "host": "https://sandbox.zenodo.org/"}')
    ti = _TaskInstance()
    url = ZenodoCommunityLink.persist({"ti": ti}, conn_id="zenodo_default", community="herb")
    assert url == "https://sandbox.zenodo.org/communities/herb"
    assert ti.pushed == {ZenodoCommunityLink().xcom_key: url}


def test_drawing_the_link_reads_the_persisted_url_not_the_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.sdk.execution_time import xcom

    def no_config(collection_id: str) -> None:
        raise AssertionError("drawing a link must not read collections.yaml")

    monkeypatch.setattr(runtime, "collection_config", no_config)
    seen: list[str] = []
    monkeypatch.setattr(xcom.XCom, "get_value",
                        lambda *, ti_key, key: seen.append(key) or "https://z/communities/c")
    link = ZenodoCommunityLink()
    assert link.get_link(object(), ti_key=object()) == "https://z/communities/c"
    assert seen == [link.xcom_key]
