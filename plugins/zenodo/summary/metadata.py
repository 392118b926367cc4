"""The summary record's metadata: a dataset, as deposit metadata or as an RDM record body.

It carries the summary's key like a specimen's record carries its key (keyword or subject,
:mod:`zenodo.metadata.identity`), so a lost answer is looked up and reconciliation knows the
record as the collection's own. ``publication_date`` is the day of building and is left out of
the metadata hash (:func:`zenodo.metadata.mapping.metadata_hash`), so an unchanged summary stays
unchanged the next day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from zenodo.metadata.identity import DEPOSIT, RDM, key_keyword
from zenodo.metadata.rdm_body import for_zenodo
from zenodo.metadata.refusals import refusals
from zenodo.summary.key import SUMMARY_KEY

if TYPE_CHECKING:
    from zenodo.config.summary_model import CreatorModel, SummaryModel
    from zenodo.source.specimen import FileSpec

#: Bumped when this module changes what it sends: a published summary then turns STALE.
SUMMARY_VERSION = "1"
SUMMARY_MAPPING = "summary"


class SummaryRefused(ValueError):
    """zenodo.org would refuse the summary record: the collection's ``summary`` key is wrong."""


def _deposit_creator(creator: CreatorModel) -> dict[str, str]:
    entry = {"name": creator.name}
    if creator.affiliation:
        entry["affiliation"] = creator.affiliation
    if creator.orcid:
        entry["orcid"] = creator.orcid
    return entry


def _rdm_creator(creator: CreatorModel) -> dict[str, Any]:
    """A creator as InvenioRDM's ``person_or_org``: "Family, Given" (or an ORCID) is a person."""
    family, comma, given = creator.name.partition(",")
    person: dict[str, Any]
    if comma or creator.orcid:
        person = {"type": "personal", "family_name": family.strip(),
                  **({"given_name": given.strip()} if given.strip() else {})}
        if creator.orcid:
            person["identifiers"] = [{"scheme": "orcid", "identifier": creator.orcid}]
    else:
        person = {"type": "organizational", "name": creator.name}
    entry: dict[str, Any] = {"person_or_org": person}
    if creator.affiliation:
        entry["affiliations"] = [{"name": creator.affiliation}]
    return entry


def summary_metadata(schema: str, settings: SummaryModel, *, community: str | None,
                     today: dt.date) -> dict[str, Any]:
    """Return the summary record's deposit metadata (``deposit``) or RDM body (``rdm``).

    :raises ValueError: for an unknown schema
    """
    if schema == DEPOSIT:
        return {
            "upload_type": "dataset", "title": settings.title,
            "description": settings.description, "publication_date": today.isoformat(),
            "creators": [_deposit_creator(c) for c in settings.creators],
            "access_right": "open", "license": settings.license,
            "keywords": [key_keyword(SUMMARY_KEY)],
            **({"communities": [{"identifier": community}]} if community else {}),
        }
    if schema == RDM:
        return for_zenodo({
            "metadata": {
                "resource_type": {"id": "dataset"}, "title": settings.title,
                "description": settings.description, "publication_date": today.isoformat(),
                "creators": [_rdm_creator(c) for c in settings.creators],
                "rights": [{"id": settings.license}],
                "subjects": [{"subject": key_keyword(SUMMARY_KEY)}],
            },
            "access": {"record": "public", "files": "public"},
            "files": {"enabled": True},
        })
    raise ValueError(f"unknown schema {schema!r}; expected {DEPOSIT!r} or {RDM!r}")


def check_summary(collection: str, source_file: str, schema: str, metadata: dict[str, Any],
                  files: Sequence[FileSpec], today: dt.date) -> None:
    """Refuse, before anything is sent, what zenodo.org would refuse in the summary record.

    :raises SummaryRefused: naming the collections file, the collection and each field
    """
    problems = refusals(SUMMARY_KEY, schema, metadata, files, today)
    if problems:
        raise SummaryRefused("; ".join(
            f"{source_file}: collection {collection!r}: key 'summary': {p.field}: {p.reason}"
            for p in problems))
