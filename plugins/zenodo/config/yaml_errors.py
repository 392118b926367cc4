"""YAML errors told by kind and position, never by a line of the file."""

from __future__ import annotations

import yaml


def yaml_error_summary(exc: yaml.YAMLError) -> str:
    """Describe a YAML error by its kind and position only (PyYAML's message quotes the file).

    A file that is not the YAML it should be (a secret, ``/etc/passwd``) is not echoed into a
    log or a task's error.
    """
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"invalid YAML ({type(exc).__name__}{where})"
