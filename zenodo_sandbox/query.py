"""Parse and evaluate the subset of Elasticsearch query-string syntax the sandbox supports.

Supported in ``q`` (deposit search and records search):

* free words and ``"quoted phrases"``: match any text of the record (title, description,
  creators, keywords, identifiers, custom fields...), case-insensitive, on word boundaries;
* ``field:value`` and ``field:"value"`` on any dotted path of the record, looked up at the top
  level first (``id``, ``recid``, ``conceptrecid``, ``doi``, ``conceptdoi``, ``title``) and then
  under ``metadata`` (``title``, ``keywords``, ``creators.name``,
  ``related_identifiers.identifier``, ``custom.dwc\\:catalogNumber``...). Identifier fields
  (:data:`KEYWORD_FIELDS`) match exactly (case-insensitive); other fields match a phrase on
  word boundaries;
* terms are ANDed; the words ``AND`` are ignored; ``OR``, ranges, wildcards and boosts are not
  supported. Backslash escapes (``10.5072\\/zenodo.1``) are honoured. An unbalanced quote is
  400 "Invalid query string syntax.".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

KEYWORD_FIELDS = frozenset({
    "id", "recid", "record_id", "conceptrecid", "doi", "conceptdoi", "owner", "state",
    "related_identifiers.identifier", "alternate_identifiers.identifier", "communities.id",
    "communities.identifier", "upload_type", "access_right", "language",
})

_TOKEN = re.compile(
    r'\s*(?:(?P<field>[A-Za-z_][\w.]*(?:\\:[\w.]+)?):)?'
    r'(?P<value>"(?:[^"\\]|\\.)*"|(?:[^\s"\\]|\\.)+)'
)
_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


class QueryError(ValueError):
    """The query string could not be parsed."""


@dataclass(frozen=True)
class Term:
    """One term: optional field path, the value, and whether it was quoted."""

    field: str | None
    value: str
    quoted: bool


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse(q: str) -> list[Term]:
    """Parse ``q`` into ANDed terms; raise :class:`QueryError` on bad syntax."""
    terms: list[Term] = []
    pos, text = 0, q.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError("Invalid query string syntax.")
        pos = match.end()
        value = match.group("value")
        quoted = value.startswith('"')
        if quoted:
            value = value[1:-1]
        elif value in ("AND", "&&"):
            continue
        field = match.group("field")
        terms.append(Term(_unescape(field) if field else None, _unescape(value), quoted))
    if text.count('"') - text.count('\\"') != 2 * sum(t.quoted for t in terms):
        raise QueryError("Invalid query string syntax.")
    return terms


def _values_at(node: Any, path: list[str]) -> Iterator[Any]:
    if not path:
        if isinstance(node, list):
            for item in node:
                yield from _values_at(item, path)
        elif node is not None:
            yield node
        return
    if isinstance(node, list):
        for item in node:
            yield from _values_at(item, path)
    elif isinstance(node, dict) and path[0] in node:
        yield from _values_at(node[path[0]], path[1:])


def _all_strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _all_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _all_strings(value)
    elif isinstance(node, str | int) and not isinstance(node, bool):
        yield str(node)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _phrase_in(phrase: list[str], text: str) -> bool:
    words = _words(text)
    size = len(phrase)
    return bool(phrase) and any(words[i:i + size] == phrase for i in range(len(words) - size + 1))


def _term_matches(term: Term, doc: dict[str, Any]) -> bool:
    if term.field is None:
        phrase = _words(term.value)
        return any(_phrase_in(phrase, s) for s in _all_strings(doc))
    field = term.field.removeprefix("metadata.")
    path = field.split(".")
    values = list(_values_at(doc, path))
    if not values:
        values = list(_values_at(doc.get("metadata", {}), path))
    wanted = term.value.lower()
    if field in KEYWORD_FIELDS:
        return any(str(v).lower() == wanted for v in values)
    phrase = _words(term.value)
    if term.quoted:
        return any(_phrase_in(phrase, str(v)) for v in values)
    return all(any(_phrase_in([w], str(v)) for v in values) for w in phrase)


def index_words(terms: list[Term]) -> list[str]:
    """The words of ``terms`` made of ASCII letters and digits only, lower case: a document
    that :func:`matches` holds every one of them among its values' words (the search index
    is asked for these first; other words are left to :func:`matches`)."""
    found: dict[str, None] = {}
    for term in terms:
        for word in _words(term.value):
            if _ASCII_WORD.fullmatch(word):
                found.setdefault(word.lower())
    return list(found)


def matches(terms: list[Term], doc: dict[str, Any]) -> bool:
    """Return whether ``doc`` satisfies every term."""
    return all(_term_matches(term, doc) for term in terms)


def sort_docs(docs: list[dict[str, Any]], sort: str | None, has_query: bool) -> list[dict]:
    """Sort documents by ``bestmatch`` (newest id first) or ``mostrecent`` (newest change).

    :param sort: ``bestmatch``, ``mostrecent`` (a ``-`` prefix reverses); None picks
        ``bestmatch`` with a query, else ``mostrecent``
    """
    name = sort or ("bestmatch" if has_query else "mostrecent")
    reverse = name.startswith("-")
    name = name.lstrip("-")
    if name not in ("bestmatch", "mostrecent"):
        raise QueryError("Invalid querystring parameters.")
    key = "id" if name == "bestmatch" else "modified"
    ordered = sorted(docs, key=lambda d: (d.get(key) or "", d.get("id", 0)), reverse=True)
    return ordered[::-1] if reverse else ordered
