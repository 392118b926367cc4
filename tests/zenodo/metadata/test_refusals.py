"""A mapped record zenodo.org would refuse is quarantined before publish, the reason naming
the record, the field and the value; the valid case of each rule passes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.zenodo.data_helpers import BARLERIA, make_record
from zenodo.config.collection_file import CollectionConfig, ImageTemplate
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.prepare import Preparer
from zenodo.ledger.states import State
from zenodo.metadata.mapping import Mapper, ZenodoWouldRefuse, load_mapping
from zenodo.metadata.rdm_body import for_zenodo, with_rdm_license_ids
from zenodo.metadata.refusals import refusals
from zenodo.source.specimen import FileSpec

TODAY = dt.date(2026, 3, 1)
KEY = "urn:catalog:BR:BR:BR1"
DEPOSIT_MAPPING = """\
name: refusals
version: "1.0.0"
params: {title: null, license: CC-BY-4.0, access_right: open, embargo_date: null}
metadata:
  upload_type: image
  image_type: photo
  publication_date: "{{ publication_date }}"
  title: "{{ params.title or dwc.scientificName }}"
  creators: [{name: Meise Botanic Garden}]
  description: "Herbarium specimen {{ dwc.catalogNumber }}"
  access_right: "{{ params.access_right }}"
  embargo_date: {expr: params.embargo_date}
  license: "{{ params.license }}"
