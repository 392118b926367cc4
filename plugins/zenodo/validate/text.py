"""Text rules: required terms, the key, length limits, encoding, characters and vocabularies.

Zenodo publishes no length limits for the fields these terms fill; ours (:data:`MAX_LENGTHS`)
are conservative, and a longer value is an error rather than text a search index would cut.
Invisible formatting characters (Unicode Cf: U+202E RIGHT-TO-LEFT OVERRIDE, U+200B ZERO
WIDTH SPACE…) quarantine a key, plain or percent-encoded (look-alike keys); extraction removes
them from text terms, which is reported as a warning (a record built otherwise that still
holds one is refused).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import unquote

from zenodo.source.specimen import SpecimenRecord, invisible_characters
from zenodo.summary.key import is_summary
from zenodo.validate.codes import language_id
from zenodo.validate.licenses import zenodo_license_id
from zenodo.validate.problem import ERROR, WARNING, Problem

DEFAULT_MAX_LENGTH = 2000
KEY_MAX_LENGTH = 500
MAX_LENGTHS: dict[str, int] = {
    "occurrenceID": 500,
    "scientificName": 500,
    "catalogNumber": 255,
    "institutionCode": 255,
    "collectionCode": 255,
    "recordNumber": 255,
    "family": 255,
    "genus": 255,
    "basisOfRecord": 255,
    "taxonRank": 255,
}
REQUIRED_TERMS = ("scientificName",)
_MOJIBAKE_RE = re.compile("[\u00c3\u00c2][\u0080-\u00bf]")
_HYBRID_X_RE = re.compile(r"^[A-Z][a-z-]+ [xX] [a-z]")
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def _bad_character(text: str) -> str | None:
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs":
            return f"contains a lone surrogate U+{ord(ch):04X} (not encodable as UTF-8)"
        if category == "Cc" and ch not in _ALLOWED_CONTROLS:
            return f"contains control character U+{ord(ch):04X}"
        if ch in ("\ufffd", "\ufffe", "\uffff"):
            return f"contains U+{ord(ch):04X}: the source was not valid UTF-8"
    return None


def describe_characters(characters: str) -> str:
    """Name characters for a reason: ``U+202E RIGHT-TO-LEFT OVERRIDE, U+200B …``."""
    unique = dict.fromkeys(characters)
    return ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '(unnamed)')}" for ch in unique)


def check_key(record: SpecimenRecord) -> Iterator[Problem]:
    """Check that the record has a usable key."""
    if not record.has_real_key:
        yield Problem(record.key, "occurrenceID", ERROR,
                      "missing key: no occurrenceID and no complete "
                      "institutionCode+collectionCode+catalogNumber")
        return
    if is_summary(record.key):
        yield Problem(record.key, "occurrenceID", ERROR,
                      "key is reserved for the collection's summary record")
    if len(record.key) > KEY_MAX_LENGTH:
        yield Problem(record.key, "occurrenceID", ERROR,
                      f"key is {len(record.key)} characters, limit {KEY_MAX_LENGTH}")
    reason = _bad_character(record.key)
    if reason or any(ch in record.key for ch in _ALLOWED_CONTROLS):
        yield Problem(record.key, "occurrenceID", ERROR,
                      f"key {reason or 'contains a line break or tab'}")
    hidden = "".join(ch for ch in record.key + unquote(record.key)
                     if unicodedata.category(ch) == "Cf")
    if hidden:
        yield Problem(record.key, "occurrenceID", ERROR,
                      f"key contains invisible formatting characters "
                      f"({describe_characters(hidden)}): it would look like another key")


def check_required(record: SpecimenRecord) -> Iterator[Problem]:
    """Check that required terms are present."""
    for term in REQUIRED_TERMS:
        if not record.term(term):
            yield Problem(record.key, term, ERROR, f"missing {term}")


def check_strings(record: SpecimenRecord) -> Iterator[Problem]:
    """Check every string term for length, bad characters, NFC form and mojibake."""
    for term, removed in record.cleaned:
        yield Problem(record.key, term, WARNING,
                      f"invisible formatting characters removed ({describe_characters(removed)})")
    for term, value in record.terms.items():
        if not isinstance(value, str):
            continue
        limit = MAX_LENGTHS.get(term, DEFAULT_MAX_LENGTH)
        if len(value) > limit:
            yield Problem(record.key, term, ERROR,
                          f"value is {len(value)} characters, limit {limit}")
        reason = _bad_character(value)
        hidden = invisible_characters(value)
        if hidden and not reason:
            reason = f"contains invisible formatting characters ({describe_characters(hidden)})"
        if reason:
            yield Problem(record.key, term, ERROR, f"value {reason}")
            continue
        if not unicodedata.is_normalized("NFC", value):
            yield Problem(record.key, term, WARNING, "value is not NFC-normalised")
        if _MOJIBAKE_RE.search(value):
            yield Problem(record.key, term, WARNING,
                          "value looks like mojibake (UTF-8 read as Latin-1)")


def check_vocabularies(record: SpecimenRecord) -> Iterator[Problem]:
    """Check values Zenodo itself would reject (language, licence) and report hybrid 'x'."""
    language = record.terms.get("language")
    if language is not None and language_id(str(language)) is None:
        yield Problem(record.key, "language", ERROR,
                      f"{language!r} is not an ISO 639 language code (ISO 639-1, 639-2 or "
                      "639-3)")
    license_value = record.terms.get("license")
    if license_value is not None and zenodo_license_id(str(license_value)) is None:
        yield Problem(record.key, "license", ERROR,
                      f"{license_value!r} is not a licence Zenodo knows")
    name = record.term("scientificName")
    if _HYBRID_X_RE.match(name):
        yield Problem(record.key, "scientificName", WARNING,
                      "hybrid written with a Latin 'x'; Darwin Core wants '×' (U+00D7)")
