"""Pydantic's validation errors as problems a user can act on: a key path and one short line.

Pydantic's own text (several lines, a documentation URL) is never shown.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from zenodo.config.model_base import NOT_BLANK

_WITHOUT_VALUE = {"missing": "is required", "extra_forbidden": "unknown key"}
_EXPECTED = {
    "int_type": "must be an integer",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "list_type": "must be a list",
    "too_short": "must not be empty",
    "string_too_short": "must not be empty",
}
_SHOWN_MAX = 80


@dataclass(frozen=True)
class ConfigProblem:
    """One problem of a configuration file: where (the path to the key) and what is wrong."""

    loc: tuple[str | int, ...]
    message: str


def key_path(loc: tuple[str | int, ...]) -> str:
    """Return a key path as a user writes it: ``images.files[0].path``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_MAX else text[:_SHOWN_MAX - 1] + "…"


def _expected(ctx: dict[str, Any], kind: str) -> str:
    if kind == "literal_error":  # ctx: "'auto', 'occurrenceID' or 'triplet'"
        return "must be one of " + ctx["expected"].replace("'", "").replace(" or ", ", ")
    if kind == "string_pattern_mismatch":
        pattern = ctx["pattern"]
        return "must not be blank" if pattern == NOT_BLANK else f"must match {pattern}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}"
    return _EXPECTED.get(kind, "")


def describe(error: ErrorDetails) -> str:
    """Return what is wrong, in one line, naming the value where it helps."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _WITHOUT_VALUE:
        return _WITHOUT_VALUE[kind]
    if kind == "value_error":  # raised by a model's own check: its message names the value
        return str(ctx["error"])
    expected = _expected(ctx, kind)
    if not expected:
        message = error["msg"]
        expected = message[:1].lower() + message[1:]
    return f"{expected}, got {_shown(error['input'])}"


def config_problems(exc: ValidationError, *, tags: Collection[str] = ()
                    ) -> list[ConfigProblem]:
    """Return one problem per error of ``exc``.

    :param tags: the tags of the models' tagged unions: pydantic puts the chosen one after a
        list index in the location, where the user wrote none, so it is left out
    """
    problems = []
    for error in exc.errors(include_url=False):
        loc: list[str | int] = []
        for part in error["loc"]:
            if not (loc and isinstance(loc[-1], int) and part in tags):
                loc.append(part)
        problems.append(ConfigProblem(tuple(loc), describe(error)))
    return problems
