"""Translate between InvenioRDM record bodies and legacy deposit metadata.

The sandbox keeps one store: every deposition holds legacy-shaped metadata, which the
records API, the admin API and the OAI-PMH feed read. A record written through the RDM API
also keeps its RDM body (:mod:`zenodo_sandbox.rdm`); :func:`rdm_to_legacy` derives the
legacy view from it (as Zenodo's legacy serializer does the other way round), and
:func:`legacy_to_rdm` shows a deposit-API record through the RDM API.
"""

from __future__ import annotations

from typing import Any

from zenodo_sandbox.validation import RELATIONS, license_id

_RELATION_CASE = {r.lower(): r for r in RELATIONS}
_SUBTYPED = ("publication", "image")


def _person_to_legacy(entry: dict[str, Any]) -> dict[str, Any]:
    person = entry.get("person_or_org") or {}
    if person.get("type") == "personal":
        given = person.get("given_name")
        name = f"{person.get('family_name', '')}, {given}" if given else person.get(
            "family_name", "")
    else:
        name = person.get("name", "")
    out: dict[str, Any] = {"name": name}
    for ident in person.get("identifiers") or []:
        if isinstance(ident, dict) and ident.get("scheme") in ("orcid", "gnd"):
            out[ident["scheme"]] = ident.get("identifier")
    names = [a.get("name") for a in entry.get("affiliations") or [] if isinstance(a, dict)]
    if names and names[0]:
        out["affiliation"] = names[0]
    return out


def _feature_to_legacy(feature: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"place": feature.get("place") or feature.get("description") or ""}
    geometry = feature.get("geometry") or {}
    if geometry.get("type") == "Point" and len(geometry.get("coordinates") or []) == 2:
        out["lon"], out["lat"] = geometry["coordinates"]
    if feature.get("description"):
        out["description"] = feature["description"]
    return out


def _date_to_legacy(item: dict[str, Any]) -> dict[str, Any]:
    start, _sep, end = str(item.get("date", "")).partition("/")
    out: dict[str, Any] = {"start": start,
                           "type": str((item.get("type") or {}).get("id", "other")).capitalize()}
    if end:
        out["end"] = end
    if item.get("description"):
        out["description"] = item["description"]
    return out


def _resource_type_to_legacy(rtype: str, legacy: dict[str, Any]) -> None:
    kind, _sep, sub = rtype.partition("-")
    legacy["upload_type"] = kind
    if kind in _SUBTYPED and sub:
        legacy[f"{kind}_type"] = sub


def rdm_to_legacy(body: dict[str, Any]) -> dict[str, Any]:
    """Return the legacy deposit metadata that shows the RDM record ``body``."""
    md = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    legacy: dict[str, Any] = {}
    rtype = (md.get("resource_type") or {}).get("id") if isinstance(
        md.get("resource_type"), dict) else None
    if isinstance(rtype, str):
        _resource_type_to_legacy(rtype, legacy)
    for key in ("title", "publication_date", "description", "version"):
        if key in md:
            legacy[key] = md[key]
    if md.get("publisher"):
        legacy["imprint_publisher"] = md["publisher"]
    dicts = {key: [x for x in md.get(key) or [] if isinstance(x, dict)]
             for key in ("creators", "contributors", "rights", "subjects", "identifiers",
                         "related_identifiers", "languages", "dates")}
    if "creators" in md:
        legacy["creators"] = [_person_to_legacy(c) for c in dicts["creators"]]
    if dicts["contributors"]:
        legacy["contributors"] = [{**_person_to_legacy(c), "type": "Other"}
                                  for c in dicts["contributors"]]
    if dicts["rights"] and dicts["rights"][0].get("id"):
        legacy["license"] = str(dicts["rights"][0]["id"]).lower()
    keywords = [s["subject"] for s in dicts["subjects"] if s.get("subject")]
    if keywords:
        legacy["keywords"] = keywords
    related = [{"identifier": i.get("identifier"), "relation": "isAlternateIdentifier"}
               for i in dicts["identifiers"]]
    for rel in dicts["related_identifiers"]:
        relation = str((rel.get("relation_type") or {}).get("id", "")).lower()
        item = {"identifier": rel.get("identifier"),
                "relation": _RELATION_CASE.get(relation, relation)}
        if (rel.get("resource_type") or {}).get("id"):
            item["resource_type"] = rel["resource_type"]["id"]
        related.append(item)
    if related:
        legacy["related_identifiers"] = related
    if dicts["languages"]:
        legacy["language"] = dicts["languages"][0].get("id")
    features = (md.get("locations") or {}).get("features") if isinstance(
        md.get("locations"), dict) else None
    if features:
        legacy["locations"] = [_feature_to_legacy(f) for f in features if isinstance(f, dict)]
    if dicts["dates"]:
        legacy["dates"] = [_date_to_legacy(d) for d in dicts["dates"]]
    files_access = (body.get("access") or {}).get("files", "public")
    legacy["access_right"] = "open" if files_access == "public" else "restricted"
    if body.get("custom_fields"):
        legacy["custom"] = body["custom_fields"]
    return legacy


def _person_to_rdm(person: dict[str, Any]) -> dict[str, Any]:
    name = str(person.get("name", ""))
    family, sep, given = name.partition(",")
    entry: dict[str, Any] = {"type": "personal", "family_name": family.strip()}
    if sep:
        entry["given_name"] = given.strip()
    if person.get("orcid"):
        entry["identifiers"] = [{"scheme": "orcid", "identifier": person["orcid"]}]
    out: dict[str, Any] = {"person_or_org": entry}
    if person.get("affiliation"):
        out["affiliations"] = [{"name": person["affiliation"]}]
    return out


def legacy_to_rdm(legacy: dict[str, Any]) -> dict[str, Any]:
    """Return an RDM record body showing legacy deposit metadata (main fields only)."""
    md: dict[str, Any] = {}
    upload_type = legacy.get("upload_type")
    if upload_type:
        sub = legacy.get(f"{upload_type}_type")
        md["resource_type"] = {"id": f"{upload_type}-{sub}" if sub else upload_type}
    for key in ("title", "publication_date", "description", "version"):
        if key in legacy:
            md[key] = legacy[key]
    md["creators"] = [_person_to_rdm(p) for p in legacy.get("creators") or []
                      if isinstance(p, dict)]
    if legacy.get("license"):
        md["rights"] = [{"id": license_id(legacy["license"])}]
    if legacy.get("keywords"):
        md["subjects"] = [{"subject": k} for k in legacy["keywords"]]
    related = [r for r in legacy.get("related_identifiers") or [] if isinstance(r, dict)]
    alternate = [r for r in related if r.get("relation") == "isAlternateIdentifier"]
    if alternate:
        md["identifiers"] = [{"identifier": r.get("identifier")} for r in alternate]
    others = [r for r in related if r.get("relation") != "isAlternateIdentifier"]
    if others:
        md["related_identifiers"] = [
            {"identifier": r.get("identifier"),
             "relation_type": {"id": str(r.get("relation", "")).lower()}} for r in others]
    if legacy.get("imprint_publisher"):
        md["publisher"] = legacy["imprint_publisher"]
    if legacy.get("language"):
        md["languages"] = [{"id": legacy["language"]}]
    open_files = legacy.get("access_right", "open") in ("open", None)
    return {"metadata": md, "custom_fields": legacy.get("custom") or {},
            "access": {"record": "public", "files": "public" if open_files else "restricted"},
            "files": {"enabled": True}}
