"""The extra link points at the collection's community on the configured Zenodo."""

from __future__ import annotations

import pytest

from zenodo.links.community import ZenodoCommunityLink, community_url
from zenodo.operators.upload import ZenodoUploadBatchOperator


def test_link_is_the_community_page_on_the_connection_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAMPLE_COMMUNITY", "my-herbarium")
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_DEFAULT",
                       '{"conn_type": "zenodo", "host": "https://sandbox.zenodo.org/"}')
    assert community_url("herbarium_sample") == \
        "https://sandbox.zenodo.org/communities/my-herbarium"
    task = ZenodoUploadBatchOperator(task_id="upload", collection_id="herbarium_sample")
    assert ZenodoCommunityLink().get_link(task, ti_key=None) == \
        "https://sandbox.zenodo.org/communities/my-herbarium"
