"""A mapping file is checked by its model when it is loaded: every problem is one line naming
the file, the field and the value; the defaults of a short mapping are unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from zenodo.metadata.mapping import MappingConfigError, load_mapping

HEAD = "name: custom\nversion: '0.1'\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "expected"), [
    (HEAD + "metadata: {}\ncolour: red\n", "field 'colour': unknown key"),
    (HEAD + "metadata: {}\nsidecar: {enable: true}\n", "field 'sidecar.enable': unknown key"),
    ("name: custom\nversion: 2\nmetadata: {}\n", "field 'version': must be a string, got 2"),
    ("name: custom\nmetadata: {}\n", "field 'version': is required"),
    (HEAD, "field 'metadata': is required"),
    (HEAD + "metadata: [title]\n", "field 'metadata': must be a mapping, got ['title']"),
    (HEAD + "metadata: {}\nlet: [a, b]\n", "field 'let': must be a mapping, got ['a', 'b']"),
    (HEAD + "metadata: {}\nlet: {n: 5}\n", "field 'let.n': must be a string, got 5"),
    (HEAD + "metadata: {}\nsidecar: {enabled: 'yes'}\n",
     "field 'sidecar.enabled': must be true or false, got 'yes'"),
    (HEAD + "metadata: {}\nsidecar: {exclude: habitat}\n",
     "field 'sidecar.exclude': must be a list, got 'habitat'"),
    (HEAD + "schema: legacy\nmetadata: {}\n",
     "field 'schema': must be one of deposit, rdm, got 'legacy'"),
    (HEAD + "schema: rdm\nmetadata: {metadata: {}, title: x, creators: []}\n",
     "field 'metadata': a schema: rdm mapping gives the record body, whose keys are access, "
     "custom_fields, files, metadata, pids; got creators, title"),
    (HEAD + "schema: rdm\nmetadata: {metadata: {}, access: public}\n",
     "field 'metadata.access': must be a mapping, got 'public'"),
    ("- name: custom\n", "must be a mapping, got [{'name': 'custom'}]"),
    ("", "must be a mapping, got None"),
])
def test_a_bad_mapping_names_the_file_the_field_and_the_value(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(MappingConfigError) as info:
        load_mapping(path)
    assert str(info.value) == f"{path}: {expected}"


def test_every_problem_is_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: ''\nversion: 1.0\nmetadata: {}\nlet: {}\nextra: 1\n")
    with pytest.raises(MappingConfigError) as info:
        load_mapping(path)
    assert str(info.value).splitlines() == [
        f"{path}: field 'name': must not be blank, got ''",
        f"{path}: field 'version': must be a string, got 1.0",
        f"{path}: field 'extra': unknown key",
    ]
    assert "pydantic" not in str(info.value) and "http" not in str(info.value)


def test_a_short_mapping_gets_the_defaults(tmp_path: Path) -> None:
    spec = load_mapping(_write(tmp_path, HEAD + "metadata: {title: '{{ key }}'}\n"))
    assert (spec.name, spec.version, spec.schema, spec.description) == (
        "custom", "0.1", "deposit", "")
    assert (spec.params, spec.let, spec.sidecar) == ({}, {}, False)
    assert (spec.sidecar_name, spec.sidecar_exclude) == ("{{ dwc.catalogNumber }}.json",
                                                         frozenset())


def test_empty_params_let_and_sidecar_are_allowed(tmp_path: Path) -> None:
    text = HEAD + "params:\nlet:\nsidecar:\nmetadata: {title: x}\n"
    spec = load_mapping(_write(tmp_path, text))
    assert (spec.params, spec.let, spec.sidecar) == ({}, {}, False)


def test_sidecar_settings_are_kept(tmp_path: Path) -> None:
    text = HEAD + ("sidecar: {enabled: true, name: '{{ key }}.json', exclude: [habitat]}\n"
                   "metadata: {title: x}\n")
    spec = load_mapping(_write(tmp_path, text))
    assert (spec.sidecar, spec.sidecar_name, spec.sidecar_exclude) == (
        True, "{{ key }}.json", frozenset({"habitat"}))


@pytest.mark.parametrize("name", ["pilot1", "pilot2", "dwc-rich", "dwc-rich-rdm"])
def test_every_shipped_mapping_loads(name: str) -> None:
    spec = load_mapping(name)
    assert spec.name == name and spec.version == "1.0.0"
