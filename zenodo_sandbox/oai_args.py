"""Read an OAI-PMH request's arguments the way invenio-oaiserver does (``verbs.py``, webargs):

* the verb (and whether a ``resumptionToken`` is there) is looked up in the query string and
  the form body together, and so is the check for arguments the verb does not take
  (``badArgument`` "You have passed too many arguments.", before anything else);
* the arguments themselves are read from the query string only (webargs'
  ``location="querystring"``), first value of a repeated argument;
* every field problem is its own ``<error>`` (``verb`` ones are ``badVerb``); the schema checks
  (a verb that does not exist, ``from`` after ``until``) run only when the fields are fine;
* ``from``/``until`` are parsed by dateutil, so any date it reads is accepted, a date alone is
  midnight, a ``Z`` or offset makes it aware; comparing an aware bound with a naive one is the
  ``TypeError`` (HTTP 500) Zenodo answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dateutil import parser as dateparser

MISSING = "Missing data for required field."
TOO_MANY = "You have passed too many arguments."
BAD_DATE = "Not a valid datetime."
NO_FORMAT = "metadataPrefix does not exist"

#: verb -> (field, required) in the schema's field order (``verb`` first)
_LIST = (("from", False), ("until", False), ("set", False), ("metadataPrefix", True))
VERBS: dict[str, tuple[tuple[str, bool], ...]] = {
    "GetRecord": (("identifier", True), ("metadataPrefix", True)),
    "GetMetadata": (("identifier", True), ("metadataPrefix", True)),
    "Identify": (),
    "ListIdentifiers": _LIST,
    "ListMetadataFormats": (("identifier", False),),
    "ListRecords": _LIST,
    "ListSets": (),
}
PAGED = frozenset({"ListIdentifiers", "ListRecords", "ListSets"})


class OaiError(Exception):
    """One or more OAI-PMH protocol errors, answered with HTTP 422."""

    def __init__(self, *errors: tuple[str, str]) -> None:
        super().__init__("; ".join(f"{code}: {message}" for code, message in errors))
        self.errors = list(errors)


class OaiServerError(RuntimeError):
    """What makes Zenodo's ``/oai2d`` answer 500 (an unhandled exception there)."""


@dataclass
class OaiArgs:
    """The arguments of one request, as invenio-oaiserver loaded them.

    :param verb: the verb.
    :param args: the loaded arguments in the order the ``<request>`` echo shows them
        (``from``/``until`` as datetimes); with a token: ``resumptionToken`` then ``verb``.
    :param token: the resumption token's text, when the request carries one.
    """

    verb: str
    args: dict[str, Any] = field(default_factory=dict)
    token: str | None = None


def _first(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name)
    if values is None:
        return None
    if isinstance(values, str):
        return values
    return values[0] if values else None


def parse_date(value: str) -> datetime:
    """Parse ``from``/``until`` as invenio-oaiserver's permissive DateTime (dateutil)."""
    if not value:
        raise ValueError(value)
    try:
        return dateparser.parse(value)
    except OverflowError as exc:
        raise ValueError(value) from exc


def load(query: Mapping[str, Sequence[str]], form: Mapping[str, Sequence[str]] | None = None,
         *, formats: Mapping[str, Any]) -> OaiArgs:
    """Return the request's arguments, or raise :class:`OaiError`.

    :param query: the query string's arguments (every value of each).
    :param form: a POST form body's arguments (only its keys and ``verb`` count).
    :param formats: the served ``metadataPrefix`` values.
    """
    form = form or {}
    verb = _first(query, "verb") if "verb" in query else _first(form, "verb")
    verb = verb or ""
    has_token = "resumptionToken" in query or "resumptionToken" in form
    if verb in VERBS and has_token and verb in PAGED:
        fields: tuple[tuple[str, bool], ...] = (("resumptionToken", True), ("verb", True))
    else:
        fields = (("verb", True), *VERBS.get(verb, ()))
    if (set(query) | set(form)) - {name for name, _required in fields}:
        raise OaiError(("badArgument", TOO_MANY))
    errors: list[tuple[str, str]] = []
    args: dict[str, Any] = {}
    for name, required in fields:
        value = _first(query, name)
        code = "badVerb" if name == "verb" else "badArgument"
        if value is None:
            if required:
                errors.append((code, MISSING))
            continue
        if name in ("from", "until"):
            try:
                args[name] = parse_date(value)
            except ValueError:
                errors.append((code, BAD_DATE))
            continue
        if name == "metadataPrefix" and value not in formats:
            errors.append((code, NO_FORMAT))
            continue
        args[name] = value
    if errors:
        raise OaiError(*errors)
    if verb not in VERBS:
        raise OaiError(("badVerb", f"This is not a valid OAI-PMH verb:{args['verb']}"))
    if "from" in args and "until" in args:
        try:
            later = args["from"] > args["until"]
        except TypeError as exc:  # an aware and a naive datetime
            raise OaiServerError("can't compare offset-naive and offset-aware datetimes") \
                from exc
        if later:
            raise OaiError(("badArgument", 'Date "from" must be before "until".'))
    return OaiArgs(verb=verb, args=args, token=args.get("resumptionToken"))
