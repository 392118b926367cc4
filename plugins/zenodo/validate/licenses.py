"""Map licence values found in collection data to Zenodo deposit licence ids.

Accepts SPDX ids in any case, Zenodo's legacy aliases and Creative Commons URLs; returns the
SPDX spelling the legacy deposit API accepts.
"""

from __future__ import annotations

import re

_SPDX = ("CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0",
         "CC-BY-ND-4.0", "CC-BY-NC-ND-4.0", "PDDL-1.0")
_BY_LOWER = {spdx.lower(): spdx for spdx in _SPDX}
_ALIASES = {"cc-zero": "CC0-1.0", "cc-by": "CC-BY-4.0", "cc-by-sa": "CC-BY-SA-4.0",
            "odc-pddl": "PDDL-1.0"}
_CC_IRI = re.compile(
    r"^https?://(?:www\.)?creativecommons\.org/"
    r"(?:(publicdomain/zero)/1\.0|licenses/(by(?:-nc)?(?:-sa|-nd)?)/4\.0)/?(?:legalcode)?/?$",
    re.IGNORECASE,
)


def zenodo_license_id(value: str) -> str | None:
    """Return the Zenodo licence id for ``value``, or ``None`` when it is not recognised."""
    text = value.strip()
    lowered = text.lower()
    if lowered in _BY_LOWER:
        return _BY_LOWER[lowered]
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    match = _CC_IRI.match(text)
    if match is None:
        return None
    if match.group(1):
        return "CC0-1.0"
    return _BY_LOWER.get(f"cc-{match.group(2).lower()}-4.0")
