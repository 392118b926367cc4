"""ZenodoHook against the real sandbox: connection forms, typed errors, retries, OAI answers.

The hook knows no API; these tests name the sandbox's endpoints themselves.
"""

from __future__ import annotations

import hashlib
import pathlib
from typing import Any

import pytest

from zenodo.errors import (
    AuthFailed,
    ChecksumMismatch,
    NotFound,
    UnknownOutcome,
    ValidationFailed,
)
from zenodo.hooks.zenodo import ZenodoHook
from zenodo_sandbox.testing import SandboxProcess

DEPOSITIONS = "api/deposit/depositions"


def create(hook: ZenodoHook, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create a deposit API draft with one raw write."""
    return hook.write_json("POST", DEPOSITIONS, operation="create",
                           json={"metadata": metadata} if metadata else {})


def test_uri_form_builds_base_url_bearer_token_and_keeps_options_out_of_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_ZENODO_URI",
        "zenodo://:s3cret%2Ftoken@127.0.0.1:5000/http?user_agent=herbarium%2F1.0&read_timeout=7",
    )
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    hook = ZenodoHook("zenodo_uri")
    session = hook.session()
    assert hook.base_url == "http://127.0.0.1:5000"
    assert session.headers["Authorization"] == "Bearer s3cret/token"
    assert session.headers["User-Agent"] == "herbarium/1.0"
    assert "user_agent" not in session.headers and "read_timeout" not in session.headers
    assert session.verify is True
    assert hook.options.read_timeout == 7.0


def test_proxy_and_ca_settings_are_read_from_the_environment_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_PROXIED", "zenodo://:tok@zenodo.example.org/https")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = ZenodoHook("zenodo_proxied").session()
    assert session.proxies["https"] == "http://proxy.example.org:3128"
    assert session.verify == "/etc/ssl/certs/ca-certificates.crt"
    assert session.trust_env is False, "not re-read on every request"


def test_the_constructor_does_no_io() -> None:
    hook = ZenodoHook("a_connection_that_does_not_exist")
    assert hook.zenodo_conn_id == "a_connection_that_does_not_exist"


def test_typed_errors_for_missing_bad_and_unauthorised(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(NotFound):
        zenodo_hook.read_json(f"{DEPOSITIONS}/999999", operation="get")
    draft = create(zenodo_hook, {"title": "no creators yet"})
    with pytest.raises(ValidationFailed) as refused:
        zenodo_hook.write_json("POST", f"{DEPOSITIONS}/{draft['id']}/actions/publish",
                               operation="publish")
    assert refused.value.field_errors, "Zenodo's field errors are kept"
    monkeypatch.setenv(
        "AIRFLOW_CONN_ZENODO_WRONG", sandbox.connection_json().replace(sandbox.token, "wrong-token")
    )
    with pytest.raises(AuthFailed) as denied:
        ZenodoHook("zenodo_wrong").read_json(DEPOSITIONS, operation="search")
    assert "wrong-token" not in str(denied.value)


def test_a_write_that_committed_then_failed_is_unknown_and_not_sent_twice(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook
) -> None:
    sandbox.admin.set_faults({"kinds": {"create": {"commit_then_fail": 1.0}}})
    with pytest.raises(UnknownOutcome):
        create(zenodo_hook, {"title": "committed"})
    assert sandbox.admin.counts()["total"] == 1, "the draft exists on the server"
    assert sandbox.admin.requests(kind="create")["total"] == 1, "no blind retry"


def test_reads_are_retried_through_5xx(sandbox: SandboxProcess, zenodo_hook: ZenodoHook) -> None:
    draft = create(zenodo_hook, {"title": "read me"})
    sandbox.admin.set_faults({"seed": 1, "kinds": {"get": {"error_rate": 0.3}}})
    for _ in range(10):
        assert zenodo_hook.read_json(f"{DEPOSITIONS}/{draft['id']}", operation="get")["id"] == (
            draft["id"])
    assert sandbox.admin.faults()["injected"], "some reads met a 5xx and were retried"


def test_a_known_md5_is_checked_against_the_servers_and_a_mismatch_is_refused(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "sheet.jpg"
    path.write_bytes(b"\xff\xd8 a herbarium sheet \xff\xd9")
    md5 = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    bucket = create(zenodo_hook)["links"]["bucket"]
    answer = zenodo_hook.upload_file(bucket, path, filename="sheet.jpg", md5=md5)
    assert answer["checksum"] == f"md5:{md5}"
    with pytest.raises(ChecksumMismatch, match="server md5"):  # the file changed since prepare
        zenodo_hook.upload_file(bucket, path, filename="other.jpg", md5="0" * 32)
    puts = sandbox.admin.requests(kind="file_put")["total"]
    assert puts == 1 + zenodo_hook.read_attempts, "a mismatch is sent again, then refused"


def test_an_oai_answer_is_returned_with_its_422_error_and_retried_through_5xx(
    sandbox: SandboxProcess, zenodo_hook: ZenodoHook
) -> None:
    refused = zenodo_hook.oai_request({"verb": "ListRecords", "metadataPrefix": "no_such"})
    assert b'<error code="badArgument">' in refused, "the OAI error is the caller's to read"
    assert [r["status"] for r in sandbox.admin.requests(kind="oai")["requests"]] == [422]
    sandbox.admin.set_faults({"seed": 3, "kinds": {"oai": {"error_rate": 0.3}}})
    for _ in range(10):
        assert b"earliestDatestamp" in zenodo_hook.oai_request({"verb": "Identify"})
    assert sandbox.admin.faults()["injected"], "some OAI requests met a 5xx and were retried"
