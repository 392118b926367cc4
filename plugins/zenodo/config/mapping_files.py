"""Which mapping file a run's **Mapping override** may name.

A run's override is typed by whoever may trigger a run, so it may only name a mapping in the
deployment's mapping folders: ``include/mappings/`` and, when set, ``$ZENODO_MAPPINGS_DIR``.
Anything else is refused before any file is opened. A collection's own ``mapping`` (written
by whoever writes ``collections.yaml``) is not restricted.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from zenodo.config.collection_file import MAPPINGS_DIR

#: Environment variable naming one more folder whose mappings a run may name.
EXTRA_MAPPINGS_VARIABLE = "ZENODO_MAPPINGS_DIR"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_SUFFIXES = (".yaml", ".yml")


class MappingOverrideError(ValueError):
    """Raised for a mapping override outside the mapping folders; names the param and value."""


def mapping_folders(env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """Return the folders a run's mapping override may name a mapping in."""
    values = os.environ if env is None else env
    extra = values.get(EXTRA_MAPPINGS_VARIABLE)
    return (MAPPINGS_DIR, Path(extra)) if extra else (MAPPINGS_DIR,)


def _refuse(value: str, why: str, folders: tuple[Path, ...]) -> MappingOverrideError:
    shown = repr(value if len(value) <= 200 else value[:200] + "…")
    return MappingOverrideError(
        f"param 'mapping' (Mapping override) {shown}: refused, {why}; a run may only name a "
        f"mapping in {' or '.join(str(f) for f in folders)} (by name, e.g. 'dwc-rich', or by "
        "a path inside it)")


def _candidates(text: str, folders: tuple[Path, ...]) -> list[Path]:
    if "/" not in text and not text.endswith(_SUFFIXES):
        return [folder / f"{text}.yaml" for folder in folders]
    path = Path(text)
    return [path] if path.is_absolute() else [folder / path for folder in folders]


def resolve_override(value: str, env: Mapping[str, str] | None = None) -> Path:
    """Return the file of a run's mapping override, refusing anything outside the folders.

    :param value: a mapping name (``dwc-rich``) or a ``.yaml`` path, relative to a mapping
        folder or absolute; symbolic links are followed before the check, and the file's real
        path is returned.
    :raises MappingOverrideError: naming the param and the value, before any file is opened
    """
    folders = mapping_folders(env)
    text = value.strip() if isinstance(value, str) else ""
    if not text or "\\" in text or any(
        unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text
    ):
        raise _refuse(str(value), "not a mapping name or path", folders)
    is_name = "/" not in text and not text.endswith(_SUFFIXES)
    if is_name and not _NAME_RE.match(text):
        raise _refuse(text, "not a mapping name", folders)
    if not is_name and not text.endswith(_SUFFIXES):
        raise _refuse(text, "a mapping file ends in .yaml or .yml", folders)
    roots = [Path(os.path.realpath(folder)) for folder in folders]

    def inside(path: Path) -> bool:
        return any(Path(os.path.realpath(path)).is_relative_to(root) for root in roots)

    candidates = _candidates(text, folders)
    for candidate in candidates:  # the first that exists (a stat, not an open) decides
        if candidate.is_file():
            if inside(candidate):
                return Path(os.path.realpath(candidate))  # what was checked is what is read
            raise _refuse(text, "it is outside the mapping folders (or links out)", folders)
    for candidate in candidates:
        if inside(candidate):
            return candidate  # does not exist: loading it says so
    raise _refuse(text, "it is outside the mapping folders", folders)
