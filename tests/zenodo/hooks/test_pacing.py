"""The hook's 429 handling reads ``Retry-After`` in both forms: seconds and an HTTP date.

A real HTTP server on the loopback answers 429s with the header; the hook's local pacer waits
them out, and the :class:`RateLimited` it finally raises carries the wait.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler

import pytest

from tests.zenodo.loopback_server import LoopbackServer
from zenodo.errors import RateLimited
from zenodo.hooks.pacing import retry_after
from zenodo.hooks.zenodo import ZenodoHook


def seconds(wait: float) -> str:
    """``Retry-After`` as delay-seconds."""
    return str(round(wait))


def http_date(wait: float) -> str:
    """``Retry-After`` as an HTTP date ``wait`` seconds from now (whole seconds, GMT)."""
    return formatdate(time.time() + wait, usegmt=True)


FORMS = pytest.mark.parametrize("form", [seconds, http_date], ids=["seconds", "http-date"])


def limited_server(retry_after_values: list[str]) -> LoopbackServer:
    """A server that answers 429 with each of these ``Retry-After`` values, then 200."""
    answers = iter(retry_after_values)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            value = next(answers, None)
            body = json.dumps({"status": 429 if value else 200}).encode()
            self.send_response(429 if value else 200)
            if value:
                self.send_header("Retry-After", value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return LoopbackServer(Handler)


def hook_on(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, waits: int) -> ZenodoHook:
    connection = {"conn_type": "zenodo", "host": server.url, "password": "token",
                  "extra": {"rate_limit_profile": "none", "read_timeout": 10}}
    monkeypatch.setenv("AIRFLOW_CONN_ZENODO_LIMITED", json.dumps(connection))
    return ZenodoHook("zenodo_limited", max_rate_limit_waits=waits)


@FORMS
def test_retry_after_reads_either_form_in_any_header_case(form: Callable[[float], str]) -> None:
    assert 118.0 <= retry_after({"Retry-After": form(120)}) <= 120.0
    assert 58.0 <= retry_after({"retry-after": form(60)}) <= 60.0


def test_without_a_readable_retry_after_the_reset_then_the_default_is_used() -> None:
    reset = str(time.time() + 40)
    assert 39.0 <= retry_after({"Retry-After": "-3", "X-RateLimit-Reset": reset}) <= 40.0
    assert retry_after({"Retry-After": "soon"}, default=7.0) == 7.0
    assert retry_after({"X-RateLimit-Reset": "inf"}, default=7.0) == 7.0
    assert retry_after({}, default=7.0) == 7.0


@FORMS
def test_the_hook_waits_out_a_429_then_gets_its_answer(
        form: Callable[[float], str], monkeypatch: pytest.MonkeyPatch) -> None:
    with limited_server([form(2)]) as server:
        hook = hook_on(server, monkeypatch, waits=2)
        started = time.monotonic()
        response = hook.request("GET", "api/records", operation="list")
        waited = time.monotonic() - started
    assert response.status_code == 200
    assert 0.9 <= waited <= 4.0, waited  # an HTTP date is whole seconds: 1 to 2 s ahead


@FORMS
def test_the_hook_gives_up_with_the_servers_wait_in_the_error(
        form: Callable[[float], str], monkeypatch: pytest.MonkeyPatch) -> None:
    with limited_server([form(600)]) as server:
        hook = hook_on(server, monkeypatch, waits=1)
        with pytest.raises(RateLimited) as raised:
            hook.request("GET", "api/records", operation="list")
    assert raised.value.status == 429 and raised.value.operation == "list"
    assert 598.0 <= raised.value.retry_after <= 600.0
