"""Typed errors for every way a call to Zenodo can end badly; messages never hold the token.

:class:`UnknownOutcome` keeps records exactly-once: a write that timed out, lost its connection
or got a 5xx may have happened, so it is resolved by looking the record up, never by sending
it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ZenodoError(Exception):
    """Base class: a call to Zenodo failed.

    :param message: what went wrong, for people.
    :param status: the HTTP status, if there was an answer.
    :param operation: the call that failed (``create``, ``publish``, ``get`` …).
    """

    def __init__(self, message: str, *, status: int | None = None, operation: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.operation = operation

    @property
    def kind(self) -> str:
        """A short stable name for the ledger's ``last_error_kind``."""
        return type(self).__name__


class RateLimited(ZenodoError):
    """429: the token's rate limit is spent. A pacing failure, never a record failure."""

    def __init__(self, message: str, *, retry_after: float, operation: str = "") -> None:
        super().__init__(message, status=429, operation=operation)
        self.retry_after = retry_after


class ValidationFailed(ZenodoError):
    """400 (or 413): Zenodo refused the request; sending it again will not help.

    :param field_errors: ``[(field, message), …]`` read from either Zenodo error form.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        operation: str = "",
        field_errors: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message, status=status, operation=operation)
        self.field_errors = field_errors or []

    def __str__(self) -> str:
        if not self.field_errors:
            return self.message
        fields = "; ".join(f"{field}: {msg}" for field, msg in self.field_errors)
        return f"{self.message} ({fields})"


class NotFound(ZenodoError):
    """404 or 410: the deposition or record does not exist (or is not ours)."""


class AuthFailed(ZenodoError):
    """401 or 403: the token is missing, wrong, or lacks the permission."""


class ServerError(ZenodoError):
    """A 5xx or a network failure on a read: safe to try again later."""


class UnknownOutcome(ZenodoError):
    """A write whose result we could not see: look it up before doing anything else."""


class ChecksumMismatch(ZenodoError):
    """The server's md5 of an uploaded file differs from ours: the file must be sent again."""


class ResponseTooLarge(ZenodoError):
    """An answer's body is larger than the caller accepts (e.g. an OAI-PMH page): not retried."""


class DeadlinePassed(ZenodoError):
    """The caller's overall deadline passed before its answer was complete: not retried."""


def field_errors_from_body(body: Any) -> list[tuple[str, str]]:
    """Read Zenodo's field errors in the current (``messages``) and older (``message``) form."""
    if not isinstance(body, dict):
        return []
    found: list[tuple[str, str]] = []
    for entry in body.get("errors") or []:
        if not isinstance(entry, dict):
            continue
        field = str(entry.get("field", ""))
        messages = entry.get("messages")
        if isinstance(messages, list):
            found.extend((field, str(m)) for m in messages)
        elif "message" in entry:
            found.append((field, str(entry["message"])))
    return found


def check_md5(answer: Mapping[str, Any], local_md5: str, *, name: str, operation: str) -> None:
    """Raise :class:`ChecksumMismatch` unless the server's (``md5:``-prefixed) checksum is ours."""
    remote_md5 = str(answer.get("checksum", "")).removeprefix("md5:")
    if remote_md5 != local_md5:
        raise ChecksumMismatch(
            f"{operation}: {name}: server md5 {remote_md5} != local {local_md5}",
            operation=operation,
        )
