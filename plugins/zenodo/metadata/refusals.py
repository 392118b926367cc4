"""What zenodo.org would refuse in a mapped record, found before anything is sent.

Each rule names the field and the value. Sources: invenio-rdm-records
``services/schemas/metadata.py`` (title and description at least 3 characters),
``services/schemas/access.py`` (an active embargo ends in the future; protection is public or
restricted), zenodo-rdm ``legacy/deserializers/schemas.py`` (``load_access``: an embargoed
deposit needs an ``embargo_date``) and ``metadata.py`` (``load_rights``: a known licence), and
zenodo-rdm ``invenio.cfg`` (100 files and 50 GB a record, no empty files).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from zenodo.metadata.identity import RDM
from zenodo.source.specimen import FileSpec
from zenodo.validate.files import MAX_BYTES_PER_RECORD, MAX_FILES_PER_RECORD
from zenodo.validate.licenses import rdm_license_id, zenodo_license_id
from zenodo.validate.problem import ERROR, Problem

MIN_TEXT_LENGTH = 3
ACCESS_RIGHTS = frozenset({"open", "embargoed", "restricted", "closed"})
PROTECTIONS = frozenset({"public", "restricted"})
Found = Iterator[tuple[str, str]]


def _texts(metadata: dict[str, Any], where: str) -> Found:
    """Title (required) and description: at least 3 characters once trimmed."""
    title = metadata.get("title")
    if not isinstance(title, str) or not title.strip():
        yield f"{where}.title", f"no title ({title!r}): zenodo.org requires one"
    for name in ("title", "description"):
        text = metadata.get(name)
        if isinstance(text, str) and 0 < len(text.strip()) < MIN_TEXT_LENGTH:
            yield (f"{where}.{name}", f"{name} {text!r} is {len(text.strip())} characters; "
                   f"zenodo.org requires at least {MIN_TEXT_LENGTH}")


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _embargo_end(field: str, what: str, value: Any, today: dt.date) -> Found:
    """An active embargo must end after today (zenodo.org compares with the current time)."""
    end = _date(value) if value else None
    if not value:
        yield field, f"{what} needs an embargo end date, got {value!r}"
    elif end is None:
        yield field, f"embargo end {value!r} is not an ISO 8601 date (YYYY-MM-DD)"
    elif end <= today:
        yield field, (f"embargo end {value!r} is not after today ({today.isoformat()}): "
                      "zenodo.org requires a future date")


def _deposit(metadata: dict[str, Any], today: dt.date) -> Found:
    yield from _texts(metadata, "metadata")
    access = metadata.get("access_right")
    if access is not None and access not in ACCESS_RIGHTS:
        yield "metadata.access_right", (f"access_right {access!r} is not one of "
                                        f"{', '.join(sorted(ACCESS_RIGHTS))}")
    if access == "embargoed":
        yield from _embargo_end("metadata.embargo_date", "access_right 'embargoed'",
                                metadata.get("embargo_date"), today)
    if "license" in metadata:
        value = metadata["license"]
        licence = value.get("id") if isinstance(value, dict) else value
        if zenodo_license_id(licence) is None:
            yield "metadata.license", f"licence {licence!r} is not one zenodo.org knows"


def _rdm(body: dict[str, Any], today: dt.date) -> Found:
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    yield from _texts(metadata, "metadata.metadata")
    rights = metadata.get("rights")
    for index, right in enumerate(rights if isinstance(rights, list) else []):
        if isinstance(right, dict) and "id" in right and rdm_license_id(right["id"]) is None:
            yield (f"metadata.metadata.rights[{index}].id",
                   f"licence {right['id']!r} is not one zenodo.org knows")
    access = body.get("access") if isinstance(body.get("access"), dict) else {}
    for name in ("record", "files"):
        if name in access and access[name] not in PROTECTIONS:
            yield (f"metadata.access.{name}",
                   f"access {name} {access[name]!r} is not 'public' or 'restricted'")
    embargo = access.get("embargo") if isinstance(access.get("embargo"), dict) else {}
    if embargo.get("active"):
        yield from _embargo_end("metadata.access.embargo.until", "an active embargo",
                                embargo.get("until"), today)
    elif embargo.get("active") is not None and embargo.get("until"):
        end = _date(embargo["until"])
        if end is not None and end > today:
            yield ("metadata.access.embargo.until",
                   f"inactive embargo ends in the future ({embargo['until']!r})")


def _files(files: Sequence[FileSpec]) -> Found:
    if len(files) > MAX_FILES_PER_RECORD:
        yield "files", f"{len(files)} files: zenodo.org allows {MAX_FILES_PER_RECORD} a record"
    sizes = [spec.size for spec in files if spec.size is not None]
    if sum(sizes) > MAX_BYTES_PER_RECORD:
        yield "files", (f"{sum(sizes)} bytes: zenodo.org allows {MAX_BYTES_PER_RECORD} "
                        "a record")
    for spec in files:
        if spec.size == 0:
            yield f"files.{spec.name}", f"file {spec.name!r} is empty: zenodo.org refuses it"


def refusals(key: str, schema: str, metadata: dict[str, Any], files: Sequence[FileSpec],
             today: dt.date) -> list[Problem]:
    """Return what zenodo.org would refuse in a mapped record, one error per field.

    :param key: the specimen key
    :param schema: the mapping's schema (``deposit`` or ``rdm``)
    :param metadata: the deposit metadata, or the RDM record body
    :param files: the record's files (sizes as known)
    :param today: the day the embargo rules compare with
    """
    found = _rdm(metadata, today) if schema == RDM else _deposit(metadata, today)
    return [Problem(key, field, ERROR, reason) for field, reason in [*found, *_files(files)]]
