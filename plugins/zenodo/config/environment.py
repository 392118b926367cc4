"""Numeric settings read from the environment (or from a run's params)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TypeVar

D = TypeVar("D", float, None)


def env_number(name: str, default: D, env: Mapping[str, Any] | None = None, *,
               kind: str = "environment variable") -> float | D:
    """Return ``env[name]`` as a number, or ``default`` when it is unset or empty.

    :param env: where to look (default ``os.environ``)
    :param kind: what ``name`` is, for the error message
    :raises ValueError: naming the variable and its value when it is not a number
    """
    values = os.environ if env is None else env
    value = values.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{kind} {name}: not a number: {value!r}") from None
