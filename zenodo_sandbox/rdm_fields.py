"""A small loader in the manner of marshmallow, which InvenioRDM validates records with.

What the sandbox copies from marshmallow's behaviour (not its code):

* a field that fails is left out of the loaded data; a nested mapping that fails keeps the
  parts that loaded (``valid_data``), and so does a list (bad scalar items are left out, a
  bad mapping item keeps its loaded part, a wrong-typed one becomes ``{}``);
* required fields missing are ``Missing data for required field.``; unknown keys of a schema
  that raises are ``Unknown field.``; schema-level checks run only when every field loaded;
* errors nest by key and list index and are listed as InvenioRDM lists them:
  ``{"field": "metadata.creators.0.person_or_org.name", "messages": [...]}``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MISSING: Any = object()
REQUIRED = "Missing data for required field."
Loader = Callable[[Any], Any]


class Invalid(Exception):
    """A value that does not load: ``messages`` (a list, or a dict by key/index) and the
    part that did load (``valid``, :data:`MISSING` when nothing did)."""

    def __init__(self, messages: Any, valid: Any = MISSING) -> None:
        """Keep the messages and the valid part."""
        super().__init__(messages)
        self.messages = messages
        self.valid = valid


def _sanitize(value: str) -> str:
    """Trim and drop control characters but tab and newlines, as SanitizedUnicode does."""
    return "".join(c for c in value.strip() if c in "\t\n\r" or c.isprintable())


def text(min_len: int | None = None, max_len: int | None = None,
         message: str | None = None, choices: list[str] | None = None,
         choice_message: str | None = None) -> Loader:
    """A trimmed string, optionally bounded in length or one of ``choices``."""
    def load(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(["Not a valid string."])
        out = _sanitize(value)
        if min_len is not None and len(out) < min_len:
            raise Invalid([message or f"Shorter than minimum length {min_len}."])
        if max_len is not None and len(out) > max_len:
            raise Invalid([message or f"Longer than maximum length {max_len}."])
        if choices is not None and out not in choices:
            raise Invalid([choice_message or f"Must be one of: {', '.join(choices)}."])
        return out
    return load


def raw_text(value: Any) -> str:
    """A string kept as sent (``fields.String``)."""
    if not isinstance(value, str):
        raise Invalid(["Not a valid string."])
    return value


def boolean(value: Any) -> bool:
    """A boolean; marshmallow also takes its usual truthy and falsy words."""
    truthy = {"true", "True", "TRUE", "1", "on", "yes", "y", "t"}
    falsy = {"false", "False", "FALSE", "0", "off", "no", "n", "f"}
    if isinstance(value, bool | int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value in truthy | falsy:
        return value in truthy
    raise Invalid(["Not a valid boolean."])


def number(value: Any) -> float:
    """A finite float (numeric strings load too; booleans do not)."""
    if isinstance(value, bool):
        raise Invalid(["Not a valid number."])
    try:
        out = float(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(["Not a valid number."]) from exc
    if not math.isfinite(out):
        raise Invalid(["Special numeric values (nan or infinity) are not permitted."])
    return out


def integer(value: Any) -> int:
    """An integer (numeric strings load too; booleans and fractions do not)."""
    if isinstance(value, bool):
        raise Invalid(["Not a valid integer."])
    try:
        out = int(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(["Not a valid integer."]) from exc
    if isinstance(value, float) and value != out:
        raise Invalid(["Not a valid integer."])
    return out


def iso_date(value: Any) -> str:
    """An ISO 8601 calendar date ``YYYY-MM-DD`` (``fields.Date``)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise Invalid(["Not a valid date."])


def mapping(value: Any) -> dict[str, Any]:
    """Any mapping, kept as sent (``fields.Dict``)."""
    if not isinstance(value, dict):
        raise Invalid(["Not a valid mapping."])
    return value


def any_value(value: Any) -> Any:
    """Anything (``fields.Raw``)."""
    return value


def list_of(inner: Loader, check: Callable[[list[Any]], str | None] | None = None,
            ) -> Loader:
    """A list of ``inner`` items; ``check`` may refuse the loaded list as a whole."""
    def load(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise Invalid(["Not a valid list."])
        out: list[Any] = []
        errors: dict[int, Any] = {}
        for index, item in enumerate(value):
            try:
                out.append(inner(item))
            except Invalid as exc:
                errors[index] = exc.messages
                if exc.valid is not MISSING:
                    out.append(exc.valid)
        if errors:
            raise Invalid(errors, out)
        problem = check(out) if check else None
        if problem:
            raise Invalid([problem])
        return out
    return load


@dataclass
class Field:
    """One field of a :class:`Schema`."""

    load: Loader
    required: bool = False
    missing_message: Any = REQUIRED
    dump_only: bool = False


@dataclass
class Schema:
    """A mapping with known fields.

    :param unknown: ``raise`` (unknown keys are errors) or ``exclude`` (dropped)
    :param checks: schema-level checks, run once every field loaded; each returns an error
        dict (key -> messages) or None
    :param after: a transform of the loaded data (marshmallow's ``post_load``)
    """

    fields: dict[str, Field]
    unknown: str = "raise"
    checks: list[Callable[[dict[str, Any]], dict[str, Any] | None]] = field(
        default_factory=list)
    after: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    before: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def __call__(self, value: Any) -> dict[str, Any]:
        """Load ``value``; raise :class:`Invalid` with the loaded part on errors."""
        if not isinstance(value, dict):
            raise Invalid({"_schema": ["Invalid input type."]}, {})
        data = self.before(dict(value)) if self.before else value
        out: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, spec in self.fields.items():
            if spec.dump_only:
                continue
            if name not in data:
                if spec.required:
                    errors[name] = spec.missing_message
                continue
            try:
                out[name] = spec.load(data[name])
            except Invalid as exc:
                errors[name] = exc.messages
                if exc.valid is not MISSING and exc.valid:
                    out[name] = exc.valid
        if self.unknown == "raise":
            known = {n for n, s in self.fields.items() if not s.dump_only}
            for name in data:
                if name not in known:
                    errors[str(name)] = ["Unknown field."]
        if not errors:
            for check in self.checks:
                errors.update(check(out) or {})
        if errors:
            raise Invalid(errors, out)
        return self.after(out) if self.after else out


def flatten(messages: Any, path: str = "") -> list[dict[str, Any]]:
    """List nested error messages as InvenioRDM does (``field`` path, ``messages`` list)."""
    if isinstance(messages, dict):
        found: list[dict[str, Any]] = []
        for key, child in messages.items():
            found += flatten(child, f"{path}.{key}" if path else str(key))
        return found
    if isinstance(messages, list):
        return [{"field": path, "messages": messages}]
    return [{"field": path, "messages": [messages]}]


def load(schema: Loader, value: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Load ``value``; return the loaded (possibly partial) data and the flat error list."""
    try:
        return schema(value), []
    except Invalid as exc:
        valid = exc.valid if exc.valid is not MISSING else {}
        return valid, flatten(exc.messages)
