"""Credentials in a URL: an image URL may carry none (give them to an Airflow connection).

A URL with a user name or password (``https://user:pw@host/…``, or Airflow's
``s3://conn_id@bucket/…`` form, spelt ``images.conn_id`` here instead), or with a query
parameter that is a credential (``token``, ``sig``, ``X-Amz-Signature``…), is refused where it
is configured or read: it would otherwise be stored in the payload and shown in logs and
reports. :func:`url_credential` tells what it carries.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

#: Query parameter names that are credentials (lower case), and parts that make one.
CREDENTIAL_PARAMETERS = frozenset({
    "access_token", "apikey", "api_key", "auth", "authorization", "awsaccesskeyid",
    "googleaccessid", "key", "password", "passwd", "pwd", "secret", "sig", "signature", "token",
    "x-amz-credential", "x-amz-security-token", "x-amz-signature", "x-goog-credential",
    "x-goog-signature",
})
_CREDENTIAL_PARTS = re.compile(r"token|secret|signature|password|credential", re.IGNORECASE)
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:/")


def url_credential(text: str) -> str | None:
    """What credential the URL ``text`` carries (``None``: none, or not a URL).

    The answer names the part (never its value): ``"a user name or password"`` or
    ``"the query parameter 'token'"``.
    """
    if not _URL_RE.match(text):
        return None
    parts = urlsplit(text)
    if "@" in parts.netloc:
        return "a user name or password"
    for name, _value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in CREDENTIAL_PARAMETERS or _CREDENTIAL_PARTS.search(name):
            return f"the query parameter {name!r}"
    return None


def credential_refusal(text: str) -> str | None:
    """Why ``text`` may not be an image URL (``None``: it may), for an error or a reason."""
    found = url_credential(text)
    if found is None:
        return None
    return (f"the URL carries {found}: credentials may not be in an image URL (they would be "
            "stored and shown); give them to an Airflow connection and name it in "
            "images.conn_id")


def shown(text: str) -> str:
    """``text`` fit to show: a URL without its user name, password, query and fragment."""
    if not _URL_RE.match(text):
        return text
    parts = urlsplit(text)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
