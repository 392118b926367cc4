"""The specimen record shared by extract, validate and map, and the stable key rules.

Every string in a record is NFC-normalised and stripped of a byte-order mark and surrounding
whitespace, so hashing, comparing and sending see the same bytes; numbers keep their exact
value (an integral one becomes an int, never ``1234.0``). Invisible formatting characters
(Unicode category Cf) are removed from terms after the key is derived, so a key holding one is
still seen (and quarantined) by validation. The key rules are described in docs/collections.md.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import math
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from zenodo.source.image_http import RemoteFile

#: Terms that make up the Darwin Core triplet, in key order.
TRIPLET_TERMS = ("institutionCode", "collectionCode", "catalogNumber")
#: Prefix of placeholder keys given to rows without any usable identifier.
NO_KEY_PREFIX = "nokey:"
#: Prefix of keys derived from the Darwin Core triplet.
CATALOG_URN_PREFIX = "urn:catalog:"

TermValue = str | int | float | bool
#: Invisible formatting characters kept in text: the joiners some scripts spell words with.
KEPT_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})


@dataclass(frozen=True)
class FileSpec:
    """Describe one file that belongs to a deposit.

    :param path: where the file is on disk (may not exist: validation reports that), or the
        remote image (:class:`~zenodo.source.image_http.RemoteFile`) at an http(s) URL
    :param name: the file name to use on Zenodo
    :param size: size in bytes, when known
    :param md5: hex md5 of the content, when computed
    """

    path: Path | RemoteFile
    name: str
    size: int | None = None
    md5: str | None = None


@dataclass(frozen=True)
class SpecimenRecord:
    """Hold one specimen: its key, its Darwin Core terms, change stamp and image files.

    :param key: the stable key (:func:`derive_key`)
    :param terms: Darwin Core term name → value; strings NFC-normalised, empty values dropped
    :param modified: the source row's last-change value as an ISO 8601 string, if any
    :param images: the image files that belong to the specimen, in a deterministic order
    :param row_number: 1-based position of the row in the extract, for messages
    :param cleaned: ``(term, characters)`` of invisible characters removed from terms
    """

    key: str
    terms: dict[str, TermValue]
    modified: str | None = None
    images: tuple[FileSpec, ...] = field(default_factory=tuple)
    row_number: int = 0
    cleaned: tuple[tuple[str, str], ...] = ()

    def term(self, name: str) -> str:
        """Return a term as a string ('' when absent)."""
        value = self.terms.get(name)
        return "" if value is None else str(value)

    @property
    def has_real_key(self) -> bool:
        """Tell whether the key came from the data rather than a placeholder."""
        return not self.key.startswith(NO_KEY_PREFIX)


def normalise_text(value: str) -> str:
    """Return ``value`` in NFC with a leading BOM and surrounding whitespace removed."""
    return unicodedata.normalize("NFC", value.replace("\ufeff", "")).strip()


def normalise_number(value: float | decimal.Decimal) -> TermValue:
    """Return a float or decimal with its exact value.

    An integral one becomes an int (``1234.00`` → ``1234``, 20 digits stay 20 digits); another
    stays a float when the float's text is exact and plain (``12.5``), else becomes its exact
    decimal text (``"0.00000025"``, ``"0.1234567890123456789"``); ``nan`` and ``inf`` text.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(repr(value))
    if not number.is_finite():
        return str(number)
    if number == number.to_integral_value():
        return int(number)
    as_float = float(number)
    if "e" not in repr(as_float) and decimal.Decimal(repr(as_float)) == number:
        return as_float
    return format(number.normalize(), "f")


def normalise_value(value: Any) -> TermValue | None:
    """Turn one database value into a term value (``None`` means absent).

    Bytes are decoded as UTF-8 with replacement characters (validation reports U+FFFD as
    invalid UTF-8); dates become ISO strings; numbers keep their exact value
    (:func:`normalise_number`).
    """
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = normalise_text(value)
        return text or None
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float | decimal.Decimal):
        return normalise_number(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return normalise_text(str(value)) or None


def normalise_terms(row: dict[str, Any]) -> dict[str, TermValue]:
    """Normalise every value of a row, dropping absent ones; keys are NFC-normalised too."""
    terms: dict[str, TermValue] = {}
    for name, raw in row.items():
        value = normalise_value(raw)
        if value is not None:
            terms[normalise_text(str(name))] = value
    return terms


def invisible_characters(text: str) -> str:
    """Return the invisible formatting characters (Cf) of ``text`` that text may not keep."""
    return "".join(ch for ch in text
                   if unicodedata.category(ch) == "Cf" and ch not in KEPT_FORMAT_CHARACTERS)


def strip_invisible(terms: dict[str, TermValue]
                    ) -> tuple[dict[str, TermValue], tuple[tuple[str, str], ...]]:
    """Remove invisible formatting characters (RTL override, zero-width space…) from text terms.

    Returns the cleaned terms (a term left empty is dropped) and ``(term, characters)`` for
    each term that had some. The zero-width joiner and non-joiner are kept.
    """
    cleaned: dict[str, TermValue] = {}
    removed: list[tuple[str, str]] = []
    for name, value in terms.items():
        found = invisible_characters(value) if isinstance(value, str) else ""
        if found:
            removed.append((name, found))
            value = normalise_text("".join(ch for ch in str(value) if ch not in found))
            if not value:
                continue
        cleaned[name] = value
    return cleaned, tuple(removed)


def _urn_part(value: str) -> str:
    return quote(value, safe="-._~")


def triplet_key(terms: dict[str, TermValue]) -> str | None:
    """Return ``urn:catalog:<inst>:<coll>:<cat>`` or ``None`` when a part is missing."""
    parts = [str(terms.get(name, "")).strip() for name in TRIPLET_TERMS]
    if not all(parts):
        return None
    return CATALOG_URN_PREFIX + ":".join(_urn_part(p) for p in parts)


def derive_key(terms: dict[str, TermValue], rule: str = "auto") -> str:
    """Derive the stable key of a record from its (normalised) terms.

    :param terms: normalised Darwin Core terms
    :param rule: ``auto`` (occurrenceID, else triplet), ``occurrenceID`` or ``triplet``
    """
    occurrence_id = str(terms.get("occurrenceID", "")).strip()
    if rule in ("auto", "occurrenceID") and occurrence_id:
        return occurrence_id
    if rule in ("auto", "triplet"):
        key = triplet_key(terms)
        if key:
            return key
    encoded = canonical_json(terms).encode("utf-8", errors="surrogatepass")
    digest = hashlib.sha1(encoded, usedforsecurity=False)
    return NO_KEY_PREFIX + digest.hexdigest()


def is_uri(value: str) -> bool:
    """Tell whether ``value`` is an http(s) URL or a URN (usable as an identifier as is)."""
    lowered = value.lower()
    return lowered.startswith(("http://", "https://")) or (
        lowered.startswith("urn:") and value.count(":") >= 2 and " " not in value
    )


def alternate_identifier(record: SpecimenRecord) -> str:
    """Return the identifier under which a deposit is findable by its specimen.

    The key itself when it is a URL or URN; else the triplet URN; else ``urn:specimen:<key>``
    with the key percent-encoded.
    """
    if is_uri(record.key):
        return record.key
    derived = triplet_key(record.terms)
    if derived:
        return derived
    return "urn:specimen:" + _urn_part(record.key)


def canonical_json(value: Any) -> str:
    """Serialise ``value`` as canonical JSON (sorted keys, no spaces, UTF-8 characters kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