"""
FILES = (FileSpec(Path("a.jpg"), "a.jpg", 10),)


def _deposit(**changes: Any) -> dict[str, Any]:
    return {"title": "Barleria velutina", "description": "A specimen", "access_right": "open",
            "license": "CC-BY-4.0", **changes}


def _rdm(metadata: dict[str, Any] | None = None, access: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    return {"metadata": {"title": "Barleria velutina", "rights": [{"id": "cc-by-4.0"}],
                         **(metadata or {})},
            "access": {"record": "public", "files": "public", **(access or {})}}


def _found(metadata: dict[str, Any], schema: str = "deposit",
           files: tuple[FileSpec, ...] = FILES) -> list[tuple[str, str]]:
    problems = refusals(KEY, schema, metadata, files, TODAY)
    assert all(p.key == KEY and p.severity == "error" for p in problems)
    return [(p.field, p.reason) for p in problems]


# invenio-rdm-records services/schemas/metadata.py MetadataSchema.title:
# SanitizedUnicode(required=True, validate=validate.Length(min=3)) (trimmed before counting);
# zenodo-rdm legacy/deserializers/metadata.py passes the deposit's title to it.
@pytest.mark.parametrize("title", ["ab", "  ab  ", "x"])
def test_a_title_under_3_characters_is_refused(title: str) -> None:
    [(field, reason)] = _found(_deposit(title=title))
    assert field == "metadata.title" and repr(title) in reason and "at least 3" in reason


def test_a_missing_title_is_refused() -> None:
    [(field, reason)] = _found(_deposit(title=None))
    assert field == "metadata.title" and "None" in reason


@pytest.mark.parametrize("title", ["abc", " Abc ", "Barleria velutina Champl. (BR1)"])
def test_a_title_of_3_characters_or_more_passes(title: str) -> None:
    assert _found(_deposit(title=title)) == []


# Same schema: MetadataSchema.description is SanitizedHTML(validate=Length(min=3)).
def test_a_description_under_3_characters_is_refused() -> None:
    assert [f for f, _ in _found(_deposit(description="ok"))] == ["metadata.description"]
    assert _found(_deposit(description="okay")) == []


# zenodo-rdm legacy/deserializers/schemas.py LegacySchema.load_access: "embargoed" without an
# embargo_date is "Unknown access type."; the embargo it builds is active, and
# invenio-rdm-records services/schemas/access.py EmbargoSchema.validate_embargo wants an
# active embargo's end in the future ("Embargo end date must be set to a future date.").
@pytest.mark.parametrize(
    ("date", "words"),
    [(None, "needs an embargo end date, got None"), ("2026-02-28", "'2026-02-28' is not after"),
     ("2026-03-01", "'2026-03-01' is not after"), ("next year", "'next year' is not an ISO")],
)
def test_an_embargo_without_a_future_end_date_is_refused(date: str | None, words: str) -> None:
    [(field, reason)] = _found(_deposit(access_right="embargoed", embargo_date=date))
    assert field == "metadata.embargo_date" and words in reason


def test_an_embargo_ending_after_today_passes() -> None:
    assert _found(_deposit(access_right="embargoed", embargo_date="2026-03-02")) == []
    # an end date without an embargo is ignored by zenodo.org's load_access
    assert _found(_deposit(access_right="open", embargo_date="2020-01-01")) == []


def test_an_unknown_access_right_is_refused() -> None:
    # LegacySchema.load_access: anything but open, embargoed, restricted, closed is refused
    [(field, reason)] = _found(_deposit(access_right="public"))
    assert field == "metadata.access_right" and "'public'" in reason
    assert _found(_deposit(access_right="restricted")) == []


# zenodo-rdm legacy/deserializers/metadata.py MetadataSchema.load_rights: "Invalid license
# provided" for an id neither legacy_to_rdm nor the legacy licence list knows.
def test_an_unknown_licence_is_refused_and_a_legacy_one_passes() -> None:
    [(field, reason)] = _found(_deposit(license="Copyright Meise"))
    assert field == "metadata.license" and "'Copyright Meise'" in reason
    assert _found(_deposit(license={"id": "cc-by"})) == []
    assert _found(_deposit(license="gpl-3.0")) == []


# The RDM body: the same MetadataSchema, AccessSchema and EmbargoSchema of invenio-rdm-records,
# and the licences vocabulary for rights ids.
def test_rdm_body_rules() -> None:
    assert _found(_rdm(), "rdm") == []
    assert [f for f, _ in _found(_rdm({"title": "ab"}), "rdm")] == ["metadata.metadata.title"]
    [(field, reason)] = _found(_rdm({"rights": [{"id": "cc-by-4.0"}, {"id": "mine"}]}), "rdm")
    assert field == "metadata.metadata.rights[1].id" and "'mine'" in reason
    [(field, reason)] = _found(_rdm(access={"embargo": {"active": True}}), "rdm")
    assert field == "metadata.access.embargo.until" and "got None" in reason
    until = {"embargo": {"active": False, "until": "2027-01-01"}}
    assert [f for f, _ in _found(_rdm(access=until), "rdm")] == ["metadata.access.embargo.until"]
    active = {"embargo": {"active": True, "until": "2027-01-01"}}
    assert _found(_rdm(access=active), "rdm") == []
    [(field, reason)] = _found(_rdm(access={"files": "open"}), "rdm")
    assert field == "metadata.access.files" and "'open'" in reason


def test_rdm_rights_get_the_rdm_id_of_a_legacy_id() -> None:
    body = _rdm({"rights": [{"id": "cc-by"}, {"id": "GPL-3.0"}, {"id": "mine"},
                            {"title": {"en": "Own"}}]})
    fixed = with_rdm_license_ids(body)
    assert fixed["metadata"]["rights"] == [{"id": "cc-by-4.0"}, {"id": "gpl-3.0-only"},
                                           {"id": "mine"}, {"title": {"en": "Own"}}]
    assert body["metadata"]["rights"][0] == {"id": "cc-by"}  # the input is not changed


# zenodo-rdm invenio.cfg: RDM_FILES_DEFAULT_QUOTA_SIZE = 50 * 10**9, and
# invenio-rdm-records config.py RDM_RECORDS_MAX_FILES_COUNT = 100 (not overridden by Zenodo);
# invenio.cfg RECORDS_RESOURCES_ALLOW_EMPTY_FILES = False ("Empty files are not accepted.").
def test_file_limits() -> None:
    hundred = tuple(FileSpec(Path(f"{i}.jpg"), f"{i}.jpg", 1) for i in range(100))
    assert _found(_deposit(), files=hundred) == []
    [(field, reason)] = _found(_deposit(), files=(*hundred, FileSpec(Path("x"), "x.json", 1)))
    assert field == "files" and "101 files" in reason
    big = (FileSpec(Path("a"), "a.tif", 25 * 10**9), FileSpec(Path("b"), "b.tif", 25 * 10**9))
    assert _found(_deposit(), files=big) == []
    [(field, reason)] = _found(_deposit(), files=(*big, FileSpec(Path("c"), "c.json", 1)))
    assert field == "files" and "50000000001 bytes" in reason
    [(field, reason)] = _found(_deposit(), files=(FileSpec(Path("e"), "e.jpg", 0),))
    assert field == "files.e.jpg" and "'e.jpg' is empty" in reason


def _mapper(tmp_path: Path, **params: Any) -> Mapper:
    path = tmp_path / "refusals.yaml"
    path.write_text(DEPOSIT_MAPPING, encoding="utf-8")
    return Mapper(load_mapping(path), params=params, cache_dir=tmp_path / "cache", today=TODAY)


def test_the_mapper_raises_for_what_zenodo_would_refuse(tmp_path: Path) -> None:
    record = make_record(tmp_path / "img")
    assert _mapper(tmp_path).map(record).metadata["title"] == BARLERIA["scientificName"]
    with pytest.raises(ZenodoWouldRefuse) as caught:
        _mapper(tmp_path, title="Ab", access_right="embargoed").map(record)
    error = caught.value
    assert error.key == record.key and error.field == "metadata.title"
    assert "'Ab'" in error.reason and "metadata.embargo_date:" in error.reason
    assert record.key in str(error)
    assert [p.field for p in error.problems] == ["metadata.title", "metadata.embargo_date"]


def test_an_empty_image_is_refused_by_the_mapper_too(tmp_path: Path) -> None:
    record = make_record(tmp_path / "img")
    record.images[0].path.write_bytes(b"")
    with pytest.raises(ZenodoWouldRefuse, match="is empty"):
        _mapper(tmp_path).map(record)


def test_rdm_mapping_sends_the_rdm_id_of_a_legacy_licence(tmp_path: Path) -> None:
    mapper = Mapper(load_mapping("dwc-rich-rdm"), cache_dir=tmp_path / "cache", today=TODAY,
                    params={"institution_name": "Meise Botanic Garden"})
    for value, rdm in (("cc-by", "cc-by-4.0"), ("GPL-3.0", "gpl-3.0-only")):
        record = make_record(tmp_path / "img", {**BARLERIA, "license": value})
        metadata = mapper.map(record).metadata["metadata"]
        assert metadata["rights"] == [{"id": rdm}]
        # invenio-rdm-records services/pids/providers/datacite.py validate: "Missing
        # publisher field required for DOI registration."; zenodo-rdm's deposit API fills in
        # "Zenodo" (legacy/deserializers/metadata.py), so the RDM body gets the same.
        assert metadata["publisher"] == "Zenodo"


def test_a_publisher_the_mapping_gives_is_kept() -> None:
    body = for_zenodo(_rdm({"publisher": "Meise Botanic Garden"}))
    assert body["metadata"]["publisher"] == "Meise Botanic Garden"
    assert for_zenodo(_rdm({"publisher": ""}))["metadata"]["publisher"] == "Zenodo"


def test_prepare_quarantines_the_specimen_with_field_and_value(
    tmp_path: Path, sqlite_ledger: Ledger
) -> None:
    config = CollectionConfig(id="refusals", db_url=None, db_conn_id=None, table=None,
                              query=None, mapping=str(tmp_path / "refusals.yaml"),
                              image_root=tmp_path / "img",
                              image_templates=(ImageTemplate("{catalogNumber}.jpg"),))
    good = make_record(tmp_path / "img")
    bad = make_record(tmp_path / "img", {**BARLERIA, "catalogNumber": "BR2",
                                         "occurrenceID": "https://h.example.org/BR2"})
    preparer = Preparer(config, ledger=sqlite_ledger, mapper=_mapper(tmp_path))
    preparer.add(good)
    preparer.mapper = _mapper(tmp_path, license="Copyright Meise")
    preparer.add(bad)
    preparer.flush()
    assert sqlite_ledger.get(config.id, good.key).state == State.NEW
    row = sqlite_ledger.get(config.id, bad.key)
    assert row.state == State.QUARANTINED
    assert row.quarantine_reasons == (
        "metadata.license: zenodo.org would refuse: licence 'Copyright Meise' is not one "
        "zenodo.org knows",)
    assert preparer.result.quarantined == [(bad.key, list(row.quarantine_reasons))]
