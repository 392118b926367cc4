"""People, grants, places and dates of legacy deposit metadata, as Zenodo reads and echoes them.

Each ``load_*`` function turns a legacy value into what Zenodo keeps (its InvenioRDM form,
reduced to what the legacy serialiser shows again) and returns the legacy value Zenodo
answers with. ``Draft`` collects the problems InvenioRDM finds in a draft: Zenodo drops the
offending value from the draft and reports nothing until publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import idutils

from zenodo_sandbox.legacy_errors import MISSING, MetadataError, error
from zenodo_sandbox.vocabularies import EC_FUNDER, FUNDER_DOI, FUNDER_ROR, ROLES, valid_edtf


@dataclass
class Draft:
    """InvenioRDM draft problems (field paths as InvenioRDM names them)."""

    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        """Record one problem."""
        self.errors.append(error(path, message))


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise MetadataError([error(where, "Not a valid list.")])
    return value


def _person(entry: Any, where: str, path: str, draft: Draft) -> dict[str, Any]:
    """Return the legacy echo of one creator/contributor (name, affiliation, orcid, gnd)."""
    if not isinstance(entry, dict):
        raise MetadataError([error(where, "Invalid input type.")])
    name = entry.get("name")
    family, given = None, None
    if isinstance(name, str) and name.strip():
        if name.count(",") == 1:
            family, given = (part.strip() for part in name.split(","))
        else:
            family = name.strip()
    out: dict[str, Any] = {}
    if family:
        out["name"] = ", ".join(n for n in (family, given) if n)
    else:
        draft.add(f"{path}.person_or_org.family_name", "Family name cannot be blank.")
    affiliation = entry.get("affiliation")
    out["affiliation"] = affiliation.strip() if isinstance(affiliation, str) and \
        affiliation.strip() else None
    position = 0
    for scheme, check, normalize in (("orcid", idutils.is_orcid, idutils.normalize_orcid),
                                     ("gnd", idutils.is_gnd, idutils.normalize_gnd)):
        value = entry.get(scheme)
        if not value:
            continue
        if isinstance(value, str) and check(value):
            out[scheme] = normalize(value).replace(f"{scheme}:", "")
        else:
            draft.add(f"{path}.person_or_org.identifiers.{position}.identifier",
                      f"Invalid {scheme.upper()} identifier.")
        position += 1
    return out


def load_creators(value: Any, draft: Draft) -> list[dict[str, Any]]:
    """Return the echoed creators."""
    people = _list(value, "metadata.creators")
    if not people:
        draft.add("metadata.creators", MISSING)
    return [_person(p, f"metadata.creators.{i}", f"metadata.creators.{i}", draft)
            for i, p in enumerate(people)]


def load_contributors(metadata: dict[str, Any], draft: Draft) -> tuple[list[dict], list[str]]:
    """Return (echoed contributors, their role ids): thesis supervisors first, as Zenodo does."""
    entries = [(p, "supervisor", f"metadata.thesis_supervisors.{i}") for i, p in
               enumerate(_list(metadata.get("thesis_supervisors") or [],
                               "metadata.thesis_supervisors"))]
    for i, person in enumerate(_list(metadata.get("contributors") or [],
                                     "metadata.contributors")):
        kind = person.get("type") if isinstance(person, dict) else None
        entries.append((person, kind.lower() if isinstance(kind, str) and kind else None,
                        f"metadata.contributors.{i}"))
    people, roles = [], []
    for n, (person, role, where) in enumerate(entries):
        out = _person(person, where, f"metadata.contributors.{n}", draft)
        out["type"] = ROLES.get(role) if role else None
        if role is None:
            draft.add(f"metadata.contributors.{n}.role", MISSING)
        else:
            roles.append(role)
        people.append(out)
    return people, roles


def load_grants(value: Any) -> list[dict[str, str]]:
    """Return the echoed grants: a bare grant id is an EC grant, funders resolve via ROR."""
    grants = []
    for i, grant in enumerate(_list(value, "metadata.grants")):
        gid = grant.get("id") if isinstance(grant, dict) else None
        if not isinstance(gid, str) or not gid:
            raise MetadataError([error(f"metadata.grants.{i}.id", MISSING)])
        if "::" not in gid:
            gid = f"{EC_FUNDER}::{gid}"
        funder, award = gid.split("::", 1)
        ror = FUNDER_ROR.get(funder, funder)
        grants.append({"id": f"{FUNDER_DOI.get(ror, ror)}::{award}"})
    return grants


def load_locations(value: Any) -> list[dict[str, Any]]:
    """Return the echoed locations (a point only when both lat and lon are given)."""
    out = []
    for i, loc in enumerate(_list(value, "metadata.locations")):
        if not isinstance(loc, dict) or "place" not in loc:
            raise MetadataError([error(f"metadata.locations.{i}.place", MISSING)])
        item: dict[str, Any] = {}
        if loc["place"]:
            item["place"] = loc["place"]
        if loc.get("description"):
            item["description"] = loc["description"]
        if loc.get("lat") and loc.get("lon"):
            item["lon"], item["lat"] = loc["lon"], loc["lat"]
        out.append(item)
    return out


def load_dates(value: Any, draft: Draft) -> tuple[list[dict[str, Any]], list[str]]:
    """Return (kept dates, their type ids): type lower-cased, ``start`` (and ``end`` for an
    interval); :func:`zenodo_sandbox.legacy_in.echo` hides a single date as Zenodo does."""
    out, types = [], []
    for i, item in enumerate(_list(value, "metadata.dates")):
        if not isinstance(item, dict):
            raise MetadataError([error(f"metadata.dates.{i}", "Invalid input type.")])
        start, end = item.get("start"), item.get("end")
        if not (start or end):
            raise MetadataError([error("metadata.dates", "Invalid date provided.")])
        if not isinstance(item.get("type"), str):
            raise MetadataError([error(f"metadata.dates.{i}.type", MISSING)])
        date = (start if start == end else f"{start}/{end}") if start and end else start or end
        if not valid_edtf(date):
            draft.add(f"metadata.dates.{i}.date", "Please provide a valid date or interval.")
            continue
        kind = item["type"].lower()
        kept: dict[str, Any] = {"type": kind}
        if "/" in date:
            kept["start"], kept["end"] = date.split("/")
        else:
            kept["start"] = date
        if item.get("description"):
            kept["description"] = item["description"]
        out.append(kept)
        types.append(kind)
    return out, types


def load_keywords(value: Any) -> list[str]:
    """Return the echoed keywords (Zenodo iterates whatever it is given)."""
    if isinstance(value, str):
        value = list(value)
    return [k.strip() for k in _list(value, "metadata.keywords")
            if isinstance(k, str) and k.strip()]


def load_subjects(value: Any) -> list[dict[str, str]]:
    """Return the echoed legacy subjects (``term``, ``identifier``, ``scheme``)."""
    out = []
    for subject in _list(value, "metadata.subjects"):
        if isinstance(subject, dict):
            out.append({k: subject[k] for k in ("term", "identifier", "scheme")
                        if isinstance(subject.get(k), str)})
    return out


def load_references(value: Any) -> list[str]:
    """Return the echoed references."""
    return [r for r in _list(value, "metadata.references") if isinstance(r, str) and r.strip()]
