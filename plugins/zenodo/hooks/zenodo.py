"""ZenodoHook: the HTTP transport of every call to Zenodo (or another InvenioRDM site).

An :class:`HttpHook` with shared pacing, typed errors and a masked bearer token; the APIs'
endpoints live in :mod:`zenodo.repository` and :mod:`zenodo.harvest`. Reads and replacing PUTs
are retried; other writes are sent once, and a lost answer raises
:class:`~zenodo.errors.UnknownOutcome`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
import tenacity
from airflow.providers.http.hooks.http import HttpHook
from requests.adapters import HTTPAdapter

from zenodo.errors import (
    AuthFailed,
    ChecksumMismatch,
    NotFound,
    RateLimited,
    ServerError,
    UnknownOutcome,
    ValidationFailed,
    ZenodoError,
    check_md5,
    field_errors_from_body,
)
from zenodo.hooks.bodies import FileSource, read_capped, seconds_left, sending, source_name
from zenodo.hooks.options import OWN_EXTRA_KEYS, ZenodoOptions
from zenodo.hooks.pacing import LocalPacer, RequestPacer, retry_after
from zenodo.hooks.watch import RequestWatch

if TYPE_CHECKING:
    from airflow.sdk import Connection

__all__ = ["LocalPacer", "RequestPacer", "ZenodoHook", "retry_after"]

#: The circuit breaker's probe: a cheap authenticated read (one deposition listed).
PROBE_ENDPOINT = "api/deposit/depositions"
#: The OAI-PMH endpoint.
OAI_ENDPOINT = "oai2d"
#: The largest OAI-PMH page accepted (Zenodo's pages of 100 records are well under 5 MB).
MAX_OAI_PAGE_BYTES = 32 * 1024 * 1024
#: How much of a streamed error answer is read, to be quoted in the error.
ERROR_BODY_BYTES = 64 * 1024
#: No (complete) answer: connection refused or dropped (also mid-body), or a timeout.
_TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout,
                     requests.exceptions.ChunkedEncodingError)


class ZenodoHook(HttpHook):
    """Talk to Zenodo (or the local sandbox, or any Zenodo-compatible server).

    Connection: host = base URL (``https://zenodo.org``, ``https://sandbox.zenodo.org`` or
    ``http://127.0.0.1:5000``), password = access token, extra = options
    (:class:`~zenodo.hooks.options.ZenodoOptions`).

    :param zenodo_conn_id: the Airflow connection to use.
    :param pacers: a pacer per request kind (``api``, ``search``, ``oai``), shared by every
        worker; without one, only the server's 429s slow us down.
    :param read_attempts: how often an idempotent request is tried before it fails.
    :param backoff_max: the longest wait between two tries, in seconds.
    """

    conn_name_attr = "zenodo_conn_id"
    default_conn_name = "zenodo_default"
    conn_type = "zenodo"
    hook_name = "Zenodo"

    def __init__(
        self,
        zenodo_conn_id: str = default_conn_name,
        *,
        pacers: Mapping[str, RequestPacer] | None = None,
        read_attempts: int = 5,
        backoff_max: float = 30.0,
        max_rate_limit_waits: int = 50,
    ) -> None:
        super().__init__(method="GET", http_conn_id=zenodo_conn_id)
        self.zenodo_conn_id = zenodo_conn_id
        self._pacers: dict[str, RequestPacer] = dict(pacers or {})
        self._fallback_pacer = LocalPacer()
        self.read_attempts = read_attempts
        self.backoff_max = backoff_max
        self.max_rate_limit_waits = max_rate_limit_waits
        self._local = threading.local()
        self._options: ZenodoOptions | None = None
        self.watch = RequestWatch()

    # -- connection and session: small steps, each overridable ------------------------------

    @property
    def options(self) -> ZenodoOptions:
        """The connection's options (fetched once, lazily)."""
        if self._options is None:
            self._options = ZenodoOptions.from_extra(
                self.get_connection(self.zenodo_conn_id).extra_dejson
            )
        return self._options

    def set_pacers(self, pacers: Mapping[str, RequestPacer]) -> None:
        """Use these pacers from now on (e.g. the shared ones built from the ledger DB)."""
        self._pacers = dict(pacers)

    def session(self) -> requests.Session:
        """This thread's session (made on first use, then reused for keep-alive)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self.get_conn()
            self._local.session = session
        return session

    def get_conn(
        self, headers: dict[Any, Any] | None = None, extra_options: dict[str, Any] | None = None
    ) -> requests.Session:
        """Build a session with the bearer token, our User-Agent and TLS verification on."""
        session = super().get_conn(headers=headers, extra_options=extra_options)
        session.headers["User-Agent"] = self.options.user_agent
        session.verify = session.verify if session.verify not in (False, None) else True
        # Proxy and CA settings come from the environment once, not on every request.
        session.proxies.update(requests.utils.get_environ_proxies(self.base_url or ""))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle and session.verify is True:
            session.verify = bundle
        session.trust_env = False
        return session

    def _configure_session_from_auth(
        self, session: requests.Session, connection: Connection
    ) -> requests.Session:
        if connection.password:
            from airflow.sdk.log import mask_secret

            mask_secret(connection.password)
            session.headers["Authorization"] = f"Bearer {connection.password}"
        session.auth = None
        return session

    def _configure_session_from_extra(
        self, session: requests.Session, connection: Connection, extra_options: dict[str, Any]
    ) -> requests.Session:
        session = super()._configure_session_from_extra(session, connection, extra_options)
        for key in list(session.headers):
            if key in OWN_EXTRA_KEYS or key.startswith("extra__"):
                del session.headers[key]
        return session

    def _configure_session_from_mount_adapters(self, session: requests.Session) -> requests.Session:
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _timeout(self) -> tuple[float, float]:
        return (self.options.connect_timeout, self.options.read_timeout)

    def _pacer(self, kind: str) -> RequestPacer:
        return self._pacers.get(kind, self._fallback_pacer)

    def url(self, endpoint: str) -> str:
        """An absolute URL for an API path (absolute URLs pass through)."""
        if endpoint.startswith(("http://", "https://")):
            return endpoint
        return self.url_from_endpoint(endpoint)

    # -- one request, classified -----------------------------------------------------------

    def request(
        self,
        method: str,
        endpoint: str,
        *,
        operation: str,
        write: bool = False,
        kind: str = "api",
        ok_statuses: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request through the pacer and turn failures into typed errors.

        :param operation: what this call is, for errors and logs (``create``, ``get`` …).
        :param write: a non-idempotent write: transport failures and 5xx become
            :class:`UnknownOutcome` instead of :class:`ServerError`.
        :param kind: the rate-limit bucket (``api``, ``search`` or ``oai``).
        :param ok_statuses: error statuses returned to the caller instead of raised.
        """
        url = self.url(endpoint)
        pacer = self._pacer(kind)
        timeout = kwargs.pop("timeout", None) or self._timeout()
        for _ in range(self.max_rate_limit_waits):
            self.watch.gate(self._probe)
            pacer.acquire()
            self.watch.sent(method, operation, kwargs)
            started = time.monotonic()
            try:
                response = self.session().request(method, url, timeout=timeout, **kwargs)
            except _TRANSPORT_ERRORS as exc:
                self.watch.done(exc=exc, seconds=time.monotonic() - started)
                self._raise_transport_error(exc, operation=operation, write=write)
            seconds = time.monotonic() - started
            self.watch.done(response.status_code, seconds=seconds)
            self.log.debug("%s %s -> %s in %.3fs", method, operation, response.status_code,
                           seconds)
            pacer.observe(response.headers, response.status_code)
            if response.status_code in ok_statuses:
                return response
            if kwargs.get("stream") and response.status_code >= 400:
                # Only the start of a streamed error answer is read, to be quoted.
                response._content = read_capped(response, max_bytes=ERROR_BODY_BYTES,
                                                deadline=None, operation=operation,
                                                truncate=True)
                response.close()
            if response.status_code != 429:
                self._raise_for_status(response, operation=operation, write=write)
                return response
            self.log.info(
                "Zenodo rate limit hit on %s; waiting %.1fs",
                operation,
                retry_after(response.headers),
            )
        raise RateLimited(
            f"{operation}: still rate limited after {self.max_rate_limit_waits} waits",
            retry_after=retry_after(response.headers),
            operation=operation,
        )

    def _probe(self) -> bool:
        """Send one cheap read for the circuit breaker; return whether Zenodo answered."""
        self._pacer("api").acquire()
        kwargs: dict[str, Any] = {"params": {"size": 1}}
        self.watch.sent("GET", "probe", kwargs)
        started = time.monotonic()
        try:
            response = self.session().request("GET", self.url(PROBE_ENDPOINT),
                                              timeout=self._timeout(), **kwargs)
        except _TRANSPORT_ERRORS as exc:
            return self.watch.done(exc=exc, seconds=time.monotonic() - started)
        return self.watch.done(response.status_code, seconds=time.monotonic() - started)

    @staticmethod
    def _raise_transport_error(exc: Exception, *, operation: str, write: bool) -> None:
        never_sent = isinstance(exc, requests.ConnectTimeout) or "NewConnectionError" in repr(exc)
        text = f"{operation}: {type(exc).__name__} talking to Zenodo"
        if write and not never_sent:
            raise UnknownOutcome(text, operation=operation) from exc
        raise ServerError(text, operation=operation) from exc

    @staticmethod
    def _raise_for_status(response: requests.Response, *, operation: str, write: bool) -> None:
        status = response.status_code
        if status < 400:
            return
        body: Any
        try:
            body = response.json()
            message = str(body.get("message", "")) if isinstance(body, dict) else str(body)
        except ValueError:
            body, message = None, response.text[:200].strip()
        text = f"{operation}: HTTP {status} {message}".strip()
        if status >= 500:
            raise (UnknownOutcome if write else ServerError)(
                text, status=status, operation=operation
            )
        if status in (400, 413, 422):
            errors = field_errors_from_body(body)
            raise ValidationFailed(text, status=status, operation=operation, field_errors=errors)
        if status in (401, 403):
            raise AuthFailed(text, status=status, operation=operation)
        if status in (404, 410):
            raise NotFound(text, status=status, operation=operation)
        raise ZenodoError(text, status=status, operation=operation)

    def leave_retries_to_caller(self) -> None:
        """Try idempotent calls made on this thread once from now on; raise a failure at once.

        For a caller that retries later itself and serves other work meanwhile (the upload
        engine's threads): a backoff slept here would hold a thread that could be sending.
        """
        self._local.try_once = True

    def retrying(self, *retry_on: type[BaseException]) -> tenacity.Retrying:
        """Retry with jittered backoff on ``retry_on`` (5xx by default): for idempotent calls.

        On a thread that :meth:`leave_retries_to_caller`, the call is tried once.
        """
        attempts = 1 if getattr(self._local, "try_once", False) else self.read_attempts
        return tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(retry_on or (ServerError,)),
            stop=tenacity.stop_after_attempt(attempts),
            wait=tenacity.wait_exponential_jitter(initial=0.5, max=self.backoff_max),
            reraise=True,
        )

    def read_json(self, endpoint: str, *, operation: str, kind: str = "api", **kwargs: Any) -> Any:
        """GET and decode JSON, retried with backoff on 5xx and network failures."""
        for attempt in self.retrying():
            with attempt:
                return self.request(
                    "GET", endpoint, operation=operation, kind=kind, **kwargs
                ).json()
        raise AssertionError("unreachable")  # pragma: no cover

    def write_json(self, method: str, endpoint: str, *, operation: str, **kwargs: Any) -> Any:
        """Send a non-idempotent write once; decode the JSON answer (``None`` when empty)."""
        response = self.request(method, endpoint, operation=operation, write=True, **kwargs)
        return response.json() if response.content else None

    def replace_json(self, method: str, endpoint: str, *, operation: str, **kwargs: Any) -> Any:
        """Send an idempotent write (a PUT that replaces), retried on 5xx and lost answers."""
        for attempt in self.retrying(ServerError, UnknownOutcome):
            with attempt:
                return self.write_json(method, endpoint, operation=operation, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- files and OAI-PMH -------------------------------------------------------------------

    def upload_file(
        self, bucket_url: str, path: FileSource, *, filename: str | None = None,
        md5: str | None = None,
    ) -> dict[str, Any]:
        """PUT a file to ``<bucket_url>/<filename>``; check the server's md5 against ours.

        Memory stays constant for any file size: the body is read from disk in chunks. Our
        md5 is ``md5`` when known (computed when the specimen was prepared), else computed on
        the way. A PUT replaces the file, so failures (network, 5xx, checksum mismatch) are
        retried by sending the file again: the same open file when ``path`` is one (see
        :func:`~zenodo.source.hashing_reader.open_checked`), never the path opened anew.
        """
        name = filename or source_name(path)
        endpoint = f"{bucket_url.rstrip('/')}/{quote(name, safe='')}"
        for attempt in self.retrying(ServerError, UnknownOutcome, ChecksumMismatch):
            with attempt:
                answer, local_md5 = self.stream_file(endpoint, path, operation="file_put",
                                                     md5=md5)
                check_md5(answer, local_md5, name=name, operation="file_put")
                return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def stream_file(
        self, endpoint: str, path: FileSource, *, operation: str, md5: str | None = None,
    ) -> tuple[dict[str, Any], str]:
        """PUT a file's bytes from disk in chunks, once; return the JSON answer and our md5.

        :param path: a path, or a file already open (sent from its start, left open).
        :param md5: the file's known md5; without it the md5 is computed while sending.
        """
        with sending(path, md5) as body:
            response = self.request(
                "PUT",
                endpoint,
                operation=operation,
                write=True,
                data=body,
                headers={"Content-Type": "application/octet-stream"},
            )
            local_md5 = md5 or body.md5  # type: ignore[union-attr]
        return (response.json() if response.content else {}), local_md5.lower()

    def oai_request(self, params: Mapping[str, str], *, max_bytes: int = MAX_OAI_PAGE_BYTES,
                    deadline: float | None = None,
                    on_retry: Callable[[BaseException], None] | None = None) -> bytes:
        """GET one OAI-PMH answer's body, retried with backoff on 5xx and network failures.

        Zenodo answers OAI errors with HTTP 422: that body is returned too, for the parser.
        The body is streamed: one larger than ``max_bytes`` raises
        :class:`~zenodo.errors.ResponseTooLarge`, one still arriving at ``deadline``
        (a ``time.monotonic()`` value) :class:`~zenodo.errors.DeadlinePassed`; neither is
        retried.

        :param on_retry: called with the failure before each retry (a page asked again with a
            resumption token may come back as the page after it: the caller checks the list).
        """
        retrying = self.retrying()
        if on_retry is not None:
            retrying = retrying.copy(
                before_sleep=lambda state: on_retry(state.outcome.exception()))
        for attempt in retrying:
            with attempt:
                left = seconds_left(deadline, operation="oai")
                connect, read = self._timeout()
                timeout = (connect, read if left is None else max(min(read, left), 0.1))
                response = self.request("GET", OAI_ENDPOINT, operation="oai", kind="oai",
                                        ok_statuses=(422,), params=dict(params), stream=True,
                                        timeout=timeout)
                try:
                    return read_capped(response, max_bytes=max_bytes, deadline=deadline,
                                       operation="oai")
                finally:
                    response.close()
        raise AssertionError("unreachable")  # pragma: no cover
