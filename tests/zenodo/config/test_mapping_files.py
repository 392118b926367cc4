"""A run's mapping override names a mapping in the mapping folders, or is refused before any
file is opened; YAML errors never quote the file."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from zenodo.config.collection_file import MAPPINGS_DIR, CollectionConfigError, load_collections
from zenodo.config.mapping_files import (
    EXTRA_MAPPINGS_VARIABLE,
    MappingOverrideError,
    resolve_override,
)
from zenodo.metadata.mapping import MappingConfigError, load_mapping
from zenodo.operators.params import RunParams

SECRET = "hunter2-do-not-print"
_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@contextmanager
def files_opened() -> Iterator[list[str]]:
    """Record every file the process opens meanwhile (a real audit hook, not a mock)."""
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A mapping someone planted outside the mapping folders (it would publish)."""
    path = tmp_path / "planted.yaml"
    path.write_text((MAPPINGS_DIR / "pilot2.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_a_name_or_a_path_inside_the_folder_is_accepted() -> None:
    expected = MAPPINGS_DIR / "dwc-rich.yaml"
    for value in ("dwc-rich", "dwc-rich.yaml", " dwc-rich ", str(expected),
                  "./dwc-rich.yaml", "x/../dwc-rich.yaml"):
        assert resolve_override(value, env={}).resolve() == expected.resolve(), value


@pytest.mark.parametrize("value", [
    "../../../../../../etc/passwd", "/etc/passwd", "../collections.yaml", "/etc/../etc/x.yaml",
    "..", "", "   ", "dwc-rich\x00", "dwc\u202erich", "C:\\evil.yaml", "dwc rich",
    "../../../../../../tmp/planted.yaml",
])
def test_anything_else_is_refused_before_any_file_is_opened(value: str) -> None:
    with files_opened() as opened, pytest.raises(MappingOverrideError) as refused:
        resolve_override(value, env={})
    assert opened == []
    assert "param 'mapping' (Mapping override)" in str(refused.value)
    assert str(MAPPINGS_DIR) in str(refused.value)


def test_a_planted_file_anywhere_is_refused_by_the_run_params(planted: Path) -> None:
    with files_opened() as opened, pytest.raises(ValueError, match="outside the mapping folders"):
        RunParams.from_params({"mapping": str(planted)})
    assert str(planted) not in opened
    pilot1 = (MAPPINGS_DIR / "pilot1.yaml").resolve()
    assert RunParams.from_params({"mapping": "pilot1"}).mapping == str(pilot1)
    assert RunParams.from_params({"mapping": None}).mapping is None


def test_a_symbolic_link_out_of_a_mapping_folder_is_refused(tmp_path: Path, planted: Path
                                                            ) -> None:
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "evil.yaml").symlink_to(planted)
    (folder / "good.yaml").write_text("name: good\n", encoding="utf-8")
    env = {EXTRA_MAPPINGS_VARIABLE: str(folder)}
    with pytest.raises(MappingOverrideError, match="outside"):
        resolve_override("evil", env=env)
    good = (folder / "good.yaml").resolve()
    assert resolve_override("good", env=env) == resolve_override(str(good), env=env) == good
    assert resolve_override("pilot1", env=env) == (MAPPINGS_DIR / "pilot1.yaml").resolve()


@pytest.mark.parametrize("content", [
    f"root:x:0:0:root:/root:/bin/bash\npassword: [{SECRET}\n",
    f"name: x\n  {SECRET}: : :\n",
    f"name: x\nmetadata: {{title: '{SECRET}'\n",
    f"\t{SECRET}\n",
])
def test_yaml_errors_name_the_position_never_the_content(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MappingConfigError) as mapping_error:
        load_mapping(path)
    with pytest.raises(CollectionConfigError) as collections_error:
        load_collections(path, env={})
    for error in (mapping_error.value, collections_error.value):
        message = str(error)
        assert SECRET not in message and "root:x" not in message
        assert "broken.yaml" in message and "line " in message
        assert error.__cause__ is None or SECRET not in str(error.__cause__)


def test_a_file_that_is_not_text_is_refused_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"name: \xff\xfe" + SECRET.encode())
    with pytest.raises(MappingConfigError, match="not UTF-8 text") as refused:
        load_mapping(path)
    assert SECRET not in str(refused.value)
